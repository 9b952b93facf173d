import { resolve } from 'node:path';
import vm from 'node:vm';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { type EdgeEnv, edgeApp } from './edge-app.js';

// A Hono app with guards driven only through `app.fetch(new Request(...), env)`, as Workers, Deno, Bun
// and Vercel Edge call it: no node server, no socket. The same app runs twice: imported here, and
// bundled for the neutral platform into a `node:vm` realm holding Web globals only, where a `node:`
// import fails the bundle and a `Buffer` or `process` throws when reached.

type Make = typeof edgeApp;

const root = resolve(import.meta.dirname, '../..');

// What Workers, Deno and Bun all give a module: the WinterTC common minimum, less what this app needs not.
const webGlobals = [
  'AbortController',
  'AbortSignal',
  'Blob',
  'DOMException',
  'Event',
  'EventTarget',
  'FormData',
  'Headers',
  'ReadableStream',
  'Request',
  'Response',
  'TextDecoder',
  'TextDecoderStream',
  'TextEncoder',
  'TextEncoderStream',
  'TransformStream',
  'URL',
  'URLSearchParams',
  'WritableStream',
  'atob',
  'btoa',
  'clearInterval',
  'clearTimeout',
  'console',
  'crypto',
  'fetch',
  'queueMicrotask',
  'setInterval',
  'setTimeout',
  'structuredClone',
] as const;

/** `edgeApp`, bundled for the neutral platform and evaluated in a realm with `webGlobals` only. */
async function edgeAppInVm(): Promise<Make> {
  const result = await build({
    entryPoints: [resolve(import.meta.dirname, 'edge-app.ts')],
    bundle: true,
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['faultline-source', 'workerd', 'worker', 'browser'],
    format: 'iife',
    globalName: 'edge',
    target: 'es2022',
    write: false,
    absWorkingDir: root,
    logLevel: 'silent',
  });
  const sandbox: Record<string, unknown> = {};
  for (const name of webGlobals) sandbox[name] = globalThis[name];
  // A Web runtime's timer is a number, with no `unref`: node's own timer objects would hide a call to it.
  const numbered =
    <A extends unknown[]>(start: (...args: A) => NodeJS.Timeout) =>
    (...args: A): number => {
      const timer = start(...args);
      timer.unref();
      return Number(timer);
    };
  sandbox.setTimeout = numbered(setTimeout as (...args: unknown[]) => NodeJS.Timeout);
  sandbox.setInterval = numbered(setInterval as (...args: unknown[]) => NodeJS.Timeout);
  const context = vm.createContext(sandbox);
  vm.runInContext(result.outputFiles[0]!.text, context, { filename: 'edge-app.bundle.js' });
  // The realm really is without node: the test would prove nothing if these leaked in.
  expect(
    vm.runInContext('[typeof Buffer, typeof process, typeof require, typeof setImmediate]', context),
  ).toEqual(['undefined', 'undefined', 'undefined', 'undefined']);
  return (context.edge as { edgeApp: Make }).edgeApp;
}

const at = (path: string, init?: RequestInit) => new Request(`https://api.example${path}`, init);

const fromWorkers = (address: string, headers: Record<string, string> = {}) =>
  at('/limited', { headers: { 'cf-connecting-ip': address, ...headers } });

async function problemOf(response: Response): Promise<Record<string, unknown>> {
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await response.json()) as Record<string, unknown>;
  expect(body.status).toBe(response.status);
  expect(typeof body.type).toBe('string');
  expect(typeof body.title).toBe('string');
  expect(JSON.stringify(body)).not.toMatch(/\bat .*\.(?:ts|js):\d+/);
  return body;
}

/** Sends `count` requests one after another and the statuses they got. */
async function statuses(count: number, send: (i: number) => Promise<Response>): Promise<number[]> {
  const got: number[] = [];
  for (let i = 0; i < count; i++) {
    const response = await send(i);
    await response.arrayBuffer();
    got.push(response.status);
  }
  return got;
}

