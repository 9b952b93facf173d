import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { defineErrors } from 'faultline';
import { renderOpenApi } from 'faultline/docs';
import { createExpressErrors } from 'faultline/express';
import { createFastifyErrors } from 'faultline/fastify';
import { createHonoErrors } from 'faultline/hono';
import { createKoaErrors } from 'faultline/koa';
import { createNodeErrors } from 'faultline/node';
import { redisSend, redisStore } from 'faultline/stores';
import { Hono } from 'hono';
import Koa from 'koa';
import { createSentinel } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import { close, listen } from '../helpers/http.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';

// Attack: `renderOpenApi(catalog, { into })` takes a document the user wrote, with paths and operation ids
// of any spelling. Each operation must be documented with its own codes, whatever its path or id is.
const catalog = defineErrors({
  ORDER_GONE: { status: 404, message: 'Order not found' },
  INVOICE_GONE: { status: 404, message: 'Invoice not found' },
});

/** The codes whose examples the response an operation's `status` refers to holds. */
function codesOf(document: Record<string, any>, path: string, status: string): string[] {
  const ref: string = document.paths[path].get.responses[status].$ref;
  const response = document.components.responses[ref.slice('#/components/responses/'.length)];
  return Object.keys(response.content['application/problem+json'].examples);
}

/** A fresh `responses` object; `shared` below is one object several operations hold, as code builds documents. */
const ok = () => ({ '200': { description: 'ok' } });
const shared = ok();

describe('renderOpenApi into an existing document', () => {
  it('documents two operations whose paths spell alike with their own codes', () => {
    const merged = renderOpenApi(catalog, {
      into: {
        openapi: '3.1.0',
        info: { title: 'shop', version: '1' },
        paths: {
          '/orders/{id}': { get: { responses: ok(), 'x-error-codes': ['ORDER_GONE'] } },
          '/orders_{id}': { get: { responses: ok(), 'x-error-codes': ['INVOICE_GONE'] } },
        },
      },
    });
    expect(codesOf(merged, '/orders/{id}', '404')).toEqual(['ORDER_GONE']);
    expect(codesOf(merged, '/orders_{id}', '404')).toEqual(['INVOICE_GONE']);
  });

  it('documents operations holding one shared responses object each with its own codes', () => {
    const into = {
      paths: {
        '/orders': { get: { operationId: 'getOrder', responses: shared, 'x-error-codes': ['ORDER_GONE'] } },
        '/invoices': {
          get: { operationId: 'getInvoice', responses: shared, 'x-error-codes': ['INVOICE_GONE'] },
        },
      },
    };
    const merged = renderOpenApi(catalog, { into });
    expect(codesOf(merged, '/orders', '404')).toEqual(['ORDER_GONE']);
    expect(codesOf(merged, '/invoices', '404')).toEqual(['INVOICE_GONE']);
    expect(shared).toEqual(ok());
  });

  it("keeps a response of the user's own components that a generated name would take", () => {
    const mine = { description: 'my own 404' };
    const merged = renderOpenApi(catalog, {
      into: {
        paths: { '/orders': { get: { operationId: 'listOrders', responses: ok() } } },
        components: { responses: { Error404_listOrders: mine } },
      },
    });
    expect(merged.components.responses.Error404_listOrders).toEqual(mine);
    expect(codesOf(merged, '/orders', '404')).toEqual(['NOT_FOUND']);
  });

  it("reads an operation's x-error-codes when its id names a property of every object", () => {
    const merged = renderOpenApi(catalog, {
      into: {
        paths: {
          '/a': { get: { operationId: 'toString', responses: ok(), 'x-error-codes': ['ORDER_GONE'] } },
          '/b': { get: { operationId: 'constructor', responses: ok(), 'x-error-codes': ['INVOICE_GONE'] } },
        },
      },
      operations: { listOrders: ['ORDER_GONE'] },
    });
    expect(Object.keys(merged.paths['/a'].get.responses)).toEqual(['200', '404']);
    expect(codesOf(merged, '/a', '404')).toEqual(['ORDER_GONE']);
    expect(codesOf(merged, '/b', '404')).toEqual(['INVOICE_GONE']);
  });

  it('documents a code listed many times once, without going quadratic', () => {
    // 200 000 entries: quadratic work over them would not end within the test's timeout.
    const listed = [...Array.from({ length: 100_000 }, () => 'ORDER_GONE'), 'INVOICE_GONE'];
    listed.push(...Array.from({ length: 100_000 }, () => 'INVOICE_GONE'));
    const merged = renderOpenApi(catalog, {
      into: { paths: { '/orders/{id}': { get: { responses: ok(), 'x-error-codes': listed } } } },
    });
    expect(codesOf(merged, '/orders/{id}', '404')).toEqual(['ORDER_GONE', 'INVOICE_GONE']);
  });

  it('takes an operation whose operationId is not a string as one without an id', () => {
    const merged = renderOpenApi(catalog, {
      into: {
        paths: { '/orders': { get: { operationId: 7, responses: ok(), 'x-error-codes': ['ORDER_GONE'] } } },
      },
    });
    expect(codesOf(merged, '/orders', '404')).toEqual(['ORDER_GONE']);
  });
});

