import { byIp, idempotency, rateLimit } from 'faultline/guards';
import { createKoaErrors, guard as koaGuard } from 'faultline/koa';
import { memoryStore } from 'faultline/stores';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Answer,
  catalog,
  closeAll,
  keyedTwice,
  onKoa,
  pieces,
  problem,
  type Send,
  send,
} from './koa-hono-outsider.js';

// An outsider against real Koa 3 apps on 127.0.0.1, past the shared bad-input matrix: every answer is a
// catalog problem with a correct status, or a cut connection once the answer had begun.
afterAll(closeAll);

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
        // A proxy's pattern: Koa's response opted out, the app's own written once the upstream answers.
        '/respond-false-later': () => {
          ctx.respond = false;
          setTimeout(() => ctx.res.writeHead(200).end('proxied'), 10);
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

  it('leaves the answer an app writes itself, later, after ctx.respond = false', async () => {
    expect(await send(base, '/respond-false-later')).toMatchObject({ status: 200, body: 'proxied' });
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
