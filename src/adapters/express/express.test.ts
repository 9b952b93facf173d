import { createServer } from 'node:http';
import express from 'express';
import { defineErrors } from 'faultline';
import { createExpressErrors } from 'faultline/express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, listen, rawRequest } from '../../../test/helpers/http.js';

const catalog = defineErrors(
  { SCHEMA_VALIDATION_FAILED: { status: 400, message: 'Request body failed schema validation.' } },
  { rename: { VALIDATION_FAILED: 'SCHEMA_VALIDATION_FAILED', MALFORMED_JSON: 'INVALID_REQUEST_BODY' } },
);
const errors = createExpressErrors({ catalog }, { body: { limit: '1kb' } });
const app = express();
app.post('/json', express.json({ limit: '1kb' }), (req, res) => {
  res.json(req.body);
});
app.post('/strict', errors.json(), (req, res) => {
  res.json(req.body);
});
app.get('/async', async () => {
  await new Promise((resolve) => setTimeout(resolve, 1));
  throw new Error('async secret');
});
app.get('/next', (_req, _res, next) => next(catalog.create('CONFLICT')));
app.use(errors.notFound);
app.use(errors.handler);
const server = createServer(app);
let base = '';
beforeAll(async () => {
  base = await listen(server);
});
afterAll(() => close(server));

async function call(path: string, init?: RequestInit) {
  const response = await fetch(base + path, init);
  return { status: response.status, headers: response.headers, body: await response.json() };
}

describe('faultline/express', () => {
  it('maps body-parser entity.parse.failed to the catalog malformed-JSON code', async () => {
    const { status, body } = await call('/json', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    expect(status).toBe(400);
    expect(body.code).toBe('INVALID_REQUEST_BODY');
  });

  it('maps body-parser entity.too.large to the body-too-large code with the catalog message', async () => {
    const { status, body } = await call('/json', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: 'x'.repeat(2048) }),
    });
    expect(status).toBe(413);
    expect(body).toMatchObject({ code: 'BODY_TOO_LARGE', detail: 'The request body is too large.' });
  });

  it('maps an unsupported charset and an unsupported content encoding to 415', async () => {
    const charset = await call('/json', {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=koi8-r' },
      body: '{}',
    });
    expect(charset.status).toBe(415);
    expect(charset.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const raw = await rawRequest(base, [
      'POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: x-unknown\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
    ]);
    expect(raw?.status).toBe(415);
    expect(JSON.parse(raw!.body).code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('catches a rejected async handler as Express 5 propagates it, without leaking its message', async () => {
    const { status, body } = await call('/async');
    expect(status).toBe(500);
    expect(JSON.stringify(body)).not.toContain('async secret');
  });

  it('answers errors passed to next()', async () => {
    expect((await call('/next')).body.code).toBe('CONFLICT');
  });

  it('answers 404 after the routes and 405 with Allow', async () => {
    expect((await call('/none')).body.code).toBe('NOT_FOUND');
    const wrong = await call('/strict', { method: 'PUT' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST, OPTIONS');
    const options = await fetch(`${base}/strict`, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('POST, OPTIONS');
  });

  it('answers 415 for a non-JSON body where express.json() would skip it, and for another charset', async () => {
    const { status, headers } = await call('/strict', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(status).toBe(415);
    expect(headers.get('accept')).toBe('application/json');
    const latin = await call('/strict', {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=latin1' },
      body: '{}',
    });
    expect(latin.status).toBe(415);
  });

  it('answers malformed JSON for invalid UTF-8, deep nesting and an empty JSON body', async () => {
    for (const body of [Buffer.from([0x7b, 0xff, 0x7d]), `${'['.repeat(300)}${']'.repeat(300)}`, '']) {
      const { status, body: answer } = await call('/strict', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(status).toBe(400);
      expect(answer.code).toBe('INVALID_REQUEST_BODY');
    }
  });

  it('answers 413 at once for a declared length over the limit and closes the connection', async () => {
    const raw = await rawRequest(base, [
      'POST /strict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n',
    ]);
    expect(raw?.status).toBe(413);
    expect(raw?.headers.connection).toBe('close');
  });

  it('survives a client that aborts mid-body (request.aborted)', async () => {
    await rawRequest(
      base,
      [
        'POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"a":',
      ],
      { abortAfterWrite: true },
    );
    expect((await call('/none')).status).toBe(404);
  });
});
