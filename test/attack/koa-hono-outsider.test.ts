import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { serve } from '@hono/node-server';
import { defineErrors } from 'faultline';
import { byIp, idempotency, rateLimit } from 'faultline/guards';
import { createHonoErrors, guard as honoGuard } from 'faultline/hono';
import { createKoaErrors, type KoaErrors, guard as koaGuard } from 'faultline/koa';
import { memoryStore } from 'faultline/stores';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, listen } from '../helpers/http.js';

// An outsider against real Koa 3 and Hono apps on 127.0.0.1, past the shared bad-input matrix: every
// answer is a catalog problem with a correct status, or a cut connection once the answer had begun.
const catalog = defineErrors({});
const leaks = /\bat .+:\d+:\d+|\/work\/|node_modules|TypeError|RangeError/;
type Answer = { status: number; headers: Record<string, unknown>; body: string };
type Outcome = Answer | 'cut' | 'hang';
interface Send {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Hang up at the first byte of the answer. */
  firstByte?: boolean;
}

/** One request on its own connection, bounded by 3 s: the answer, 'cut' if the connection died, or 'hang'. */
function send(base: string, path: string, init: Send = {}): Promise<Outcome> {
  const { port } = new URL(base);
  return new Promise((resolve) => {
    const done = (outcome: Outcome) => {
      clearTimeout(timer);
      req.destroy();
      resolve(outcome);
    };
    const options = { host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: init.headers };
    const req = httpRequest({ ...options, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      const answer = () => ({
        status: res.statusCode ?? 0,
        headers: res.headers,
        body: `${Buffer.concat(chunks)}`,
      });
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (init.firstByte) done(answer());
      });
      res.on('end', () => done(answer()));
      res.on('error', () => done('cut'));
    });
    const timer = setTimeout(() => done('hang'), 3000);
    req.on('error', () => done('cut'));
    req.end(init.body);
  });
}

/** The catalog problem of an answer: its status, type and fields checked, no leak on the wire. */
function problem(outcome: Outcome, status: number): Record<string, unknown> {
  expect(outcome).not.toBe('hang');
  expect(outcome).not.toBe('cut');
  const answer = outcome as Answer;
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toBe('application/problem+json');
  expect(answer.body).not.toMatch(leaks);
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  expect(body.status).toBe(status);
  return body;
}

const servers: Server[] = [];
async function onKoa(app: Koa, errors: Pick<KoaErrors, 'clientError'>): Promise<string> {
  const server = createServer(app.callback()).on('clientError', errors.clientError);
  servers.push(server);
  return listen(server);
}
async function onHono(app: Hono): Promise<string> {
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
afterAll(async () => {
  for (const server of servers) await close(server);
});

/** A Node stream that pushes `chunks` pieces, then fails (or ends when `fail` is false). */
function pieces(chunks: number, fail = true): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent++ < chunks) this.push('chunk ');
      else if (fail) this.destroy(new Error('ENOENT /srv/secret'));
      else this.push(null);
    },
  });
}

