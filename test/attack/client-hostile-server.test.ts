/**
 * `faultline/client` against a hostile or broken upstream. The client runs in users' apps and browsers:
 * whatever a server answers, a request ends (never hangs or spins), reads a bounded amount, rejects with
 * an `ApiError` for an HTTP error (or the fetch's own error for a network failure), and retries a bounded
 * number of times. Every server here is a real node:http server on 127.0.0.1.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { ApiError, defineErrors, wsDefinitions } from 'faultline';
import {
  clientCatalog,
  clientCatalogJSON,
  connectSocket,
  createClient,
  ofetchApiErrors,
  parseErrorParts,
  parseErrorResponse,
  type SocketClient,
  type WebSocketConstructor,
} from 'faultline/client';
import { ofetch } from 'ofetch';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { rejection } from '../helpers/http.js';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

interface Hostile {
  url: string;
  hits: () => number;
  /** Bytes the server managed to hand to its sockets. */
  written: () => number;
}

const servers: Server[] = [];
const timers = new Set<NodeJS.Timeout>();
/** Upgraded sockets leave their server's books: closeAllConnections no longer sees them. */
const upgraded = new Set<import('node:stream').Duplex>();
afterEach(async () => {
  for (const socket of upgraded) socket.destroy();
  upgraded.clear();
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

  it('stops an endless 2xx body at the default bodyLimit with a RangeError, never taking the memory', async () => {
    let sent = 0;
    const server = await hostile((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      // Endless as far as the client can tell: at most 100 MiB, written as the client reads.
      const pump = () => {
        while (sent < 100 && !res.destroyed) {
          sent++;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const error = await rejection(createClient({ baseUrl: server.url, retry: false }).get('/'));
    expect(error).toBeInstanceOf(RangeError);
    expect(sent).toBeLessThan(100);
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

  it('bounds 50 concurrent requests against a 503 forever by the one budget the client shares', async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(503, { 'retry-after': '0' });
      res.end();
    });
    const api = createClient({ baseUrl: server.url, retry: { limit: 1000 } });
    const results = await Promise.all(Array.from({ length: 50 }, () => api.safe.get('/')));
    expect(results.every((r) => r.error instanceof ApiError)).toBe(true);
    // 50 first attempts, then at most 100 retries (500 tokens at 5 each) between them all.
    expect(server.hits()).toBeLessThanOrEqual(150);
    expect(api.budget?.available).toBeLessThan(5);
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

describe('waits and timeouts a user widened', () => {
  it('sleeps a Retry-After past 2^31 - 1 ms under maxRetryAfter: Infinity, never retrying at once', async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(503, { 'retry-after': '99999999' });
      res.end();
    });
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const api = createClient({
      baseUrl: server.url,
      retry: {
        maxRetryAfter: Number.POSITIVE_INFINITY,
        maxElapsed: Number.POSITIVE_INFINITY,
        // The wait is ended by the caller; a timer that overflowed would have retried long before.
        beforeRetry: () => {
          timer = setTimeout(() => controller.abort(), 300);
        },
      },
    });
    const error = await rejection(api.get('/', { signal: controller.signal }));
    clearTimeout(timer);
    expect(error.name).toBe('AbortError');
    expect(server.hits()).toBe(1);
  });

  it('ends a server that never answers at the timeout of each attempt, retried at most the limit', async () => {
    const server = await hostile(() => {});
    const error = await rejection(
      createClient({ baseUrl: server.url, timeout: 100, retry: { backoff: { base: 1, cap: 2 } } }).get('/'),
    );
    expect(error.name).toBe('TimeoutError');
    expect(server.hits()).toBe(3);
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

  it('ofetchApiErrors types an error body nested 100 000 levels deep that ofetch parsed', async () => {
    const depth = 100_000;
    const server = await hostile((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(`{"code":"DEEP","details":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    });
    const api = ofetchApiErrors(ofetch.create({ baseURL: server.url, retry: 0 }));
    const error = await rejection(api('/'));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(400);
  });

  it('parseErrorParts reads a body another client hands over that cannot be serialised as an unknown body', async () => {
    const cyclic: Record<string, unknown> = { code: 'X' };
    cyclic.self = cyclic;
    const bodies = [
      cyclic,
      {
        code: 'Y',
        toJSON: () => {
          throw new Error('no');
        },
      },
      { code: 'Z', big: 10n },
      Object.defineProperty({}, 'code', {
        enumerable: true,
        get: () => {
          throw new Error('no');
        },
      }),
    ];
    for (const body of bodies) {
      const error = await parseErrorParts({ status: 500, headers: {}, body });
      expect(error).toBeInstanceOf(ApiError);
      expect(error.status).toBe(500);
      expect(error.rawBody).toBe('');
    }
  });

  it('parseErrorResponse reads __proto__ in a header-less 429 without polluting', async () => {
    const response = new Response('{"__proto__":{"retryAfter":5},"code":"X","status":429}', { status: 429 });
    const error = await parseErrorResponse(response);
    expect(error).toBeInstanceOf(ApiError);
    expect(({} as any).retryAfter).toBeUndefined();
  });
});

const Ws = WebSocket as unknown as WebSocketConstructor;
const sockets: SocketClient[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

/** A WebSocket server on 127.0.0.1 that runs `onConnection` for each connection; counts them. */
async function hostileSocket(onConnection: (ws: WebSocket, n: number) => void) {
  const server = await hostile((_req, res) => {
    res.writeHead(404);
    res.end();
  });
  const wss = new WebSocketServer({ noServer: true });
  let connections = 0;
  const http = servers[servers.length - 1]!;
  http.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, connections++));
  });
  http.on('close', () => wss.close());
  return { url: server.url.replace('http', 'ws'), connections: () => connections };
}

/** A server whose handshakes get `raw` written to their socket, as it is. */
async function rawHandshake(raw: (socket: import('node:stream').Duplex) => void) {
  const server = await hostile((_req, res) => res.end());
  servers[servers.length - 1]!.on('upgrade', (_req, socket) => {
    socket.on('error', () => {});
    upgraded.add(socket);
    raw(socket);
  });
  return server.url.replace('http', 'ws');
}

function connect(url: string, options: Partial<Parameters<typeof connectSocket>[1]> = {}) {
  const socket = connectSocket(url, { WebSocket: Ws, reconnect: false, ...options });
  sockets.push(socket);
  const errors: any[] = [];
  const reconnects: number[] = [];
  socket.on('error', (error) => errors.push(error));
  socket.on('reconnect', (delay) => reconnects.push(delay));
  /** The next close whose decision ends the client. */
  const ended = new Promise<any[]>((resolve) =>
    socket.on('close', (...args) => {
      if (args[1] === 'never' || args[1] === 'stop') resolve(args);
    }),
  );
  const closed = new Promise<any[]>((resolve) => socket.on('close', (...args) => resolve(args)));
  return { socket, errors, reconnects, ended, closed };
}

const errorEvent = (error: Record<string, unknown>) => JSON.stringify({ type: 'error', error });

describe('connectSocket against a hostile server', () => {
  it('types a 1 MB error event as one ApiError and stays up', async () => {
    const { url } = await hostileSocket((ws) => {
      ws.send(errorEvent({ code: 'BIG', status: 400, message: 'm'.repeat(MiB) }));
      ws.close(1000);
    });
    const client = connect(url);
    await client.ended;
    expect(client.errors).toHaveLength(1);
    expect(client.errors[0]).toBeInstanceOf(ApiError);
    expect(client.errors[0].code).toBe('BIG');
  });

  it('types a flood of 5 000 error events one by one, then stops on a normal close', async () => {
    const { url } = await hostileSocket((ws) => {
      for (let i = 0; i < 5000; i++) ws.send(errorEvent({ code: 'FLOOD', status: 429, retry_after: 1 }));
      ws.close(1000);
    });
    const client = connect(url, { reconnect: { base: 1, cap: 2 } });
    const [, decision] = await client.ended;
    expect(decision).toBe('stop');
    expect(client.errors).toHaveLength(5000);
    expect(client.errors.every((e) => e instanceof ApiError && e.code === 'FLOOD')).toBe(true);
  });

  it('types error events whose fields are hostile (proto keys, wrong types, deep nesting) without throwing', async () => {
    const depth = 50_000;
    const events = [
      '{"type":"error","error":{"code":123,"status":"x","message":{}}}',
      '{"type":"error","__proto__":{"polluted":1},"error":{"__proto__":{"polluted":1},"code":"P"}}',
      `{"type":"error","error":{"code":"D","details":${'['.repeat(depth)}${']'.repeat(depth)}}}`,
      '{"type":"error","error":{"code":"R","retry_after":-5}}',
      '{"type":"error","error":null}',
      '"just a string"',
    ];
    const { url } = await hostileSocket((ws) => {
      for (const event of events) ws.send(event);
      ws.close(1000);
    });
    const client = connect(url);
    const messages: unknown[] = [];
    client.socket.on('message', (m) => messages.push(m));
    await client.ended;
    expect(client.errors.length + messages.length).toBe(events.length);
    for (const error of client.errors) {
      expect(error).toBeInstanceOf(ApiError);
      expect(typeof error.code).toBe('string');
    }
    expect(({} as any).polluted).toBeUndefined();
  });

  for (const code of [999, 1004, 1005, 1006, 1016, 2999, 5000, 65535]) {
    it(`takes a close frame with the invalid code ${code} as a close, and ends under reconnect: false`, async () => {
      const { url } = await hostileSocket((ws) => {
        const frame = Buffer.from([0x88, 2, code >> 8, code & 0xff]);
        (ws as unknown as { _socket: import('node:net').Socket })._socket.write(frame);
      });
      const client = connect(url);
      const [error, decision, info] = await client.ended;
      expect(decision).toBe('stop');
      expect(error === undefined || error instanceof ApiError).toBe(true);
      expect(typeof info.code).toBe('number');
    });
  }

  it('bounds a reconnect storm: every wait jittered under the cap, and no more than maxAttempts', async () => {
    const server = await hostileSocket((ws) => ws.close(1011, 'boom'));
    const client = connect(server.url, { reconnect: { base: 1, cap: 8, maxAttempts: 30 } });
    const [, decision] = await client.ended;
    expect(decision).toBe('never');
    expect(client.reconnects).toHaveLength(30);
    expect(server.connections()).toBe(31);
    for (const delay of client.reconnects) {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(8);
    }
    expect(new Set(client.reconnects).size).toBeGreaterThan(1);
  });

  it('reconnects at once after a healthy connection only: a server that closes every socket at once for SESSION_EXPIRED gets backoff', async () => {
    const catalog = defineErrors({ ...wsDefinitions });
    const server = await hostileSocket((ws) => ws.close(4408, 'SESSION_EXPIRED'));
    const client = connect(server.url, {
      catalog,
      reconnect: { base: 4, cap: 64, maxAttempts: 5, random: () => 0.99 },
    });
    const [error, decision] = await client.ended;
    expect(error.code).toBe('SESSION_EXPIRED');
    expect(decision).toBe('never');
    // The first wait is the immediate one (under base); the ones after it grow as backoff does.
    expect(client.reconnects).toEqual([3, 7, 15, 31, 63]);
  });

  it('gives up on a server that keeps refusing handshakes after maxNeverOpened attempts', async () => {
    const url = await rawHandshake((socket) =>
      socket.end('HTTP/1.1 503 Service Unavailable\r\nretry-after: 0\r\ncontent-length: 0\r\n\r\n'),
    );
    const client = connect(url, { reconnect: { base: 1, cap: 2 } });
    const [error, decision] = await client.ended;
    expect(decision).toBe('never');
    expect(error).toBeInstanceOf(ApiError);
    expect(client.reconnects.length).toBeLessThanOrEqual(8);
  });

  const hugeWaits: [string, string][] = [
    ['an error event with retry_after 1e10', errorEvent({ code: 'SLOW', status: 429, retry_after: 1e10 })],
    ['an error event with retry_after 1e300', '{"type":"error","error":{"code":"SLOW","retry_after":1e300}}'],
  ];
  for (const [name, event] of hugeWaits) {
    it(`stops on a close announced by ${name} (past maxRetryAfter), never sleeping it`, async () => {
      const server = await hostileSocket((ws) => {
        ws.send(event);
        ws.close(1013, 'SLOW');
      });
      const client = connect(server.url, { reconnect: { base: 1, cap: 2 } });
      const [error, decision] = await client.ended;
      expect(decision).toBe('never');
      expect(error).toBeInstanceOf(ApiError);
      expect(client.reconnects).toHaveLength(0);
    });

    it(`never turns ${name} into an immediate reconnect under maxRetryAfter: Infinity`, async () => {
      const server = await hostileSocket((ws) => {
        ws.send(event);
        ws.close(1013, 'SLOW');
      });
      const client = connect(server.url, {
        reconnect: { base: 1, cap: 2, maxRetryAfter: Number.POSITIVE_INFINITY },
      });
      await client.closed;
      expect(client.reconnects).toHaveLength(1);
      // Node and browsers fire a timer past 2^31 - 1 ms at once: a larger wait would be a reconnect storm.
      expect(client.reconnects[0]).toBeLessThanOrEqual(2 ** 31 - 1);
      expect(client.reconnects[0]).toBeGreaterThan(2);
    });
  }

  it('stops on a refused handshake’s Retry-After: 99999999, and never turns it into an immediate reconnect', async () => {
    const url = await rawHandshake((socket) =>
      socket.end('HTTP/1.1 503 Service Unavailable\r\nretry-after: 99999999\r\ncontent-length: 0\r\n\r\n'),
    );
    const client = connect(url, { reconnect: { base: 1, cap: 2 } });
    const [error, decision] = await client.ended;
    expect(decision).toBe('never');
    expect(error.retryAfter).toBe(99999999);
    expect(client.reconnects).toHaveLength(0);
    const unbounded = connect(url, {
      reconnect: { base: 1, cap: 2, maxRetryAfter: Number.POSITIVE_INFINITY },
    });
    await unbounded.closed;
    expect(unbounded.reconnects).toHaveLength(1);
    expect(unbounded.reconnects[0]).toBeLessThanOrEqual(2 ** 31 - 1);
  });

  it('survives a close with no catalog code when given a client catalog, which has no close-code table', async () => {
    const server = await hostileSocket((ws) => ws.close(1011));
    // Only plain JavaScript can pass one (the type asks for a full catalog), as a browser bundle might.
    const client = connect(server.url, {
      catalog: clientCatalog(clientCatalogJSON(defineErrors({ ...wsDefinitions }).toJSON())) as never,
    });
    const [error, decision] = await client.closed;
    expect(error).toMatchObject({ status: 500 });
    // No reconnect in these tests: the close is classified, never thrown out of the client.
    expect(decision).toBe('stop');
  });

  for (const status of [204, 205, 304]) {
    it(`ends on a handshake refused with ${status}, a status that has no body, with its error`, async () => {
      const url = await rawHandshake((socket) =>
        socket.end(`HTTP/1.1 ${status} No\r\ncontent-length: 0\r\n\r\n`),
      );
      const client = connect(url, { reconnect: { base: 1, cap: 2, maxNeverOpened: 2 } });
      const [error] = await client.ended;
      expect(error).toBeInstanceOf(ApiError);
      expect(client.errors).toContain(error);
    });
  }

  it('cuts a refused handshake’s 100 MB body at 1 MiB', async () => {
    const url = await rawHandshake((socket) => {
      socket.write('HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\n');
      socket.write(`content-length: ${100 * MiB}\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let left = 100 * MiB;
      const pump = () => {
        while (left > 0 && !socket.destroyed) {
          left -= chunk.byteLength;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
    const client = connect(url);
    const [error] = await client.ended;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(503);
    expect(Buffer.byteLength(error.rawBody)).toBeLessThanOrEqual(MiB);
  });

  it.each([Number.POSITIVE_INFINITY, 2 ** 31])(
    'takes a connectTimeout of %s as a long wait, never as an overflowed timer that fires at once',
    async (connectTimeout) => {
      const { url } = await hostileSocket((ws) => {
        setTimeout(() => ws.close(1000), 50);
      });
      const client = connect(url, { connectTimeout });
      const opened = new Promise<void>((resolve) => client.socket.on('open', () => resolve()));
      await opened;
      const [, , info] = await client.ended;
      expect(info.code).toBe(1000);
    },
  );

  it('gives up on a handshake the server never answers at connectTimeout, as a 1006 close', async () => {
    const url = await rawHandshake(() => {});
    const client = connect(url, { connectTimeout: 200 });
    const [error, decision, info] = await client.ended;
    expect(decision).toBe('stop');
    expect(info.code).toBe(1006);
    expect(error).toBeInstanceOf(ApiError);
    expect(client.socket.state).toBe('closed');
  });

  it('ends a refused handshake whose body stalls after its headers at the error body timeout', async () => {
    const url = await rawHandshake((socket) =>
      socket.write(
        'HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\n' +
          'content-length: 1000\r\n\r\n{"code":"DOWN"',
      ),
    );
    const client = connect(url);
    const [error, decision] = await client.ended;
    expect(decision).toBe('stop');
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(503);
    expect(error.rawBody).toBe('{"code":"DOWN"');
  }, 30_000);
});
