/**
 * Attack: one Idempotency-Key, two payloads that differ where the fingerprint did not look (a form or raw
 * body, invalid UTF-8, the query, a number JSON cannot spell), and the replay of an answer a compression
 * layer coded. The draft and Stripe promise the same key with another payload is refused (422), never
 * answered with the first request's response, and that a replay is the first answer, readable.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { createAdaptorServer } from '@hono/node-server';
import compression from 'compression';
import express from 'express';
import { defineErrors } from 'faultline';
import { createExpressErrors, guard as expressGuard } from 'faultline/express';
import { type Guard, idempotency } from 'faultline/guards';
import { createHonoErrors, guard as honoGuard } from 'faultline/hono';
import { createKoaErrors, guard as koaGuard } from 'faultline/koa';
import { createNodeErrors, guard as nodeGuard, readJson } from 'faultline/node';
import { memoryStore } from 'faultline/stores';
import { Hono } from 'hono';
import Koa from 'koa';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { adapters, type RouteSpec } from '../helpers/adapters.js';
import { close, listen, rawRequest } from '../helpers/http.js';

const catalog = defineErrors({});
const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

async function serve(server: Server): Promise<string> {
  servers.push(server);
  return listen(server);
}

const idempotent = (): Guard => idempotency({ store: memoryStore(), tenant: () => 'tenant' });

function send(url: string, key: string, type: string, body: string | Uint8Array) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': type, 'idempotency-key': `"${key}"` },
    body: body as BodyInit,
    signal: AbortSignal.timeout(5_000),
  });
}

/** POSTs of one JSON body under one fresh key, each asking for a content coding. */
function keyedPost(base: string) {
  const key = randomUUID();
  return (encoding: string) =>
    fetch(`${base}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key, 'accept-encoding': encoding },
      body: '{"a":1}',
    });
}

/** A POST /orders route behind an idempotency guard that counts its runs and answers 201 with its run. */
function ordersRoute(runs: { count: number }, json: boolean): RouteSpec {
  return {
    method: 'POST',
    path: '/orders',
    ...(json ? { json: true } : {}),
    guards: [idempotent()],
    handle: () => ({ status: 201, body: { run: ++runs.count } }),
  };
}

describe.each(adapters.map((a) => [a.name, a] as const))('%s', (_name, adapter) => {
  async function app(json: boolean) {
    const runs = { count: 0 };
    const server = await adapter.build({
      options: { catalog, logger: false },
      routes: [ordersRoute(runs, json)],
    });
    return { base: await serve(server), runs };
  }

  it.each([
    ['a form body', 'application/x-www-form-urlencoded', 'amount=100&to=alice', 'amount=99999&to=mallory'],
    ['a text body', 'text/plain', 'pay alice 100', 'pay mallory 99999'],
    [
      'bytes that are not UTF-8',
      'application/octet-stream',
      new Uint8Array([0xff, 1]),
      new Uint8Array([0xfe, 1]),
    ],
    // Text of another type is what its route reads: parsed as JSON, these pairs would look the same.
    ['text that reads as JSON', 'text/plain', '[1.0, 1e2]', '[1,100]'],
    ['text with a repeated key', 'text/plain', '{"to":"alice","to":"mallory"}', '{"to":"mallory"}'],
    ['bytes with an escape', 'application/octet-stream', '{"id":"\\u0041"}', '{"id":"A"}'],
  ])(
    'never answers %s with the answer to another one under the same key',
    async (_case, type, first, second) => {
      const { base } = await app(false);
      const key = randomUUID();
      const one = await send(`${base}/orders`, key, type, first);
      await one.arrayBuffer();
      const two = await send(`${base}/orders`, key, type, second);
      await two.arrayBuffer();
      expect(two.headers.get('idempotent-replayed')).toBeNull();
      // Where the guard reads the body (node, Hono) the second is the mismatch; elsewhere both are refused.
      if (one.status === 201) expect(two.status).toBe(422);
    },
  );

  it('answers 422 to the same key and body with another query', async () => {
    const { base, runs } = await app(true);
    const key = randomUUID();
    const body = '{"to":"alice"}';
    expect((await send(`${base}/orders?amount=100`, key, 'application/json', body)).status).toBe(201);
    const replay = await send(`${base}/orders?amount=100`, key, 'application/json', body);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await send(`${base}/orders?amount=999999`, key, 'application/json', body)).status).toBe(422);
    expect(runs.count).toBe(1);
  });

  it('answers 422 to another query on an absolute-form target with no path', async () => {
    const runs = { count: 0 };
    const server = await adapter.build({
      options: { catalog, logger: false },
      routes: [{ ...ordersRoute(runs, true), path: '/' }],
    });
    const base = await serve(server);
    const key = randomUUID();
    const post = async (query: string) => {
      const body = '{"to":"alice"}';
      const head = `POST ${base}?${query} HTTP/1.1\r\nHost: ${new URL(base).host}\r\nContent-Type: application/json`;
      const answer = await rawRequest(base, [
        `${head}\r\nIdempotency-Key: "${key}"\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      ]);
      return answer!;
    };
    // Every adapter routes the absolute form by its path (RFC 9112 §3.2.2), and tells the two queries apart.
    const first = await post('amount=100');
    expect(first.status).toBe(201);
    const second = await post('amount=999999');
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(second.status).toBe(422);
    expect(runs.count).toBe(1);
  });

  it('answers 422 to {"amount":null} under the key of {"amount":1e400}', async () => {
    const { base, runs } = await app(true);
    const key = randomUUID();
    expect((await send(`${base}/orders`, key, 'application/json', '{"amount":1e400}')).status).toBe(201);
    expect((await send(`${base}/orders`, key, 'application/json', '{"amount":null}')).status).toBe(422);
    expect(runs.count).toBe(1);
  });

  it('fingerprints a body nested as deep as the reader accepts (200 levels) and replays it', async () => {
    const { base, runs } = await app(true);
    const key = randomUUID();
    const deep = `${'['.repeat(200)}1${']'.repeat(200)}`;
    expect((await send(`${base}/orders`, key, 'application/json', deep)).status).toBe(201);
    const replay = await send(`${base}/orders`, key, 'application/json', deep);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(runs.count).toBe(1);
  });
});

