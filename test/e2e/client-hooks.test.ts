import { createServer } from 'node:http';
import { ApiError, defineErrors } from 'faultline';
import { kyApiErrors, ofetchApiErrors, parseErrorParts } from 'faultline/client';
import { createNodeErrors, createRouter } from 'faultline/node';
import ky from 'ky';
import { ofetch } from 'ofetch';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { close, listen } from '../helpers/http.js';

const errors = defineErrors({
  SESSION_NOT_FOUND: {
    status: 404,
    message: 'Session {sessionId} not found',
    details: z.object({ sessionId: z.string() }),
  },
});

// A faultline API on 127.0.0.1, and the answers of a proxy in front of it.
const hits: Record<string, number> = {};
const routes = createRouter()
  .get('/sessions/:id', (_req, _res, { params }) => {
    hits.session = (hits.session ?? 0) + 1;
    throw errors.create('SESSION_NOT_FOUND', { sessionId: params.id! });
  })
  .get('/busy', () => {
    hits.busy = (hits.busy ?? 0) + 1;
    if (hits.busy === 1)
      throw errors.builtin('serviceUnavailable', undefined, { headers: { 'Retry-After': '1' } });
    return { ok: true, attempt: hits.busy };
  })
  .get('/down', () => {
    hits.down = (hits.down ?? 0) + 1;
    throw errors.builtin('serviceUnavailable', undefined, { headers: { 'Retry-After': '1' } });
  });
const handle = createNodeErrors({ catalog: errors, onError: false })(routes.handle);
// A catalog answer padded past the clients' errorBodyLimit below.
const bigBody = JSON.stringify({
  type: 'urn:problem-type:SESSION_NOT_FOUND',
  status: 404,
  code: 'SESSION_NOT_FOUND',
  detail: 'Session big not found',
  details: { sessionId: 'big', padding: 'x'.repeat(4096) },
});
const server = createServer((req, res) => {
  if (req.url === '/proxy') {
    hits.proxy = (hits.proxy ?? 0) + 1;
    res.writeHead(502, { 'content-type': 'text/html' });
    res.end('<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>');
  } else if (req.url === '/big') {
    res.writeHead(404, { 'content-type': 'application/problem+json' });
    res.end(bigBody);
  } else if (req.url === '/truncated') {
    res.writeHead(404, { 'content-type': 'application/problem+json' });
    res.end('{"code":"SESSION_NOT_FOUND","detail":"Sess');
  } else void handle(req, res);
});

let base = '';
beforeAll(async () => {
  base = await listen(server);
});
afterAll(() => close(server));
beforeEach(() => {
  for (const key of Object.keys(hits)) delete hits[key];
});

const caught = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('kyApiErrors: ky 2 rejects with typed ApiErrors, and keeps its own retries', () => {
  const api = () => ky.create({ baseUrl: base, ...kyApiErrors({ catalog: errors, bodyLimit: 1024 }) });

  it('a 404 of the catalog: typed, with its code, details and correlation id, never retried', async () => {
    const error = await caught(api().get('sessions/abc').json());
    expect(errors.is(error, 'SESSION_NOT_FOUND') && error.details.sessionId).toBe('abc');
    expect(error).toMatchObject({ status: 404, message: 'Session abc not found', attempts: 1 });
    const { correlationId, headers } = error as { correlationId: string; headers: Record<string, string> };
    expect(correlationId).toMatch(/\S/);
    expect(headers['x-request-id']).toBe(correlationId);
    expect(hits.session).toBe(1);
  });

  it('a 503 with Retry-After is retried by ky after the wait it asks for, then succeeds', async () => {
    expect(await api().get('busy').json()).toEqual({ ok: true, attempt: 2 });
    expect(hits.busy).toBe(2);
  });

  it('a 503 that stays down rejects, after ky’s retries, with retryAfter and ky’s attempts', async () => {
    const error = await caught(
      api()
        .get('down', { retry: { limit: 1 } })
        .json(),
    );
    expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503, retryAfter: 1, attempts: 2 });
    expect(hits.down).toBe(2);
  });

  it('a body over bodyLimit is cut there and read as no answer of the API', async () => {
    const error = await caught(api().get('big').json());
    expect(error instanceof ApiError).toBe(true);
    expect(errors.is(error)).toBe(true); // NOT_FOUND, the standard code every catalog holds
    expect(error).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    expect((error as { rawBody: string }).rawBody).toBe(bigBody.slice(0, 1024));
  });

  it('a body that is not the JSON its type claims keeps its text', async () => {
    const error = await caught(api().get('truncated').json());
    expect(error).toMatchObject({ code: 'NOT_FOUND', rawBody: '{"code":"SESSION_NOT_FOUND","detail":"Sess' });
  });

  it('a proxy’s HTML 502: the status’s code, the page kept, retried by ky as a 502', async () => {
    const error = await caught(
      api()
        .get('proxy', { retry: { limit: 1 } })
        .json(),
    );
    expect(error).toMatchObject({
      code: 'BAD_GATEWAY',
      status: 502,
      rawBody: '<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>',
      attempts: 2,
    });
    expect(hits.proxy).toBe(2);
  });

  it('added with extend, beside hooks of the app’s own, which still run', async () => {
    const seen: number[] = [];
    const withOwn = ky
      .create({
        baseUrl: base,
        hooks: { afterResponse: [({ response }) => void seen.push(response.status)] },
      })
      .extend(kyApiErrors({ catalog: errors }));
    const error = await caught(withOwn.get('sessions/xyz').json());
    expect(errors.is(error, 'SESSION_NOT_FOUND') && error.details.sessionId).toBe('xyz');
    expect(seen).toEqual([404]);
  });

  it('a network error passes through as ky’s own', async () => {
    const error = await caught(
      ky.get('http://127.0.0.1:9/none', { retry: 0, ...kyApiErrors({ catalog: errors }) }).json(),
    );
    expect(error instanceof ApiError).toBe(false);
    expect((error as Error).name).toBe('NetworkError');
  });
});