// Attack: a handler sets the reason phrase of the answer it meant to send (`res.statusMessage`), then throws.
// Like the headers it set, the phrase belongs to the failed answer: the error answer is not `500 All Good`.
describe("an error answer's status line", () => {
  const quiet = defineErrors({});
  const servers: Server[] = [];
  afterAll(async () => {
    for (const server of servers) await close(server);
  });

  const apps: [string, () => Promise<Server>][] = [
    [
      'node',
      async () => {
        const errors = createNodeErrors({ catalog: quiet, logger: false });
        return createServer(
          errors((_req, res) => {
            res.statusMessage = 'All Good';
            throw new Error('failed after choosing its reason phrase');
          }),
        );
      },
    ],
    [
      'express',
      async () => {
        const errors = createExpressErrors({ catalog: quiet, logger: false });
        const app = express();
        app.get('/x', (_req, res) => {
          res.statusMessage = 'All Good';
          throw new Error('failed after choosing its reason phrase');
        });
        app.use(errors.handler);
        return createServer(app);
      },
    ],
    [
      'fastify',
      async () => {
        const app = Fastify();
        await app.register(createFastifyErrors({ catalog: quiet, logger: false }));
        app.get('/x', async (_request, reply) => {
          reply.raw.statusMessage = 'All Good';
          throw new Error('failed after choosing its reason phrase');
        });
        await app.ready();
        return app.server;
      },
    ],
  ];

  it.each(apps)('on %s drops the reason phrase the app set before it threw', async (_name, build) => {
    const server = await build();
    servers.push(server);
    const base = await listen(server);
    const line = await new Promise<string>((resolve, reject) => {
      const req = request(`${base}/x`, { timeout: 5_000 }, (res) => {
        res.resume();
        resolve(`${res.statusCode} ${res.statusMessage}`);
      });
      req.on('timeout', () => req.destroy(new Error('no answer within 5000 ms')));
      req.on('error', reject);
      req.end();
    });
    expect(line).toBe('500 Internal Server Error');
  });
});

