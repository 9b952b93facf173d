import { ApiError, defineErrors } from 'faultline';
import { createClient, RetryBudget } from 'faultline/client';
import { afterEach, describe, expect, it } from 'vitest';
import { type Reply, type Seen, scriptedServer } from '../../test/helpers/scripted.js';

const catalog = defineErrors({
  MAINTENANCE: { status: 503, message: 'Down for maintenance', retryable: false },
  SESSION_NOT_FOUND: { status: 404, message: 'Session not found' },
});

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function serve(script: (n: number, seen: Seen) => Reply) {
  const server = await scriptedServer(script);
  close = server.close;
  return server;
}

const problem = (status: number, code: string, extra: object = {}) => ({
  status,
  body: { status, code, detail: code, ...extra },
});
const fast = { random: () => 0 };
const delaysOf = (delays: number[]) => ({
  beforeRetry: ({ delay }: { delay: number }) => void delays.push(delay),
});

async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('createClient', () => {
  it('resolves a 2xx to its parsed JSON body, and an empty one to undefined', async () => {
    const server = await serve((n) =>
      n === 0
        ? { status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' }
        : { status: 204 },
    );
    const api = createClient({ baseUrl: server.base });
    expect(await api.get('/thing', { query: { a: 1, tags: ['x', 'y'] } })).toEqual({ ok: true });
    expect(server.requests[0]!.url).toBe('/thing?a=1&tags=x&tags=y');
    expect(await api.delete('/thing')).toBeUndefined();
  });

  it('rejects a non-2xx with an ApiError carrying code, status, message, details, correlation id and raw body', async () => {
    const server = await serve(() => ({
      status: 404,
      headers: { 'x-request-id': 'req-9' },
      body: {
        status: 404,
        code: 'SESSION_NOT_FOUND',
        detail: 'Session not found',
        details: { sessionId: 's1' },
      },
    }));
    const api = createClient({ baseUrl: server.base, catalog });
    const error = await rejection(api.get('/sessions/s1'));
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      code: 'SESSION_NOT_FOUND',
      status: 404,
      message: 'Session not found',
      details: { sessionId: 's1' },
      correlationId: 'req-9',
      attempts: 1,
    });
    expect(error.rawBody).toContain('SESSION_NOT_FOUND');
    expect(api.is(error, 'SESSION_NOT_FOUND')).toBe(true);
  });

  it('yields an ApiError with a code from the status for an HTML 502 from a proxy and for an empty body', async () => {
    const server = await serve((n) =>
      n === 0
        ? {
            status: 502,
            headers: { 'content-type': 'text/html' },
            body: '<html><h1>502 Bad Gateway</h1></html>',
          }
        : { status: 401 },
    );
    const api = createClient({ baseUrl: server.base, retry: false });
    const html = await rejection(api.get('/'));
    expect(html).toMatchObject({ code: 'BAD_GATEWAY', status: 502 });
    expect(html.rawBody).toContain('<h1>');
    expect(await rejection(api.get('/'))).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
  });

  it('never takes an HTML page from a proxy for an error of the catalog, and still retries its 502', async () => {
    const server = await serve((n) =>
      n === 0
        ? { status: 502, headers: { 'content-type': 'text/html' }, body: '<html>Bad Gateway</html>' }
        : problem(404, 'SESSION_NOT_FOUND'),
    );
    const api = createClient({ baseUrl: server.base, catalog, retry: { random: () => 0 } });
    const { error } = await api.safe.get('/');
    // The 502 was retried by its status; the retry reached the API, whose answer is typed by the catalog.
    expect(api.is(error, 'SESSION_NOT_FOUND')).toBe(true);
    const proxyOnly = await serve(() => ({
      status: 502,
      headers: { 'content-type': 'text/html' },
      body: '<html>Bad Gateway</html>',
    }));
    const direct = createClient({ baseUrl: proxyOnly.base, catalog, retry: false });
    const html = await rejection(direct.get('/'));
    expect(html).toMatchObject({ code: 'BAD_GATEWAY', status: 502, rawBody: '<html>Bad Gateway</html>' });
    expect(direct.is(html)).toBe(false);
    expect(direct.is(html, 'BAD_GATEWAY')).toBe(false);
  });

  it('keeps a code the catalog does not know as it came', async () => {
    const server = await serve(() => problem(418, 'TEAPOT_OVERHEATED'));
    const api = createClient({ baseUrl: server.base, catalog });
    const error = await rejection(api.get('/'));
    expect(error.code).toBe('TEAPOT_OVERHEATED');
    expect(api.is(error)).toBe(false);
  });

  it('reads at most 1 MiB of an error body', async () => {
    const server = await serve(() => ({ status: 500, body: 'x'.repeat(3 * 1024 * 1024) }));
    const api = createClient({ baseUrl: server.base, retry: false });
    const error = await rejection(api.get('/'));
    expect(error.rawBody.length).toBe(1024 * 1024);
    expect(error.code).toBe('INTERNAL_ERROR');
  });

  it('retries a GET up to 2 times (3 attempts in all)', async () => {
    const server = await serve(() => problem(503, 'SERVICE_UNAVAILABLE'));
    const api = createClient({ baseUrl: server.base, retry: fast });
    const error = await rejection(api.get('/'));
    expect(error.attempts).toBe(3);
    expect(server.requests).toHaveLength(3);
  });

  it('succeeds after retries', async () => {
    const server = await serve((n) =>
      n < 2
        ? problem(500, 'INTERNAL_ERROR')
        : { status: 200, body: '"done"', headers: { 'content-type': 'application/json' } },
    );
    const api = createClient({ baseUrl: server.base, retry: fast });
    expect(await api.get('/')).toBe('done');
    expect(server.requests).toHaveLength(3);
  });

  it('retries a POST with one generated Idempotency-Key reused on every attempt', async () => {
    const server = await serve(() => problem(503, 'SERVICE_UNAVAILABLE'));
    const api = createClient({ baseUrl: server.base, retry: fast });
    await rejection(api.post('/orders', { json: { sku: 'a' } }));
    const keys = server.requests.map((r) => r.headers['idempotency-key']);
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(server.requests[2]!.body).toBe('{"sku":"a"}');
  });

  it('never retries a POST or PATCH without a key when idempotency keys are off, unless the caller passes one', async () => {
    const server = await serve(() => problem(503, 'SERVICE_UNAVAILABLE'));
    const api = createClient({ baseUrl: server.base, retry: { ...fast, idempotencyKeys: false } });
    await rejection(api.post('/orders', { json: {} }));
    await rejection(api.patch('/orders/1', { json: {} }));
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]!.headers['idempotency-key']).toBeUndefined();
    await rejection(api.post('/orders', { json: {}, idempotencyKey: 'key-1' }));
    expect(server.requests.slice(2).map((r) => r.headers['idempotency-key'])).toEqual([
      'key-1',
      'key-1',
      'key-1',
    ]);
  });

  it.each([
    [400, 'BAD_REQUEST', {}, 1],
    [409, 'CONFLICT', {}, 1],
    [409, 'IDEMPOTENCY_IN_FLIGHT', {}, 3],
    [413, 'BODY_TOO_LARGE', {}, 1],
    [413, 'BODY_TOO_LARGE', { 'retry-after': '0' }, 3],
    [408, 'REQUEST_TIMEOUT', {}, 3],
    [429, 'RATE_LIMITED', {}, 3],
    [501, 'NOT_IMPLEMENTED', {}, 1],
    [503, 'MAINTENANCE', {}, 1],
  ])('answers %i %s (headers %o) in %i attempt(s)', async (status, code, headers, attempts) => {
    const server = await serve(() => ({ ...problem(status, code), headers }));
    const api = createClient({ baseUrl: server.base, catalog, retry: fast });
    const error = await rejection(api.get('/'));
    expect(error.attempts).toBe(attempts);
  });

  it('retries network errors', async () => {
    const server = await serve((n) =>
      n < 2 ? 'destroy' : { status: 200, body: '1', headers: { 'content-type': 'application/json' } },
    );
    const api = createClient({ baseUrl: server.base, retry: fast });
    expect(await api.get('/')).toBe(1);
  });

  it('times an attempt out and retries it', async () => {
    const server = await serve((n, seen) =>
      n === 0 || seen.url === '/slow'
        ? { status: 200, delayMs: 2000, body: '0' }
        : { status: 200, body: '1', headers: { 'content-type': 'application/json' } },
    );
    expect(await createClient({ baseUrl: server.base, timeout: 100, retry: fast }).get('/')).toBe(1);
    const error = await rejection(
      createClient({ baseUrl: server.base, timeout: 100, retry: false }).get('/slow'),
    );
    expect(error.name).toBe('TimeoutError');
  });

  it('with a signal of the caller, a timeout cancels the request on the wire', async () => {
    let closed: Promise<void> | undefined;
    const server = await serve(() => (res) => {
      // Never answers: the server sees the connection close when the client gives up.
      closed = new Promise((resolve) => res.on('close', () => resolve()));
    });
    const api = createClient({ baseUrl: server.base, timeout: 100, retry: false });
    const error = await rejection(api.get('/', { signal: new AbortController().signal }));
    expect(error.name).toBe('TimeoutError');
    await closed;
  });

  it('without a signal, a timed-out attempt rejects and its late response is discarded quietly', async () => {
    const server = await serve((n) =>
      n === 0
        ? { status: 200, delayMs: 300, body: '"late"', headers: { 'content-type': 'application/json' } }
        : { status: 200, body: '"fresh"', headers: { 'content-type': 'application/json' } },
    );
    const api = createClient({ baseUrl: server.base, timeout: 100, retry: false });
    expect((await rejection(api.get('/'))).name).toBe('TimeoutError');
    // The late answer arrives and is dropped; the next request is served normally.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await api.get('/')).toBe('fresh');
  });

  it.each([
    ['0', 0],
    ['3', 3000],
  ])('waits exactly the Retry-After delta-seconds %s, without jitter', async (value, expected) => {
    const delays: number[] = [];
    const server = await serve(() => ({
      ...problem(429, 'RATE_LIMITED'),
      headers: { 'retry-after': value },
    }));
    const controller = new AbortController();
    // The computed wait is asserted, not the time it takes: the wait is aborted as soon as it is known.
    const api = createClient({
      baseUrl: server.base,
      retry: {
        random: () => 0.5,
        beforeRetry: ({ delay }) => {
          delays.push(delay);
          controller.abort();
        },
      },
    });
    await rejection(api.get('/', { signal: controller.signal }));
    expect(delays).toEqual([expected]);
  });

  it.each([
    ['IMF-fixdate', 'Sun, 06 Nov 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 08:49:39 GMT'],
    ['RFC 850', 'Sunday, 06-Nov-94 08:49:37 GMT', 'Sunday, 06-Nov-94 08:49:39 GMT'],
    ['asctime', 'Sun Nov  6 08:49:37 1994', 'Sun Nov  6 08:49:39 1994'],
  ])('reads a Retry-After %s relative to the response Date', async (_, date, retryAt) => {
    const delays: number[] = [];
    const server = await serve((n) =>
      n === 0
        ? { ...problem(503, 'SERVICE_UNAVAILABLE'), headers: { date, 'retry-after': retryAt } }
        : { status: 204 },
    );
    const controller = new AbortController();
    const api = createClient({
      baseUrl: server.base,
      retry: {
        beforeRetry: ({ delay }) => {
          delays.push(delay);
          controller.abort();
        },
      },
    });
    await rejection(api.get('/', { signal: controller.signal }));
    expect(delays).toEqual([2000]);
  });

  it.each([
    ['a negative value', '-5'],
    ['junk', 'soon'],
  ])('falls back to backoff for %s', async (_, value) => {
    const delays: number[] = [];
    const server = await serve(() => ({
      ...problem(503, 'SERVICE_UNAVAILABLE'),
      headers: { 'retry-after': value },
    }));
    const api = createClient({ baseUrl: server.base, retry: { random: () => 0.5, ...delaysOf(delays) } });
    await rejection(api.get('/'));
    expect(delays).toEqual([50, 100]);
  });

  it('retries at once for a Retry-After date in the past', async () => {
    const delays: number[] = [];
    const server = await serve((n) =>
      n === 0
        ? {
            ...problem(503, 'SERVICE_UNAVAILABLE'),
            headers: { 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' },
          }
        : { status: 204 },
    );
    const api = createClient({ baseUrl: server.base, retry: delaysOf(delays) });
    await api.get('/');
    expect(delays).toEqual([0]);
  });

  it('fails at once when the server asks for a wait past maxRetryAfter (a far-future Retry-After)', async () => {
    const server = await serve(() => ({
      ...problem(429, 'RATE_LIMITED'),
      headers: { 'retry-after': '86400' },
    }));
    const api = createClient({ baseUrl: server.base });
    const error = await rejection(api.get('/'));
    expect(error.attempts).toBe(1);
    expect(error.retryAfter).toBe(86400);
  });

  it('uses the RateLimit field t= when there is no Retry-After', async () => {
    const delays: number[] = [];
    const server = await serve((n) =>
      n === 0
        ? { ...problem(429, 'RATE_LIMITED'), headers: { ratelimit: '"default";r=0;t=0' } }
        : { status: 204 },
    );
    const api = createClient({ baseUrl: server.base, retry: delaysOf(delays) });
    await api.get('/');
    expect(delays).toEqual([0]);
  });

  it('uses exponential backoff with full jitter, base 100 ms, capped', async () => {
    const server = await serve(() => problem(503, 'SERVICE_UNAVAILABLE'));
    const delays: number[] = [];
    await rejection(
      createClient({
        baseUrl: server.base,
        retry: { limit: 4, random: () => 0.01, ...delaysOf(delays) },
      }).get('/'),
    );
    expect(delays).toEqual([1, 2, 4, 8]);
    const capped: number[] = [];
    const retry = {
      limit: 3,
      random: () => 0.001,
      backoff: { base: 10_000, cap: 20_000 },
      ...delaysOf(capped),
    };
    await rejection(createClient({ baseUrl: server.base, retry }).get('/'));
    expect(capped).toEqual([10, 20, 20]);
  });

  it('stops when the total time budget would be passed', async () => {
    const server = await serve(() => ({
      ...problem(503, 'SERVICE_UNAVAILABLE'),
      headers: { 'retry-after': '2' },
    }));
    const api = createClient({ baseUrl: server.base, retry: { maxElapsed: 1000 } });
    const error = await rejection(api.get('/'));
    expect(error.attempts).toBe(1);
  });

  it('ends a wait at once when the caller aborts', async () => {
    const server = await serve(() => ({
      ...problem(503, 'SERVICE_UNAVAILABLE'),
      headers: { 'retry-after': '30' },
    }));
    const controller = new AbortController();
    const api = createClient({
      baseUrl: server.base,
      retry: { beforeRetry: () => void setTimeout(() => controller.abort(), 20) },
    });
    const error = await rejection(api.get('/', { signal: controller.signal }));
    expect(error.name).toBe('AbortError');
    expect(server.requests).toHaveLength(1);
  });

  it('shares a retry budget across requests so an outage does not multiply the load', async () => {
    const server = await serve(() => problem(503, 'SERVICE_UNAVAILABLE'));
    const budget = new RetryBudget({ capacity: 10, retryCost: 5 });
    const api = createClient({ baseUrl: server.base, retry: { ...fast, budget } });
    expect((await rejection(api.get('/'))).attempts).toBe(3);
    expect(budget.available).toBe(0);
    expect((await rejection(api.get('/'))).attempts).toBe(1);
  });

  it('never retries a body that cannot be replayed', async () => {
    const server = await serve(() => problem(503, 'SERVICE_UNAVAILABLE'));
    const api = createClient({ baseUrl: server.base, retry: fast });
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"a":1}'));
        controller.close();
      },
    });
    const error = await rejection(
      api.put('/stream', { body, headers: { 'content-type': 'application/json' } }),
    );
    expect(error.attempts).toBe(1);
    expect(server.requests[0]!.body).toBe('{"a":1}');
  });

  it('lets shouldRetry overrule the policy, and beforeRetry see each wait', async () => {
    const server = await serve(() => problem(400, 'BAD_REQUEST'));
    const seen: number[] = [];
    const api = createClient({
      baseUrl: server.base,
      retry: {
        ...fast,
        shouldRetry: ({ status }) => status === 400,
        beforeRetry: ({ attempt }) => void seen.push(attempt),
      },
    });
    await rejection(api.get('/'));
    expect(seen).toEqual([1, 2]);
  });

  it('resolves { data } or { error } in result style', async () => {
    const server = await serve((n) =>
      n === 0
        ? { status: 200, body: '{"a":1}', headers: { 'content-type': 'application/json' } }
        : problem(404, 'SESSION_NOT_FOUND'),
    );
    const api = createClient({ baseUrl: server.base, catalog });
    expect(await api.safe.get('/')).toEqual({ data: { a: 1 } });
    const { error } = await api.safe.get('/');
    expect(api.is(error, 'SESSION_NOT_FOUND')).toBe(true);
  });

  it('offers a fetch that retries and throws typed errors', async () => {
    const server = await serve((n) =>
      n === 0
        ? problem(503, 'SERVICE_UNAVAILABLE')
        : n === 1
          ? { status: 200, body: 'ok' }
          : problem(404, 'SESSION_NOT_FOUND'),
    );
    const api = createClient({ baseUrl: server.base, catalog, retry: fast });
    const response = await api.fetch('/x');
    expect(await response.text()).toBe('ok');
    expect((await rejection(api.fetch('/x'))).code).toBe('SESSION_NOT_FOUND');
  });
});