describe('express', () => {
  it('replays an answer that compression() coded as a readable answer, coded for the retry', async () => {
    const errors = createExpressErrors({ logger: false });
    const app = express();
    app.use(compression());
    app.use(expressGuard(idempotent()), errors.json());
    let runs = 0;
    const items = Array.from({ length: 200 }, (_, i) => ({ i, name: `item ${i}` }));
    app.post('/orders', (_req, res) => void res.status(201).json({ run: ++runs, items }));
    app.use(errors.handler);
    const base = await serve(createServer(app));
    const post = keyedPost(base);
    const first = await post('gzip');
    expect(first.headers.get('content-encoding')).toBe('gzip');
    const expected = await first.json();
    for (const encoding of ['gzip', 'identity']) {
      const replay = await post(encoding);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.headers.get('content-encoding')).toBe(encoding === 'gzip' ? 'gzip' : null);
      expect(await replay.json()).toEqual(expected);
    }
    expect(runs).toBe(1);
  });

  it('fingerprints JSON that express.raw() kept as bytes as it came: a signed webhook reads those bytes', async () => {
    const errors = createExpressErrors({ logger: false });
    const app = express();
    app.use(express.raw({ type: 'application/json' }), expressGuard(idempotent()));
    let runs = 0;
    app.post('/orders', (_req, res) => void res.status(201).json({ run: ++runs }));
    app.use(errors.handler);
    const base = await serve(createServer(app));
    for (const [first, second] of [
      ['{"a":1,"sig":"x"}', '{"sig":"x","a":1}'],
      ['{"amount":10000000000000001}', '{"amount":10000000000000000}'],
    ]) {
      const key = randomUUID();
      expect((await send(`${base}/orders`, key, 'application/json', first!)).status).toBe(201);
      expect((await send(`${base}/orders`, key, 'application/json', second!)).status).toBe(422);
    }
    expect(runs).toBe(2);
  });

  it('fingerprints the text express.text() parsed as it came, not as the JSON it spells', async () => {
    const errors = createExpressErrors({ logger: false });
    const app = express();
    app.use(express.text(), expressGuard(idempotent()));
    let runs = 0;
    app.post('/orders', (_req, res) => void res.status(201).json({ run: ++runs }));
    app.use(errors.handler);
    const base = await serve(createServer(app));
    const key = randomUUID();
    expect((await send(`${base}/orders`, key, 'text/plain', '{"amount": 9007199254740993}')).status).toBe(
      201,
    );
    expect((await send(`${base}/orders`, key, 'text/plain', '{"amount": 9007199254740992}')).status).toBe(
      422,
    );
    expect(runs).toBe(1);
  });

  it('fingerprints what express.urlencoded() and express.raw() parsed before the guard', async () => {
    const errors = createExpressErrors({ logger: false });
    const app = express();
    app.use(express.urlencoded({ extended: false }), express.raw(), expressGuard(idempotent()));
    app.post('/orders', (_req, res) => void res.status(201).json({ ok: true }));
    app.use(errors.handler);
    const base = await serve(createServer(app));
    const form = 'application/x-www-form-urlencoded';
    const formKey = randomUUID();
    expect((await send(`${base}/orders`, formKey, form, 'amount=100&to=alice')).status).toBe(201);
    expect((await send(`${base}/orders`, formKey, form, 'amount=99999&to=mallory')).status).toBe(422);
    const raw = 'application/octet-stream';
    const rawKey = randomUUID();
    expect((await send(`${base}/orders`, rawKey, raw, new Uint8Array([0xff, 1]))).status).toBe(201);
    expect((await send(`${base}/orders`, rawKey, raw, new Uint8Array([0xfe, 1]))).status).toBe(422);
  });

  it('answers 415 to a keyed form no parser read before the guard: never a 500 or a log line a client can cause', async () => {
    const logged = vi.fn();
    const errors = createExpressErrors({ logger: { error: logged } });
    const app = express();
    app.use(expressGuard(idempotent()), express.urlencoded({ extended: false }));
    app.post('/orders', (_req, res) => void res.status(201).json({ ok: true }));
    app.use(errors.handler);
    const base = await serve(createServer(app));
    const key = randomUUID();
    for (const body of ['amount=100&to=alice', 'amount=99999&to=mallory']) {
      const answer = await send(`${base}/orders`, key, 'application/x-www-form-urlencoded', body);
      expect(answer.status).toBe(415);
      expect(answer.headers.get('accept')).toBe('application/json');
    }
    expect(logged).not.toHaveBeenCalled();
  });

  it('answers 415 to a type that the parsers before the guard skip: the client is refused, nothing is logged', async () => {
    const logged = vi.fn();
    const errors = createExpressErrors({ logger: { error: logged } });
    const app = express();
    app.use(express.json(), expressGuard(idempotent()));
    app.post('/orders', (_req, res) => void res.status(201).json({ ok: true }));
    app.use(errors.handler);
    const base = await serve(createServer(app));
    const key = randomUUID();
    for (const body of ['pay alice 100', 'pay mallory 99999']) {
      expect((await send(`${base}/orders`, key, 'text/plain', body)).status).toBe(415);
    }
    expect(logged).not.toHaveBeenCalled();
  });
});