// Attack: headers of the representation reach the error answer by a way round each adapter's own header
// store: on Hono, set on node's response under `@hono/node-server`; on Koa, set by a middleware before Koa's
// own 404, which no app chose. Express's and node's not-found answers drop them; these must too.
describe('headers set before an error answer, by other ways', () => {
  const quiet = defineErrors({});
  const servers: Server[] = [];
  afterAll(async () => {
    for (const server of servers) await close(server);
  });
  const start = async (server: Server) => {
    servers.push(server);
    return listen(server);
  };
  const stale = { 'set-cookie': 'session=half-done; Path=/', 'cache-control': 'public, max-age=3600' };

  it("on Hono drops the headers the app set on node's response before it threw", async () => {
    const errors = createHonoErrors({ catalog: quiet, logger: false });
    const app = new Hono<{ Bindings: { outgoing: ServerResponse } }>();
    errors.install(app);
    app.get('/export', (c) => {
      for (const [name, value] of Object.entries(stale)) c.env.outgoing.setHeader(name, value);
      c.env.outgoing.setHeader('access-control-allow-origin', 'https://app.example');
      throw new Error('the export failed half-way');
    });
    const base = await start(createAdaptorServer({ fetch: app.fetch }) as Server);
    const response = await fetch(`${base}/export`, { signal: AbortSignal.timeout(5_000) });
    expect(await response.json()).toMatchObject({ code: 'INTERNAL_ERROR' });
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(response.headers.get('cache-control')).toBeNull();
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });

  it("on Koa drops a middleware's headers before Koa's own 404, and keeps those of a status the app set", async () => {
    const errors = createKoaErrors({ catalog: quiet, logger: false });
    const app = new Koa();
    app.use(errors.middleware);
    app.use(async (ctx, next) => {
      ctx.set(stale);
      if (ctx.path === '/private') {
        ctx.status = 401;
        ctx.set('www-authenticate', 'Bearer');
        return;
      }
      await next();
    });
    const base = await start(createServer(app.callback()));
    const missing = await fetch(`${base}/nope`, { signal: AbortSignal.timeout(5_000) });
    expect(await missing.json()).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(missing.headers.getSetCookie()).toEqual([]);
    expect(missing.headers.get('cache-control')).toBeNull();
    const chosen = await fetch(`${base}/private`, { signal: AbortSignal.timeout(5_000) });
    await chosen.arrayBuffer();
    expect(chosen.status).toBe(401);
    expect(chosen.headers.get('www-authenticate')).toBe('Bearer');
  });
});

/** A free port of 127.0.0.1. */
function freePort(): Promise<number> {
  const probe = createTcpServer();
  return new Promise((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** A real Redis Sentinel (redis-server --sentinel) watching `master` as `mymaster`; ready within 10 s. */
async function startSentinel(master: RedisServer): Promise<{ port: number; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-sentinel-'));
  const port = await freePort();
  const config = join(dir, 'sentinel.conf');
  writeFileSync(
    config,
    `port ${port}\nbind 127.0.0.1\nsentinel monitor mymaster 127.0.0.1 ${master.port} 1\n`,
  );
  const child: ChildProcess = spawn('/usr/bin/redis-server', [config, '--sentinel'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`sentinel not ready within 10000 ms: ${out}`)), 10_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk;
      if (out.includes('+monitor master mymaster')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sentinel exited with ${code}: ${out}`));
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { port, stop };
}

// Attack: redisSend promises that a client it takes works and that anything else is refused at once. A
// node-redis sentinel (`createSentinel`) has sendCommand(isReadonly, args), which read the command as a flag.
describe('redisSend of a node-redis sentinel', () => {
  let master: RedisServer | undefined;
  let sentinel: Awaited<ReturnType<typeof startSentinel>> | undefined;
  afterAll(async () => {
    await sentinel?.stop();
    await master?.stop();
  });

  it('decides through the master the sentinel names', async () => {
    master = await startRedis();
    sentinel = await startSentinel(master);
    const client = await createSentinel({
      name: 'mymaster',
      sentinelRootNodes: [{ host: '127.0.0.1', port: sentinel.port }],
    }).connect();
    try {
      const store = redisStore({ send: redisSend(client), prefix: `t-${randomUUID()}:` });
      const rate = { interval: 1_000, tolerance: 2_000, cost: 1 }; // a burst of 2
      const first = await store.rate('k', rate);
      const second = await store.rate('k', rate);
      const third = await store.rate('k', rate);
      expect([first.allowed, second.allowed, third.allowed]).toEqual([true, true, false]);
    } finally {
      await client.close();
    }
  });
});