describe('Koa 3 under an outsider', () => {
  let base = '';
  let proxied = '';
  let idempotent = '';
  let readTwice = '';
  let listenerFails = '';
  let koaRuns = 0;
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  beforeAll(async () => {
    const errors = createKoaErrors({ catalog, logger: false });
    const app = new Koa();
    app.on('error', () => {});
    app.use(errors.middleware);
    app.use(async (ctx, next) => {
      const routes: Record<string, () => unknown> = {
        '/bigint': () => (ctx.body = { n: 10n }),
        '/cycle': () => (ctx.body = cycle),
        '/respond-false': () => {
          ctx.respond = false;
          throw new Error('after opting out of respond');
        },
        '/hidden': () => ctx.throw(400, 'table users_v2 is missing', { expose: false }),
        '/stream-fails': () => (ctx.body = pieces(3)),
        '/stream-fails-at-once': () => (ctx.body = pieces(0)),
        '/web-stream-fails': () =>
          (ctx.body = new ReadableStream({ pull: (controller) => controller.error(new Error('reset')) })),
        '/download': () => (ctx.body = pieces(100_000, false)),
      };
      const route = routes[ctx.path];
      if (route) return void route();
      await next();
    });
    base = await onKoa(app, errors);
    // A JSON reader for the app and a stricter one on a route, as an app with one upload route mounts them.
    const twice = new Koa();
    twice.use(errors.middleware);
    twice.use(errors.json({ limit: '1kb' }));
    twice.use(errors.json({ limit: 16 }));
    twice.use((ctx) => {
      ctx.body = { got: ctx.request.body };
    });
    readTwice = await onKoa(twice, errors);
    // An app whose own error listener fails (its logger is down).
    const failing = new Koa();
    failing.on('error', () => {
      throw new Error('the logger is down');
    });
    failing.use(errors.middleware);
    failing.use((ctx) => {
      ctx.body = ctx.path === '/cycle' ? cycle : pieces(3);
    });
    listenerFails = await onKoa(failing, errors);
    const proxy = new Koa({ proxy: true, maxIpsCount: 1 });
    proxy.use(errors.middleware);
    proxy.use(koaGuard(rateLimit({ key: byIp, limit: 2, period: '1m', store: memoryStore() })));
    proxy.use((ctx) => {
      ctx.body = { ip: ctx.ip };
    });
    proxied = await onKoa(proxy, errors);
    const keyed = new Koa();
    keyed.on('error', () => {});
    keyed.use(errors.middleware);
    keyed.use(koaGuard(idempotency({ tenant: () => 't', store: memoryStore() })));
    keyed.use((ctx) => {
      koaRuns++;
      ctx.body = pieces(3, ctx.path !== '/whole');
    });
    idempotent = await onKoa(keyed, errors);
  });

  it.each(['/bigint', '/cycle'])(
    'answers a body Koa cannot serialize (%s) in the catalog, not Koa’s text',
    async (path) => {
      expect(problem(await send(base, path), 500).code).toBe('INTERNAL_ERROR');
      const head = await send(base, path, { method: 'HEAD' });
      expect(head).toMatchObject({ status: 500, body: '' });
    },
  );

  it('answers an error thrown after ctx.respond = false, instead of leaving the client waiting', async () => {
    expect(problem(await send(base, '/respond-false'), 500).code).toBe('INTERNAL_ERROR');
  });

  it('keeps ctx.throw’s expose: false out of the answer', async () => {
    expect(JSON.stringify(problem(await send(base, '/hidden'), 400))).not.toContain('users_v2');
  });

  it('cuts the connection for a body stream that fails, before or after its first byte, and answers after', async () => {
    for (const path of ['/stream-fails', '/stream-fails-at-once', '/web-stream-fails'])
      expect(await send(base, path), path).toBe('cut');
    expect(problem(await send(base, '/nowhere'), 404).code).toBe('NOT_FOUND');
  });

  it('cuts a failed stream and answers in the catalog when the app’s own error listener throws', async () => {
    expect(await send(listenerFails, '/stream')).toBe('cut');
    expect(problem(await send(listenerFails, '/cycle'), 500).code).toBe('INTERNAL_ERROR');
  });

  it('answers HEAD on a streamed route with headers only, and survives a client leaving a download', async () => {
    expect(await send(base, '/download', { method: 'HEAD' })).toMatchObject({ status: 200, body: '' });
    for (let i = 0; i < 5; i++)
      expect(await send(base, '/download', { firstByte: true })).toMatchObject({ status: 200 });
    expect(problem(await send(base, '/nowhere'), 404).code).toBe('NOT_FOUND');
  });

  it('reads a body twice, each json() under its own limit: a small body is the app’s, a chunked one over the second is 413', async () => {
    const post = (body: string): Send => ({
      method: 'POST',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      body,
    });
    expect(await send(readTwice, '/', post('{"a":1}'))).toMatchObject({
      status: 200,
      body: '{"got":{"a":1}}',
    });
    expect(problem(await send(readTwice, '/', post(JSON.stringify({ a: 'x'.repeat(40) }))), 413).code).toBe(
      'BODY_TOO_LARGE',
    );
  });

  it('under an idempotency guard, a body stream that fails is run again, a whole one replayed', async () => {
    koaRuns = 0;
    expect(await keyedTwice(idempotent, '/cut', 'k-cut')).toEqual(['cut', 'cut']);
    expect(koaRuns).toBe(2);
    const [first, again] = await keyedTwice(idempotent, '/whole', 'k-whole');
    expect(first).toMatchObject({ status: 200, body: 'chunk chunk chunk ' });
    expect(again).toMatchObject({ status: 200, body: 'chunk chunk chunk ' });
    expect(koaRuns).toBe(3);
  });

  it('under app.proxy with maxIpsCount 1, a forged leftmost X-Forwarded-For or a non-address gains no bucket', async () => {
    const statuses = async (forwarded: (i: number) => string) => {
      const seen: unknown[] = [];
      for (let i = 0; i < 3; i++)
        seen.push(
          ((await send(proxied, '/', { headers: { 'x-forwarded-for': forwarded(i) } })) as Answer).status,
        );
      return seen;
    };
    expect(await statuses((i) => `10.0.0.${i}, 203.0.113.7`)).toEqual([200, 200, 429]);
    expect(await statuses((i) => `${'x'.repeat(500)}${i}`)).toEqual([200, 200, 429]);
  });
});

