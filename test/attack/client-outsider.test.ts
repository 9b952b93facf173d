/**
 * `faultline/client` against the servers an outside review used: one that never answers, 3xx answers no
 * redirect follows, aborts and cuts in the middle of an error body, loose headers. Real node:http servers
 * on 127.0.0.1; every wait is bounded in count and time, none is asserted.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { ApiError, defineErrors } from 'faultline';
import { createClient, parseErrorParts, RedirectionError } from 'faultline/client';
import { afterEach, describe, expect, it } from 'vitest';
import { close, rejection } from '../helpers/http.js';

const json = { 'content-type': 'application/problem+json' };

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map(close));
});

/** A server that counts its requests, and the sockets that carried one and then closed. */
async function hostile(handler: Handler) {
  let hits = 0;
  let closed = 0;
  const carried = new WeakSet<Socket>();
  const server = createServer((req, res) => {
    if (!carried.has(req.socket)) {
      carried.add(req.socket);
      req.socket.on('close', () => closed++);
    }
    req.resume();
    res.on('error', () => {});
    handler(req, res, hits++);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    /** Sockets that carried a request and are closed since. */
    closed: () => closed,
  };
}

/** Waits until `done()` holds, polling every 20 ms for at most 5 s; returns whether it came to hold. */
async function eventually(done: () => boolean): Promise<boolean> {
  for (let i = 0; i < 250 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  return done();
}

describe('a timeout without a signal of the caller', () => {
  it('aborts the request on the wire: the server sees every socket of every attempt closed', async () => {
    const server = await hostile(() => {});
    const api = createClient({ baseUrl: server.url, timeout: 200, retry: { backoff: { base: 1, cap: 2 } } });
    const error = await rejection(api.get('/hang'));
    expect(error.name).toBe('TimeoutError');
    expect(server.hits()).toBe(3);
    expect(await eventually(() => server.closed() === 3)).toBe(true);
  });

  it('aborts the request on the wire with a signal of the caller too, which still aborts it', async () => {
    const server = await hostile(() => {});
    const api = createClient({ baseUrl: server.url, timeout: 200, retry: false });
    const timedOut = await rejection(api.get('/hang', { signal: new AbortController().signal }));
    expect(timedOut.name).toBe('TimeoutError');
    const controller = new AbortController();
    const pending = rejection(api.get('/hang', { signal: controller.signal, timeout: 60_000 }));
    await eventually(() => server.hits() === 2);
    controller.abort(new Error('mine'));
    expect((await pending).message).toBe('mine');
    expect(await eventually(() => server.closed() >= 2)).toBe(true);
  });
});

describe('a 3xx that fetch hands back', () => {
  const errors = defineErrors({ SESSION_NOT_FOUND: { status: 404, message: 'session not found' } });
  const claim = JSON.stringify({ type: 'about:blank', status: 404, code: 'SESSION_NOT_FOUND', title: 't' });
  const cases: [string, number, Record<string, string>][] = [
    ['a 304 to the caller’s If-None-Match', 304, {}],
    ['a 300 without a body', 300, {}],
    ['a 302 without Location whose body claims SESSION_NOT_FOUND', 302, json],
    ['a 303 without Location with Retry-After: 1', 303, { ...json, 'retry-after': '1' }],
  ];
  for (const [name, status, headers] of cases) {
    it(`rejects ${name} with a RedirectionError of its own status, once, never an answer of the API`, async () => {
      const server = await hostile((_req, res) => {
        res.writeHead(status, headers);
        res.end(status === 304 ? undefined : claim);
      });
      const api = createClient({ baseUrl: server.url, catalog: errors });
      const error = await rejection(api.get('/', { headers: { 'if-none-match': '"v1"' } }));
      expect(error).toBeInstanceOf(RedirectionError);
      expect(error).not.toBeInstanceOf(ApiError);
      expect(error.status).toBe(status);
      expect(error.attempts).toBe(1);
      expect(api.is(error)).toBe(false);
      expect(api.is(error, 'SESSION_NOT_FOUND')).toBe(false);
      expect(server.hits()).toBe(1);
      const raw = await rejection(api.fetch('/'));
      expect(raw).toBeInstanceOf(RedirectionError);
      expect(server.hits()).toBe(2);
    });
  }

  it('reads the code of a body without one from the response status, never from the status the body claims', async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ type: 'about:blank', status: 429, title: 'Too many' }));
    });
    const api = createClient({ baseUrl: server.url, catalog: errors, retry: false });
    const error = await rejection(api.get('/'));
    expect(error).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    expect(api.is(error, 'RATE_LIMITED')).toBe(false);
  });

  it('keeps no cookie a 3xx set, as an ApiError keeps none: an error is logged and serialized whole', async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(304, { 'set-cookie': 'session=SECRET-SESSION; HttpOnly', etag: '"v1"' });
      res.end();
    });
    const api = createClient({ baseUrl: server.url, catalog: errors });
    const error = await rejection(api.get('/', { headers: { 'if-none-match': '"v1"' } }));
    expect(error).toBeInstanceOf(RedirectionError);
    expect(error.headers.etag).toBe('"v1"');
    expect(error.headers['set-cookie']).toBeUndefined();
    expect(JSON.stringify(error)).not.toContain('SECRET');
  });

  it('names the attempt that received it: a 304 answering the retry of a 503 is attempt 2', async () => {
    let hits = 0;
    const server = await hostile((_req, res) => {
      hits++;
      if (hits === 1) res.writeHead(503, { 'retry-after': '0' }).end();
      else res.writeHead(304).end();
    });
    const api = createClient({ baseUrl: server.url, catalog: errors });
    const error = await rejection(api.get('/'));
    expect(error).toBeInstanceOf(RedirectionError);
    expect(error.attempts).toBe(2);
  });

  it('is known by its brand across installed copies, as ApiError is', () => {
    const fromAnotherCopy = Object.create(Error.prototype, {
      [Symbol.for('faultline.RedirectionError')]: { value: true },
    });
    expect(fromAnotherCopy).toBeInstanceOf(RedirectionError);
    expect({ status: 304 }).not.toBeInstanceOf(RedirectionError);
  });
});