describe('koa', () => {
  it('frees the key of a request whose client hung up before its streamed answer: the retry runs', async () => {
    const errors = createKoaErrors({ logger: false });
    const app = new Koa();
    app.use(errors.middleware);
    app.use(koaGuard(idempotent()));
    app.use(errors.json());
    let runs = 0;
    app.use(async (ctx) => {
      runs++;
      // The first waits (bounded) for its client to hang up, then answers with a stream Koa never sends.
      if (runs === 1) await Promise.race([once(ctx.res, 'close'), delay(3_000)]);
      ctx.status = 201;
      ctx.body = Readable.from([JSON.stringify({ run: runs })]);
    });
    const base = await serve(createServer(app.callback()));
    const key = randomUUID();
    const socket = connect(Number(new URL(base).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /orders HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nidempotency-key: "${key}"\r\n` +
        'content-length: 2\r\n\r\n{}',
    );
    await vi.waitFor(() => expect(runs).toBe(1), { timeout: 3_000 });
    socket.destroy();
    // The first settles once its handler returns: until then a retry is 409, after it the retry runs.
    await vi.waitFor(
      async () => {
        const retry = await send(`${base}/orders`, key, 'application/json', '{}');
        expect(retry.status).toBe(201);
        expect(await retry.json()).toEqual({ run: 2 });
      },
      { timeout: 3_000, interval: 50 },
    );
  });

  it('replays an answer that a compressing middleware coded as a readable answer, coded for the retry', async () => {
    const errors = createKoaErrors({ logger: false });
    const app = new Koa();
    app.use(errors.middleware);
    // What koa-compress does: after the route, the body is coded for the request's Accept-Encoding.
    app.use(async (ctx, next) => {
      await next();
      if (ctx.acceptsEncodings('gzip', 'identity') !== 'gzip' || ctx.body == null) return;
      const body = ctx.body as unknown;
      ctx.set('content-encoding', 'gzip');
      ctx.vary('accept-encoding');
      ctx.body = gzipSync(Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body)));
    });
    app.use(koaGuard(idempotent()));
    app.use(errors.json());
    let runs = 0;
    app.use((ctx) => {
      ctx.status = 201;
      ctx.body = { run: ++runs };
    });
    const base = await serve(createServer(app.callback()));
    const post = keyedPost(base);
    const first = await post('gzip');
    expect(first.headers.get('content-encoding')).toBe('gzip');
    expect(await first.json()).toEqual({ run: 1 });
    for (const encoding of ['gzip', 'identity']) {
      const replay = await post(encoding);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.headers.get('content-encoding')).toBe(encoding === 'gzip' ? 'gzip' : null);
      expect(await replay.json()).toEqual({ run: 1 });
    }
  });

  it('answers 415 to a keyed form no parser read before the guard: never a 500 or a log line a client can cause', async () => {
    const logged = vi.fn();
    const errors = createKoaErrors({ logger: { error: logged } });
    const app = new Koa();
    app.use(errors.middleware);
    app.use(koaGuard(idempotent()));
    app.use((ctx) => {
      ctx.status = 201;
    });
    const base = await serve(createServer(app.callback()));
    const answer = await send(`${base}/orders`, randomUUID(), 'application/x-www-form-urlencoded', 'a=1');
    expect(answer.status).toBe(415);
    expect(logged).not.toHaveBeenCalled();
  });
});

// The guard reads the body before the route's reader: given the route's readTimeout, a stalled body is
// answered 408 as the route would answer it, not after the default 10 s (the raw request gives up at 5 s).
const guardedApps: [string, () => Server][] = [
  [
    'node',
    () => {
      const errors = createNodeErrors({ logger: false });
      const handler = nodeGuard(
        { body: { readTimeout: 300 } },
        idempotent(),
      )(async (req, res) => {
        res.end(JSON.stringify(await readJson(req, { readTimeout: 300 })));
      });
      return createServer(errors(handler));
    },
  ],
  [
    'express',
    () => {
      const errors = createExpressErrors({ logger: false });
      const app = express();
      app.use(expressGuard({ body: { readTimeout: 300 } }, idempotent()), errors.json({ readTimeout: 300 }));
      app.post('/orders', (req, res) => void res.json(req.body));
      app.use(errors.handler);
      return createServer(app);
    },
  ],
  [
    'koa',
    () => {
      const errors = createKoaErrors({ logger: false });
      const app = new Koa();
      app.use(errors.middleware);
      app.use(koaGuard({ body: { readTimeout: 300 } }, idempotent()));
      app.use(errors.json({ readTimeout: 300 }));
      app.use((ctx) => {
        ctx.body = ctx.request.body;
      });
      return createServer(app.callback());
    },
  ],
  [
    'hono',
    () => {
      const errors = createHonoErrors({ logger: false });
      const app = new Hono();
      errors.install(app);
      app.post('/orders', honoGuard({ body: { readTimeout: 300 } }, idempotent()), async (c) =>
        c.json(await c.req.json()),
      );
      return createAdaptorServer({ fetch: app.fetch }) as Server;
    },
  ],
];

describe.each(guardedApps)('%s guard({ body: { readTimeout } })', (_name, build) => {
  it('answers a stalled body with a key 408 under the readTimeout given', async () => {
    const base = await serve(build());
    const answer = await rawRequest(base, [
      'POST /orders HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nidempotency-key: "k"\r\n' +
        'content-length: 20\r\n\r\n{"a":',
    ]);
    expect(answer?.status).toBe(408);
  });
});