/** Sends the same keyed POST twice: a failed first answer must run again, never be replayed cut short. */
async function keyedTwice(base: string, path: string, key: string): Promise<[Outcome, Outcome]> {
  const init = { method: 'POST', headers: { 'idempotency-key': key } };
  const first = await send(base, path, init);
  let again: Outcome = 'hang';
  for (let i = 0; i < 20; i++) {
    again = await send(base, path, init);
    if (typeof again === 'string' || again.status !== 409) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return [first, again];
}

describe('Hono under an outsider', () => {
  let base = '';
  let honoRuns = 0;
  let app: Hono;
  beforeAll(async () => {
    const errors = createHonoErrors({ catalog, logger: false }, { body: { limit: 64 } });
    app = new Hono();
    errors.install(app);
    const echo = async (c: { req: { json(): Promise<unknown> }; json(v: unknown): Response }) =>
      c.json(await c.req.json());
    app.post('/limited-json', bodyLimit({ maxSize: 16 }), errors.json(), echo);
    app.post(
      '/limited-guard',
      bodyLimit({ maxSize: 32 }),
      honoGuard(idempotency({ tenant: () => 't', store: memoryStore() })),
      errors.json(),
      echo,
    );
    app.post('/json', errors.json(), echo);
    // A 1 GB download, a stream that fails, and a whole one, each under an idempotency guard.
    const keyed = honoGuard(idempotency({ tenant: () => 't', store: memoryStore() }));
    app.post(
      '/idem-stream',
      keyed,
      () => new Response(Readable.toWeb(pieces(1 << 20, false)) as ReadableStream),
    );
    app.post('/idem/:kind', keyed, (c) => {
      honoRuns++;
      return new Response(Readable.toWeb(pieces(3, c.req.param('kind') === 'cut')) as ReadableStream);
    });
    base = await onHono(app);
  });

  const chunked = (body: string, key?: string): Send => ({
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'transfer-encoding': 'chunked',
      ...(key ? { 'idempotency-key': key } : {}),
    },
    body,
  });

  it('reads through hono/body-limit before json(): a chunked body within both limits is the app’s, one over is 413', async () => {
    expect(await send(base, '/limited-json', chunked('{"a":1}'))).toMatchObject({
      status: 200,
      body: '{"a":1}',
    });
    expect(
      problem(await send(base, '/limited-json', chunked(JSON.stringify({ a: 'x'.repeat(40) }))), 413).code,
    ).toBe('BODY_TOO_LARGE');
    const guarded = await send(base, '/limited-guard', chunked('{"a":2}', 'k-limit'));
    expect(guarded).toMatchObject({ status: 200, body: '{"a":2}' });
  });

  it('sends a streamed response under an idempotency guard at once, never holding a large stream whole', async () => {
    const first = await send(base, '/idem-stream', {
      method: 'POST',
      headers: { 'idempotency-key': 'k-big' },
      firstByte: true,
    });
    expect(first).toMatchObject({ status: 200 });
  });

  it('under an idempotency guard, a response stream that fails is run again, a whole one replayed', async () => {
    expect(await keyedTwice(base, '/idem/cut', 'k-cut')).toEqual(['cut', 'cut']);
    expect(honoRuns).toBe(2);
    const [first, again] = await keyedTwice(base, '/idem/whole', 'k-whole');
    expect(first).toMatchObject({ status: 200, body: 'chunk chunk chunk ' });
    expect(again).toMatchObject({ status: 200, body: 'chunk chunk chunk ' });
    expect(honoRuns).toBe(3);
  });

  it('off node: a body without Content-Length past the limit is 413, one that fails midway is a catalog error', async () => {
    // 'chunk ' pieces: 12 of them pass the 64-byte limit; 3 and a failure are an aborted upload.
    const init = (chunks: number, fail: boolean) =>
      ({
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: Readable.toWeb(pieces(chunks, fail)),
        duplex: 'half',
      }) as RequestInit;
    const big = await app.request('/json', init(12, false));
    expect(big.status).toBe(413);
    expect((await big.json()).code).toBe('BODY_TOO_LARGE');
    // The aborted request node's reader answers, not a server fault.
    const failed = await app.request('/json', init(3, true));
    expect(failed.status).toBe(400);
    expect(failed.headers.get('content-type')).toBe('application/problem+json');
    expect(await failed.json()).toMatchObject({ code: 'BAD_REQUEST', detail: 'The request was aborted.' });
  });

  it('answers 405 with Allow for every app one layer was installed on, a parent and its app.route() sub-app', async () => {
    const errors = createHonoErrors({ catalog, logger: false });
    const parent = new Hono();
    errors.install(parent);
    parent.get('/top', (c) => c.text('top'));
    const sub = new Hono();
    errors.install(sub);
    sub.post('/items', (c) => c.json({}));
    parent.route('/v2', sub);
    for (const [path, allow] of [
      ['/top', 'GET, HEAD, OPTIONS'],
      ['/v2/items', 'POST, OPTIONS'],
    ]) {
      const wrong = await parent.request(path!, { method: 'DELETE' });
      expect(wrong.status, path).toBe(405);
      expect(wrong.headers.get('allow')).toBe(allow);
    }
    expect((await sub.request('/items', { method: 'PUT' })).status).toBe(405);
  });

  it('reads a body twice, an app-wide json() then a route’s stricter one, on node and off it', async () => {
    const errors = createHonoErrors({ catalog, logger: false });
    const twice = new Hono();
    errors.install(twice);
    twice.use(errors.json({ limit: '1kb' }));
    twice.post('/', errors.json({ limit: 16 }), async (c) => c.json(await c.req.json()));
    const onNode = await onHono(twice);
    const big = JSON.stringify({ a: 'x'.repeat(40) });
    const post = (body: string) => ({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(await send(onNode, '/', post('{"a":1}'))).toMatchObject({ status: 200, body: '{"a":1}' });
    expect(problem(await send(onNode, '/', post(big)), 413).code).toBe('BODY_TOO_LARGE');
    const small = await twice.request('/', post('{"a":1}'));
    expect([small.status, await small.text()]).toEqual([200, '{"a":1}']);
    expect((await twice.request('/', post(big))).status).toBe(413);
  });
});