describe('an error body the client cannot read whole', () => {
  const errors = defineErrors({ SESSION_NOT_FOUND: { status: 404, message: 'session not found' } });
  const claim = JSON.stringify({
    type: 'about:blank',
    status: 404,
    code: 'SESSION_NOT_FOUND',
    title: 'gone',
  });

  it('rejects with the signal’s reason when the caller aborts while an error body is read', async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(404, json);
      res.write(claim.slice(0, -1));
    });
    const controller = new AbortController();
    const api = createClient({
      baseUrl: server.url,
      catalog: errors,
      // The real fetch; the abort comes once its headers are in, while the body is being read.
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        setTimeout(() => controller.abort(new Error('mine')), 20);
        return response;
      },
    });
    const error = await rejection(api.get('/', { signal: controller.signal }));
    expect(error).not.toBeInstanceOf(ApiError);
    expect(error.message).toBe('mine');
  });

  it('reads a body cut at errorBodyLimit as no answer of the API, though its start is a whole problem', async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(404, json);
      res.end(claim + ' '.repeat(64 * 1024));
    });
    const api = createClient({ baseUrl: server.url, catalog: errors, errorBodyLimit: 4096 });
    const error = await rejection(api.get('/'));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(404);
    expect(error.code).toBe('NOT_FOUND');
    expect(api.is(error, 'SESSION_NOT_FOUND')).toBe(false);
    expect(error.rawBody.length).toBe(4096);
  });

  it('reads a body the server resets mid-way as no answer of the API, though what came is a whole problem', async () => {
    const server = await hostile((req, res) => {
      res.writeHead(404, { ...json, 'content-length': '1000' });
      res.write(claim, () => setTimeout(() => req.socket.destroy(), 20));
    });
    const api = createClient({ baseUrl: server.url, catalog: errors });
    const error = await rejection(api.get('/'));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.code).toBe('NOT_FOUND');
    expect(api.is(error)).toBe(false);
    expect(error.rawBody).toBe(claim);
  });

  it('reads a body that stalls past errorBodyTimeout as no answer of the API', async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(404, json);
      res.write(claim);
    });
    const api = createClient({ baseUrl: server.url, catalog: errors, errorBodyTimeout: 100 });
    const error = await rejection(api.get('/'));
    expect(error.code).toBe('NOT_FOUND');
    expect(api.is(error)).toBe(false);
  });

  it('parseErrorParts reads a body over bodyLimit as no answer of the API', async () => {
    const body = claim + ' '.repeat(4096);
    const error = await parseErrorParts(
      { status: 404, headers: json, body },
      { catalog: errors, bodyLimit: 1024 },
    );
    expect(error.code).toBe('NOT_FOUND');
    const whole = await parseErrorParts({ status: 404, headers: json, body: claim }, { catalog: errors });
    expect(whole.code).toBe('SESSION_NOT_FOUND');
  });
});

