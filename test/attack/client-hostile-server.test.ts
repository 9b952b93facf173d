/**
 * `faultline/client` against a hostile or broken upstream. The client runs in users' apps and browsers:
 * whatever a server answers, a request ends (never hangs or spins), reads a bounded amount, rejects with
 * an `ApiError` for an HTTP error (or the fetch's own error for a network failure), and retries a bounded
 * number of times. Every server here is a real node:http server on 127.0.0.1.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { ApiError } from 'faultline';
import { createClient, ofetchApiErrors, parseErrorResponse } from 'faultline/client';
import { ofetch } from 'ofetch';
import { afterEach, describe, expect, it } from 'vitest';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

interface Hostile {
  url: string;
  hits: () => number;
  /** Bytes the server managed to hand to its sockets. */
  written: () => number;
}

const servers: Server[] = [];
const timers = new Set<NodeJS.Timeout>();
afterEach(async () => {
  for (const timer of timers) clearInterval(timer);
  timers.clear();
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

async function hostile(handler: Handler): Promise<Hostile> {
  let hits = 0;
  let written = 0;
  const server = createServer((req, res) => {
    const write = res.write.bind(res);
    res.write = ((chunk: any, ...rest: any[]) => {
      written += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
      return write(chunk, ...rest);
    }) as typeof res.write;
    req.resume();
    res.on('error', () => {});
    handler(req, res, hits++);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, hits: () => hits, written: () => written };
}

/** Writes `total` bytes of `byte` in 64 KiB chunks, respecting backpressure, until done or the peer leaves. */
function stream(res: ServerResponse, total: number, byte = 0x61): void {
  const chunk = Buffer.alloc(64 * 1024, byte);
  let left = total;
  const pump = () => {
    while (left > 0 && !res.destroyed) {
      left -= chunk.byteLength;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  res.on('close', () => {
    left = 0;
  });
  pump();
}

/** Sends headers, then a byte every `ms` (never ending on its own; afterEach closes the connection). */
function trickle(res: ServerResponse, ms: number): void {
  const timer = setInterval(() => {
    if (res.destroyed) clearInterval(timer);
    else res.write('a');
  }, ms);
  timers.add(timer);
}

async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const MiB = 1024 * 1024;
const json = { 'content-type': 'application/problem+json' };

describe('error bodies a server makes too big, too slow or malformed', () => {
  it('cuts a 100 MB chunked error body at errorBodyLimit and rejects with an ApiError', async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(500, json);
      stream(res, 100 * MiB);
    });
    const api = createClient({ baseUrl: server.url, retry: false });
    const error = await rejection(api.get('/'));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(500);
    expect(Buffer.byteLength(error.rawBody)).toBeLessThanOrEqual(MiB);
  });

  it('cuts a 100 MB error body with a Content-Length at errorBodyLimit', async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(502, { 'content-length': String(100 * MiB), 'content-type': 'text/html' });
      stream(res, 100 * MiB);
    });
    const api = createClient({ baseUrl: server.url, retry: false, errorBodyLimit: 4096 });
    const error = await rejection(api.get('/'));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.code).toBe('BAD_GATEWAY');
    expect(error.rawBody.length).toBe(4096);
  });

  it('stops reading an error body that stalls forever after its headers at errorBodyTimeout', async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(503, json);
      res.write('{"code":"DOWN"');
    });
    const api = createClient({ baseUrl: server.url, retry: false, errorBodyTimeout: 200 });
    const error = await rejection(api.get('/'));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(503);
    expect(error.rawBody).toBe('{"code":"DOWN"');
  });

  it('stops reading an error body that trickles a byte at a time at errorBodyTimeout', async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(500, json);
      trickle(res, 20);
    });
    const api = createClient({ baseUrl: server.url, retry: false, errorBodyTimeout: 300 });
    const error = await rejection(api.get('/'));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.rawBody).toMatch(/^a*$/);
  });

  it('reads invalid UTF-8 as replacement characters, never a throw', async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(400, json);
      res.end(Buffer.from([0x7b, 0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x7d]));
    });
    const error = await rejection(createClient({ baseUrl: server.url }).get('/'));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.rawBody).toContain('\uFFFD');
  });

  it('unzips a gzip bomb on an error body only up to errorBodyLimit', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * MiB));
    const server = await hostile((_req, res) => {
      res.writeHead(500, { ...json, 'content-encoding': 'gzip', 'content-length': String(bomb.length) });
      res.end(bomb);
    });
    const error = await rejection(createClient({ baseUrl: server.url, retry: false }).get('/'));
    expect(error).toBeInstanceOf(ApiError);
    expect(Buffer.byteLength(error.rawBody)).toBeLessThanOrEqual(MiB);
  });

  it('reads an error body nested 100 000 levels deep without a RangeError', async () => {
    const depth = 100_000;
    const bodies = [
      '['.repeat(depth) + ']'.repeat(depth),
      `{"code":"DEEP","status":400,"details":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`,
      `{"type":"about:blank","status":400,"title":"t","errors":${'['.repeat(depth)}${']'.repeat(depth)}}`,
    ];
    const server = await hostile((_req, res, n) => {
      res.writeHead(400, json);
      res.end(bodies[n]);
    });
    const api = createClient({ baseUrl: server.url, retry: false });
    for (const _ of bodies) {
      const error = await rejection(api.get('/'));
      expect(error).toBeInstanceOf(ApiError);
      expect(error.status).toBe(400);
      expect(typeof error.code).toBe('string');
      expect(() => JSON.stringify(error)).not.toThrow(TypeError);
    }
  });

  it('keeps __proto__ and constructor keys of an error body as data: nothing is polluted', async () => {
    const body =
      '{"code":"X","status":400,"message":"m","__proto__":{"polluted":1,"status":200},' +
      '"constructor":{"prototype":{"polluted":1}},"details":{"__proto__":{"polluted":1}},' +
      '"errors":[{"__proto__":{"polluted":1}}]}';
    const server = await hostile((_req, res) => {
      res.writeHead(400, json);
      res.end(body);
    });
    const error = await rejection(createClient({ baseUrl: server.url }).get('/'));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(400);
    expect(Object.getPrototypeOf(error)).toBe(ApiError.prototype);
    expect(error.polluted).toBeUndefined();
    expect(({} as any).polluted).toBeUndefined();
    expect((Object.prototype as any).polluted).toBeUndefined();
    if (error.details !== undefined && error.details !== null) {
      expect(Object.getPrototypeOf(error.details)).toBe(Object.prototype);
      expect(error.details.polluted).toBeUndefined();
    }
  });

  it('types a code, status or message that is no string as the status code, never a crash', async () => {
    const bodies = [
      { code: 123, status: 'abc', message: { a: 1 } },
      { code: { toString: 1 }, status: 1e308, detail: ['x'] },
      { code: ['A', 'B'], status: -1, title: null },
      { code: null, status: 200, message: 7 },
      { error: { code: true, message: [] } },
    ];
    const server = await hostile((_req, res, n) => {
      res.writeHead(422, json);
      res.end(JSON.stringify(bodies[n]));
    });
    const api = createClient({ baseUrl: server.url });
    for (const _ of bodies) {
      const error = await rejection(api.get('/'));
      expect(error).toBeInstanceOf(ApiError);
      expect(error.status).toBe(422);
      expect(typeof error.code).toBe('string');
      expect(typeof error.message).toBe('string');
    }
  });

  it('takes a 200 carrying an error envelope as data: the status speaks, not the body', async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"error":{"code":"BAD","message":"no"},"status":500}');
    });
    const data = await createClient({ baseUrl: server.url }).get<any>('/');
    expect(data.error.code).toBe('BAD');
  });

  it('rejects a status no fetch accepts with an Error, never a hang', async () => {
    const server = await hostile((req, res) => {
      res.socket?.end('HTTP/1.1 999 Weird\r\ncontent-length: 0\r\n\r\n');
      void req;
    });
    const error = await rejection(createClient({ baseUrl: server.url, retry: false }).get('/'));
    expect(error).toBeInstanceOf(Error);
  });
});