const order = (key: string | undefined, body: string, headers: Record<string, string> = {}) =>
  at('/orders', {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'x-api-key': 'key-right',
      ...(key === undefined ? {} : { 'idempotency-key': key }),
      ...headers,
    },
  });

describe.each([
  ['in the test realm', async () => edgeApp],
  ['bundled, in a node:vm realm with Web globals only', edgeAppInVm],
])('edge runtimes: a Hono app with guards on app.fetch, %s', (_, load: () => Promise<Make>) => {
  let make: Make;
  beforeAll(async () => {
    make = await load();
  });

  describe('rateLimit by the address the runtime gives', () => {
    it('Workers (cf-connecting-ip through getConnInfo): 3 of 5 admitted per client, one bucket per client', async () => {
      const app = make('workers');
      expect(await statuses(5, () => app.fetch(fromWorkers('198.51.100.1')))).toEqual([
        200, 200, 200, 429, 429,
      ]);
      expect(await statuses(1, () => app.fetch(fromWorkers('198.51.100.2')))).toEqual([200]);
    });

    it('Deno (remoteAddr as env) and Bun (the server as env): 3 of 5 admitted per client', async () => {
      const app = make('env');
      const deno: EdgeEnv = { remoteAddr: { hostname: '2001:db8:1:2::7' } };
      const bun: EdgeEnv = { requestIP: () => ({ address: '192.0.2.44' }) };
      expect(await statuses(5, () => app.fetch(at('/limited'), deno))).toEqual([200, 200, 200, 429, 429]);
      expect(await statuses(5, () => app.fetch(at('/limited'), bun))).toEqual([200, 200, 200, 429, 429]);
    });

    it('answers the 429 with RateLimit, RateLimit-Policy and Retry-After, and an RFC 9457 body', async () => {
      const app = make('workers');
      await statuses(3, () => app.fetch(fromWorkers('198.51.100.3')));
      const denied = await app.fetch(fromWorkers('198.51.100.3'));
      expect(denied.status).toBe(429);
      expect(denied.headers.get('ratelimit-policy')).toMatch(/"per-ip";q=3;w=60/);
      expect(denied.headers.get('ratelimit')).toMatch(/"per-ip";r=0;t=\d+/);
      expect(Number(denied.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const body = await problemOf(denied);
      expect(body.code).toBe('RATE_LIMITED');
    });
  });

  describe('attacks on the client address', () => {
    it('a rotated X-Forwarded-For is not trusted: the Workers client keeps its one bucket', async () => {
      const app = make('workers');
      const got = await statuses(6, (i) =>
        app.fetch(fromWorkers('198.51.100.4', { 'x-forwarded-for': `203.0.113.${i}` })),
      );
      expect(got).toEqual([200, 200, 200, 429, 429, 429]);
    });

    it('a rotated X-Forwarded-For or cf-connecting-ip is not trusted on Deno: the peer keeps its one bucket', async () => {
      const app = make('env');
      const deno: EdgeEnv = { remoteAddr: { hostname: '192.0.2.80' } };
      const got = await statuses(6, (i) =>
        app.fetch(
          at('/limited', {
            headers: { 'x-forwarded-for': `203.0.113.${i}`, 'cf-connecting-ip': `10.0.0.${i}` },
          }),
          deno,
        ),
      );
      expect(got).toEqual([200, 200, 200, 429, 429, 429]);
    });

    it('a request the runtime gives no address for is refused with the catalog 500, never let through unlimited', async () => {
      const app = make('env');
      const response = await app.fetch(at('/limited', { headers: { 'x-forwarded-for': '203.0.113.9' } }));
      expect(response.status).toBe(500);
      await problemOf(response);
    });
  });

  describe('apiKey', () => {
    it('answers 401 for a missing key and for a wrong one, of any length, and admits the right one', async () => {
      const app = make('workers');
      for (const key of ['key-wrong', 'k', 'key-right-and-more'.repeat(50)]) {
        const response = await app.fetch(order(undefined, '{}', { 'x-api-key': key }));
        expect(response.status).toBe(401);
        expect((await problemOf(response)).code).toBe('API_KEY_INVALID');
      }
      const missing = await app.fetch(
        at('/orders', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }),
      );
      expect(missing.status).toBe(401);
      expect((await problemOf(missing)).code).toBe('API_KEY_MISSING');
      const admitted = await app.fetch(order(undefined, '{"item":1}'));
      expect(admitted.status).toBe(201);
      expect(await admitted.json()).toMatchObject({ order: { item: 1 } });
    });

    it('refuses a key header sent twice with 400 before any comparison', async () => {
      const app = make('workers');
      const headers = new Headers({ 'content-type': 'application/json' });
      headers.append('x-api-key', 'key-right');
      headers.append('x-api-key', 'key-wrong');
      const response = await app.fetch(at('/orders', { method: 'POST', body: '{}', headers }));
      expect(response.status).toBe(400);
      expect((await problemOf(response)).code).toBe('INVALID_HEADER');
    });
  });

  describe('idempotency', () => {
    it('replays the first answer to a retry with the same key and payload, whatever its key order', async () => {
      const app = make('workers');
      const first = await app.fetch(order('k-1', '{"a":1,"b":[2]}'));
      expect(first.status).toBe(201);
      const body = await first.json();
      const retry = await app.fetch(order('k-1', '{ "b": [2], "a": 1 }'));
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(await retry.json()).toEqual(body);
    });

    it('answers 422 to the key reused with another payload', async () => {
      const app = make('workers');
      expect((await app.fetch(order('k-2', '{"a":1}'))).status).toBe(201);
      const reused = await app.fetch(order('k-2', '{"a":2}'));
      expect(reused.status).toBe(422);
      expect((await problemOf(reused)).code).toBe('IDEMPOTENCY_KEY_REUSED');
    });

    it('answers 409 with Retry-After to the key while its first request runs, then replays', async () => {
      const app = make('workers');
      let open = () => {};
      const gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      let entered = () => {};
      const running = new Promise<void>((resolve) => {
        entered = resolve;
      });
      const first = app.fetch(order('k-3', '{"a":1}'), { gate, entered });
      // The first request holds the key from its claim until it answers; its handler has started.
      await running;
      const inFlight = await app.fetch(order('k-3', '{"a":1}'));
      expect(inFlight.status).toBe(409);
      expect(Number(inFlight.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await problemOf(inFlight)).code).toBe('IDEMPOTENCY_IN_FLIGHT');
      open();
      expect((await first).status).toBe(201);
      const replay = await app.fetch(order('k-3', '{"a":1}'));
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
    });

    it('refuses an Idempotency-Key sent twice with 400', async () => {
      const app = make('workers');
      const headers = new Headers({ 'content-type': 'application/json', 'x-api-key': 'key-right' });
      headers.append('idempotency-key', 'k-4');
      headers.append('idempotency-key', 'k-5');
      const response = await app.fetch(at('/orders', { method: 'POST', body: '{}', headers }));
      expect(response.status).toBe(400);
      await problemOf(response);
    });
  });

  describe('bodies', () => {
    it('answers 413 to a body over the 1 KiB limit, with and without an Idempotency-Key to fingerprint it', async () => {
      const app = make('workers');
      const big = JSON.stringify({ pad: 'x'.repeat(2048) });
      for (const key of [undefined, 'k-6']) {
        const response = await app.fetch(order(key, big));
        expect(response.status).toBe(413);
        expect((await problemOf(response)).code).toBe('BODY_TOO_LARGE');
      }
      // A streamed body, whose size nothing declares, is cut at the limit too.
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 4; i++) controller.enqueue(new TextEncoder().encode(`"${'y'.repeat(1000)}",`));
          controller.close();
        },
      });
      const streamed = await app.fetch(
        at('/orders', {
          method: 'POST',
          body: stream,
          duplex: 'half',
          headers: { 'content-type': 'application/json', 'x-api-key': 'key-right', 'idempotency-key': 'k-7' },
        } as RequestInit),
      );
      expect(streamed.status).toBe(413);
      await problemOf(streamed);
    });
  });
});