describe('a Retry-After that is neither delta-seconds nor an HTTP-date', () => {
  /** The waits a client computes for a 503 with `headers`: it never sleeps them (the first is ended). */
  async function waits(headers: Record<string, string>): Promise<number[]> {
    const server = await hostile((_req, res) => {
      res.writeHead(503, { ...json, ...headers });
      res.end('{"status":503}');
    });
    const delays: number[] = [];
    const controller = new AbortController();
    const beforeRetry = ({ delay }: { delay: number }) => {
      delays.push(delay);
      controller.abort();
    };
    const api = createClient({ baseUrl: server.url, retry: { random: () => 0.5, beforeRetry } });
    await rejection(api.get('/', { signal: controller.signal }));
    return delays;
  }

  for (const junk of ['a 1', 'x 2030', '5 6', 'soon 2031', 'Mon, 2030', '2030-01-01', 'Sun, 06 Nov 2094']) {
    it(`takes Retry-After: ${JSON.stringify(junk)} as none, and backs off`, async () => {
      // Full jitter at 0.5 of the 100 ms base: 50 ms.
      expect(await waits({ 'retry-after': junk })).toEqual([50]);
    });
  }

  const date = 'Sun, 06 Nov 1994 08:49:07 GMT';
  const forms: [string, string][] = [
    ['IMF-fixdate', 'Sun, 06 Nov 1994 08:49:37 GMT'],
    ['RFC 850', 'Sunday, 06-Nov-94 08:49:37 GMT'],
    ['asctime', 'Sun Nov  6 08:49:37 1994'],
  ];
  for (const [name, value] of forms) {
    it(`waits an HTTP-date in the ${name} form, relative to the response’s Date`, async () => {
      expect(await waits({ 'retry-after': value, date })).toEqual([30_000]);
    });
  }
});

describe('the media type of a 2xx body', () => {
  const cases: [string, string, string, unknown][] = [
    ['text/html with a parameter that holds /json', 'text/html; x=/json', '<p>', '<p>'],
    ['text/plain; profile=+json', 'text/plain; profile="a+json"', '{x', '{x'],
    ['upper-case application/JSON with a charset', 'Application/JSON; charset=utf-8', '{"a":1}', { a: 1 }],
    ['a +json structured suffix', 'application/vnd.api+json', '{"a":1}', { a: 1 }],
    ['application/jsonl, no JSON', 'application/jsonl', '{"a":1}\n{"a":2}', '{"a":1}\n{"a":2}'],
  ];
  for (const [name, type, body, data] of cases) {
    it(`reads a body of ${name} by its media type only`, async () => {
      const server = await hostile((_req, res) => {
        res.writeHead(200, { 'content-type': type });
        res.end(body);
      });
      expect(await createClient({ baseUrl: server.url }).get('/')).toEqual(data);
    });
  }
});

describe('a redirect to another origin', () => {
  async function pair() {
    const target = await hostile((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ apiKey: req.headers['x-api-key'] ?? null }));
    });
    // localhost and 127.0.0.1 are two origins.
    const elsewhere = target.url.replace('127.0.0.1', 'localhost');
    const origin = await hostile((_req, res) => {
      res.writeHead(302, { location: `${elsewhere}/echo` });
      res.end();
    });
    return { origin, target };
  }
  const headers = { 'x-api-key': 'SECRET' };

  it('follows by default, and fetch forwards every header but Authorization to the other origin', async () => {
    const { origin, target } = await pair();
    const data = await createClient({ baseUrl: origin.url, headers }).get<any>('/');
    expect(data.apiKey).toBe('SECRET');
    expect(target.hits()).toBe(1);
  });

  it('with redirect: "error", rejects the redirect with a RedirectionError: no header reaches the other origin', async () => {
    const { origin, target } = await pair();
    const api = createClient({ baseUrl: origin.url, headers, redirect: 'error' });
    const error = await rejection(api.get('/'));
    expect(error).toBeInstanceOf(RedirectionError);
    expect(error.status).toBe(302);
    expect(error.headers.location).toMatch(/^http:\/\/localhost:\d+\/echo$/);
    expect(origin.hits()).toBe(1);
    expect(target.hits()).toBe(0);
    await rejection(api.post('/', { json: {} }));
    expect(target.hits()).toBe(0);
  });
});

describe('a 2xx body past bodyLimit', () => {
  const mib = 1024 * 1024;

  it('rejects an endless body with a RangeError once past the limit, and lets go of the connection', async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      // An endless body, bounded here by the socket's life: it stops when the client goes away.
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const api = createClient({ baseUrl: server.url, bodyLimit: mib, retry: false });
    const error = await rejection(api.get('/'));
    expect(error).toBeInstanceOf(RangeError);
    expect(await eventually(() => server.closed() >= 1)).toBe(true);
  });

  it('counts the bytes fetch decoded: a gzip bomb is refused past the limit, never inflated whole', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * mib, 0x20));
    const server = await hostile((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(bomb);
    });
    const api = createClient({ baseUrl: server.url, bodyLimit: mib, retry: false });
    expect(await rejection(api.get('/'))).toBeInstanceOf(RangeError);
  });

  it('reads a body within the limit as before', async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"s1"}');
    });
    const api = createClient({ baseUrl: server.url, bodyLimit: 11 });
    expect(await api.get('/')).toEqual({ id: 's1' });
  });
});
