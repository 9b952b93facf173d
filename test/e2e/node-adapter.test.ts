import { createServer } from 'node:http';
import express from 'express';
import { createExpressErrors } from 'faultline/express';
import { createNodeErrors, readJson, sendJson } from 'faultline/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../examples/adapters/node.js';
import { close, listen, rawRequest } from '../helpers/http.js';
import { freePort, startCommand } from '../helpers/spawn.js';

const server = createApp();
let base = '';
beforeAll(async () => {
  base = await listen(server);
});
afterAll(() => close(server));

async function call(path: string, init: RequestInit = {}) {
  const response = await fetch(base + path, init);
  const text = await response.text();
  return { response, text, json: text ? JSON.parse(text) : undefined };
}

const json = (body: string, type = 'application/json'): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': type },
  body,
});

describe('faultline/node example server', () => {
  it('echoes a valid body', async () => {
    const { response, json: body } = await call('/echo', json('{"email":"a@example.com"}'));
    expect(response.status).toBe(200);
    expect(body).toEqual({ email: 'a@example.com' });
  });

  it('answers 400 with the malformed-JSON code for bad JSON', async () => {
    const { response, json: body } = await call('/echo', json('{"email":'));
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(body.code).toBe('MALFORMED_JSON');
  });

  it('answers 400 with a field error for email on a validation failure', async () => {
    const { response, json: body } = await call('/echo', json('{"email":1}'));
    expect(response.status).toBe(400);
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.type).toBe('https://docs.example.com/errors#VALIDATION_FAILED');
    expect(body.errors).toEqual([{ pointer: '/email', detail: expect.any(String) }]);
  });

  it('answers 415 with Accept for a body that is not JSON', async () => {
    const { response, json: body } = await call(
      '/echo',
      json('email=a', 'application/x-www-form-urlencoded'),
    );
    expect(response.status).toBe(415);
    expect(response.headers.get('accept')).toBe('application/json');
    expect(body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(
      (await call('/echo', json('{"email":"x"}', 'application/json; charset=latin1'))).response.status,
    ).toBe(415);
  });

  it('accepts a charset parameter of utf-8', async () => {
    const { response } = await call('/echo', json('{"email":"x"}', 'application/json; charset=UTF-8'));
    expect(response.status).toBe(200);
  });

  it('answers 400 for invalid UTF-8 and for an empty body', async () => {
    const invalid = await call('/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from([0x7b, 0x22, 0x65, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
    });
    expect(invalid.response.status).toBe(400);
    expect(invalid.json.code).toBe('MALFORMED_JSON');
    expect((await call('/echo', json(''))).json.code).toBe('MALFORMED_JSON');
  });

  it('answers 400 for JSON nested 100 000 deep, without overflowing the stack', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const { response, json: body } = await call('/echo', json(deep));
    expect(response.status).toBe(400);
    expect(body.code).toBe('MALFORMED_JSON');
  });

  it('answers 413 at once when Content-Length exceeds the limit, before any body is sent', async () => {
    const response = await rawRequest(base, [
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10485760\r\n\r\n',
    ]);
    expect(response?.status).toBe(413);
    expect(response?.headers.connection).toBe('close');
    expect(JSON.parse(response!.body).code).toBe('BODY_TOO_LARGE');
  });

  it('answers 413 for a 10 MB body', async () => {
    const { response, json: body } = await call('/echo', json(`{"email":"${'a'.repeat(10 * 1024 * 1024)}"}`));
    expect(response.status).toBe(413);
    expect(body.code).toBe('BODY_TOO_LARGE');
  });

  it('answers 413 while streaming a chunked body past the limit', async () => {
    const chunk = Buffer.alloc(256 * 1024, 'a');
    const chunks: (string | Buffer)[] = [
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
    ];
    for (let i = 0; i < 6; i++) chunks.push(`${chunk.length.toString(16)}\r\n`, chunk, '\r\n');
    const response = await rawRequest(base, chunks);
    expect(response?.status).toBe(413);
  });

  it('survives a client that aborts mid-body, and keeps serving', async () => {
    for (let i = 0; i < 5; i++) {
      await rawRequest(
        base,
        [
          'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"email":',
        ],
        { abortAfterWrite: true },
      );
    }
    expect((await call('/echo', json('{"email":"still"}'))).response.status).toBe(200);
  });

  it('answers 405 with Allow: POST, OPTIONS for DELETE /echo', async () => {
    const { response, json: body } = await call('/echo', { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST, OPTIONS');
    expect(body.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('answers 404 SESSION_NOT_FOUND with the session id in details', async () => {
    const { response, json: body } = await call('/sessions/abc-123');
    expect(response.status).toBe(404);
    expect(body).toMatchObject({ code: 'SESSION_NOT_FOUND', id: 4001, details: { sessionId: 'abc-123' } });
    expect(body.detail).toBe('Session abc-123 not found');
  });

  it('answers 429 RATE_LIMITED with Retry-After: 1', async () => {
    const { response, json: body } = await call('/limited');
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(body.code).toBe('RATE_LIMITED');
  });

  it('answers 500 for a thrown Error and its text never appears', async () => {
    const { response, text } = await call('/boom');
    expect(response.status).toBe(500);
    expect(text).not.toContain('db-password-123');
    expect(JSON.parse(text).code).toBe('INTERNAL_ERROR');
  });

  it('answers 500 for a thrown string', async () => {
    const { response, text } = await call('/throw-string');
    expect(response.status).toBe(500);
    expect(text).not.toContain('db-password-123');
  });

  it('answers 404 with the not-found code for anything else', async () => {
    const { response, json: body } = await call('/nowhere/at/all');
    expect(response.status).toBe(404);
    expect(body.code).toBe('NOT_FOUND');
  });

  it('echoes a safe x-request-id and replaces an unsafe one', async () => {
    const safe = await call('/nowhere', { headers: { 'x-request-id': 'req-42' } });
    expect(safe.response.headers.get('x-request-id')).toBe('req-42');
    expect(safe.json.correlation_id).toBe('req-42');
    for (const unsafe of ['a b c', 'x'.repeat(10_000)]) {
      const replaced = await call('/nowhere', { headers: { 'x-request-id': unsafe } });
      expect(replaced.response.headers.get('x-request-id')).not.toBe(unsafe);
      expect(replaced.json.correlation_id).toBe(replaced.response.headers.get('x-request-id'));
    }
  });
});

describe('npx tsx examples/adapters/node.ts', () => {
  it('starts on PORT on 127.0.0.1 and serves the conformance routes', async () => {
    const port = await freePort();
    const started = await startCommand('npx', ['tsx', 'examples/adapters/node.ts'], port);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/limited`);
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('1');
    } finally {
      started.stop();
    }
  }, 60_000);
});

describe('a JSON body read twice (an app-wide reader, then a route’s stricter one)', () => {
  it('reads the kept bytes under each reader’s own limit, on node and on Express', async () => {
    const errors = createNodeErrors({ logger: false });
    const node = createServer(
      errors(async (req, res) => {
        const wide = await readJson(req, { limit: '1kb' });
        const strict = await readJson(req, { limit: 16 });
        sendJson(res, 200, { wide, strict });
      }),
    );
    const layer = createExpressErrors({ logger: false });
    const app = express();
    app.use(layer.json({ limit: '1kb' }));
    app.post('/', layer.json({ limit: 16 }), (req, res) => void res.json({ strict: req.body }));
    app.use(layer.handler);
    const chunked = (url: string, body: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // A stream: no Content-Length, so only the read itself can hold the body to each limit.
        body: new Blob([body]).stream(),
        duplex: 'half',
      } as RequestInit);
    for (const server of [node, createServer(app)]) {
      const url = await listen(server);
      const small = await chunked(url, '{"a":1}');
      expect(small.status).toBe(200);
      expect((await small.json()).strict).toEqual({ a: 1 });
      const large = await chunked(url, `{"a":"${'x'.repeat(40)}"}`);
      expect(large.status).toBe(413);
      expect((await large.json()).code).toBe('BODY_TOO_LARGE');
      await close(server);
    }
  });
});

// A head that stalls past the server's headersTimeout is node's ERR_HTTP_REQUEST_TIMEOUT: the answer is
// the catalog's 408, as node's own and nginx's are, not "malformed" (before: 400 BAD_REQUEST).
it('answers a head that stalls past headersTimeout 408 REQUEST_TIMEOUT in the catalog format', async () => {
  const handle = createNodeErrors({ onError: false });
  const slow = createServer(
    { headersTimeout: 300, requestTimeout: 600, connectionsCheckingInterval: 50 },
    handle((_req, res) => sendJson(res, 200, { ok: true })),
  ).on('clientError', handle.clientError);
  const base = await listen(slow);
  try {
    const { connect } = await import('node:net');
    const socket = connect(Number(new URL(base).port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
    });
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: a');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer within 10 s')), 10_000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(received).toContain('"code":"REQUEST_TIMEOUT"');
  } finally {
    await close(slow);
  }
});