describe('ofetchApiErrors: ofetch 1 rejects with typed ApiErrors, and keeps its own retries', () => {
  const api = () => ofetchApiErrors(ofetch.create({ baseURL: base }), { catalog: errors, bodyLimit: 1024 });

  it('a 404 of the catalog: typed, with its code, details and correlation id, never retried', async () => {
    const error = await caught(api()('/sessions/abc'));
    expect(errors.is(error, 'SESSION_NOT_FOUND') && error.details.sessionId).toBe('abc');
    expect(error).toMatchObject({ status: 404, message: 'Session abc not found' });
    const { correlationId, headers } = error as { correlationId: string; headers: Record<string, string> };
    expect(headers['x-request-id']).toBe(correlationId);
    expect(hits.session).toBe(1);
  });

  it('a 503 with Retry-After is retried by ofetch’s own policy (once, for a GET), then succeeds', async () => {
    expect(await api()('/busy')).toEqual({ ok: true, attempt: 2 });
    expect(hits.busy).toBe(2);
  });

  it('a 503 that stays down rejects after ofetch’s one retry, with retryAfter', async () => {
    const error = await caught(api()('/down'));
    expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503, retryAfter: 1 });
    expect(hits.down).toBe(2);
  });

  it('a body over bodyLimit is cut there and read as no answer of the API', async () => {
    const error = await caught(api()('/big'));
    expect(error).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    expect((error as { rawBody: string }).rawBody.length).toBeLessThanOrEqual(1024);
  });

  it('a proxy’s HTML 502: the status’s code and the page kept; .raw and create() are wrapped too', async () => {
    const error = await caught(api().raw('/proxy', { retry: 0 }));
    expect(error).toMatchObject({
      code: 'BAD_GATEWAY',
      status: 502,
      rawBody: '<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>',
    });
    const child = api().create({ retry: 0 });
    expect(await caught(child('/sessions/x'))).toMatchObject({ code: 'SESSION_NOT_FOUND' });
  });

  it('a network error passes through as ofetch’s own', async () => {
    const error = await caught(api()('http://127.0.0.1:9/none', { retry: 0 }));
    expect(error instanceof ApiError).toBe(false);
    expect((error as Error).name).toBe('FetchError');
  });
});

describe('parseErrorParts: any client’s status, headers and body', () => {
  it('reads a parsed body with its headers, and a text body cut at the limit', async () => {
    const parsed = await parseErrorParts(
      {
        status: 429,
        headers: { 'retry-after': '7', 'x-request-id': 'r-1' },
        body: { code: 'SESSION_NOT_FOUND', message: 'Session a not found', details: { sessionId: 'a' } },
      },
      { catalog: errors },
    );
    expect(parsed).toMatchObject({
      code: 'SESSION_NOT_FOUND',
      status: 429,
      retryAfter: 7,
      correlationId: 'r-1',
    });
    const cut = await parseErrorParts({ status: 404, headers: {}, body: bigBody }, { bodyLimit: 100 });
    expect(cut).toMatchObject({ code: 'NOT_FOUND', rawBody: bigBody.slice(0, 100) });
  });
});