describe('2xx bodies a server never finishes', () => {
  it('ends a request whose 2xx body stalls after its headers at the timeout', async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"a":');
    });
    const api = createClient({ baseUrl: server.url, timeout: 300, retry: false });
    const error = await rejection(api.get('/'));
    expect(error).toBeInstanceOf(DOMException);
    expect(error.name).toBe('TimeoutError');
  });

  it('ends a request whose 2xx body trickles forever at the timeout, with a signal of the caller too', async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      trickle(res, 20);
    });
    const api = createClient({ baseUrl: server.url, timeout: 300, retry: false });
    const error = await rejection(api.get('/', { signal: new AbortController().signal }));
    expect(error.name).toBe('TimeoutError');
  });

  it('rejects a 2xx JSON body that is no JSON with an Error', async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{not json');
    });
    const error = await rejection(createClient({ baseUrl: server.url }).get('/'));
    expect(error).toBeInstanceOf(Error);
  });
});

describe('waits a server asks for', () => {
  const waits: [string, Record<string, string | string[]>][] = [
    ['Retry-After: 99999999', { 'retry-after': '99999999' }],
    ['Retry-After of 400 digits', { 'retry-after': '9'.repeat(400) }],
    ['Retry-After: a date in the year 9999', { 'retry-after': 'Fri, 31 Dec 9999 23:59:59 GMT' }],
  ];
  for (const [name, headers] of waits) {
    it(`gives up at once on ${name} (past maxRetryAfter), never sleeping it`, async () => {
      const server = await hostile((_req, res) => {
        res.writeHead(503, { ...json, ...headers });
        res.end('{"code":"DOWN","status":503}');
      });
      const error = await rejection(createClient({ baseUrl: server.url }).get('/'));
      expect(error).toBeInstanceOf(ApiError);
      expect(error.attempts).toBe(1);
      expect(server.hits()).toBe(1);
    });
  }

  const junk: [string, Record<string, string | string[]>][] = [
    ['Retry-After: -1', { 'retry-after': '-1' }],
    ['Retry-After: 1e308', { 'retry-after': '1e308' }],
    ['Retry-After: a date in 1970', { 'retry-after': 'Thu, 01 Jan 1970 00:00:00 GMT' }],
    ['Retry-After: 0', { 'retry-after': '0' }],
    ['RateLimit r=0;t=1e308', { ratelimit: '"x";r=0;t=1e308' }],
    ['RateLimit r=0;t of 400 digits', { ratelimit: `"x";r=0;t=${'9'.repeat(400)}` }],
    // 8 KB: undici refuses a header block past 16 KiB as a network error.
    ['RateLimit of 8 KB of parameters', { ratelimit: `"x"${';r=0'.repeat(2000)}` }],
    ['1000 duplicated Retry-After fields', { 'retry-after': Array.from({ length: 1000 }, () => '1') }],
    ['a Date header of junk', { 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT', date: 'not a date' }],
  ];
  for (const [name, headers] of junk) {
    it(`retries ${name} at most the retry limit, each wait bounded`, async () => {
      const server = await hostile((_req, res) => {
        res.writeHead(429, { ...json, ...headers });
        res.end('{"code":"SLOW","status":429}');
      });
      const delays: number[] = [];
      const api = createClient({
        baseUrl: server.url,
        retry: { backoff: { base: 1, cap: 5 }, beforeRetry: ({ delay }) => void delays.push(delay) },
      });
      const error = await rejection(api.get('/'));
      expect(error).toBeInstanceOf(ApiError);
      expect(error.status).toBe(429);
      expect(server.hits()).toBeLessThanOrEqual(3);
      for (const delay of delays) {
        expect(Number.isFinite(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(60_000);
      }
    });
  }

  it('stops a 429 forever with Retry-After: 0 under a limit of 10 000 at the shared retry budget', async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(429, { ...json, 'retry-after': '0' });
      res.end('{"code":"SLOW","status":429}');
    });
    const api = createClient({ baseUrl: server.url, retry: { limit: 10_000 } });
    const error = await rejection(api.get('/'));
    expect(error).toBeInstanceOf(ApiError);
    // 500 tokens at 5 a retry: 100 retries, then the budget is empty and the next request is not retried.
    expect(server.hits()).toBe(101);
    await rejection(api.get('/'));
    expect(server.hits()).toBe(102);
  });

  it('stops a 503 with Retry-After: 0 in a tight loop at maxElapsed when the budget is off', async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(503, { 'retry-after': '0' });
      res.end();
    });
    const api = createClient({
      baseUrl: server.url,
      retry: { limit: 100_000, budget: false, maxElapsed: 300 },
    });
    const error = await rejection(api.get('/'));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
    expect(server.hits()).toBeLessThan(100_000);
  });

  it('ends a redirect loop with an Error, retrying it a bounded number of times', async () => {
    const server = await hostile((req, res) => {
      res.writeHead(307, { location: req.url === '/a' ? '/b' : '/a', 'retry-after': '0' });
      res.end();
    });
    const error = await rejection(createClient({ baseUrl: server.url }).get('/a'));
    expect(error).toBeInstanceOf(Error);
    // fetch follows 20 redirects; the client then retries a network error twice.
    expect(server.hits()).toBeLessThanOrEqual(3 * 21);
  });

  it('never retries a POST without an idempotency key, whatever the server says', async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(503, { 'retry-after': '0', 'idempotent-replayed': 'true' });
      res.end();
    });
    const api = createClient({ baseUrl: server.url, retry: { idempotencyKeys: false } });
    await rejection(api.post('/', { json: { a: 1 } }));
    expect(server.hits()).toBe(1);
  });

  it('sends one idempotency key on every attempt of a POST the server keeps refusing as in flight', async () => {
    const keys = new Set<string | undefined>();
    const server = await hostile((req, res) => {
      keys.add(req.headers['idempotency-key'] as string | undefined);
      res.writeHead(409, { ...json, 'retry-after': '0', 'idempotent-replayed': 'true' });
      res.end('{"code":"IDEMPOTENCY_IN_FLIGHT","status":409}');
    });
    const error = await rejection(createClient({ baseUrl: server.url }).post('/', { json: {} }));
    expect(error.code).toBe('IDEMPOTENCY_IN_FLIGHT');
    expect(server.hits()).toBe(3);
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('the hooks for other clients', () => {
  it('ofetchApiErrors types a 100 MB error body ofetch read, keeping bodyLimit of it', async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      stream(res, 8 * MiB);
    });
    const api = ofetchApiErrors(ofetch.create({ baseURL: server.url, retry: 0 }), { bodyLimit: 1000 });
    const error = await rejection(api('/'));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.rawBody.length).toBeLessThanOrEqual(1000);
  });

  it('parseErrorResponse reads __proto__ in a header-less 429 without polluting', async () => {
    const response = new Response('{"__proto__":{"retryAfter":5},"code":"X","status":429}', { status: 429 });
    const error = await parseErrorResponse(response);
    expect(error).toBeInstanceOf(ApiError);
    expect(({} as any).retryAfter).toBeUndefined();
  });
});
