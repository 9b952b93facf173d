import { createServer, request as httpRequest, type Server } from 'node:http';
import express from 'express';
import { defineErrors } from 'faultline';
import { createExpressErrors, guard as expressGuard } from 'faultline/express';
import { byHeader, cooldown, type Guard, quota, rateLimit, requireHeader } from 'faultline/guards';
import { createNodeErrors, createRouter, guard as nodeGuard } from 'faultline/node';
import { memoryStore, redisSend, redisStore } from 'faultline/stores';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { type AdapterEntry, adapters } from '../helpers/adapters.js';
import { close, listen } from '../helpers/http.js';
import { startRedis } from '../helpers/redis.js';

const catalog = defineErrors({ BAD_COMMAND: { status: 400, message: 'Invalid command' } });
const app = byHeader('x-app');
const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

/**
 * The routes of every adapter: each runs its guards, then a handler that refuses with the catalog's 400
 * unless the query says `ok=1` (the route's own validation).
 */
function routesOf(): [string, Guard[]][] {
  const store = memoryStore();
  const command = (count?: 'all') =>
    cooldown({ key: app, group: 'command', interval: '1h', store, ...(count ? { count } : {}) });
  return [
    ['/validated', [command()]],
    ['/later-guard', [command(), requireHeader({ name: 'x-token' })]],
    ['/cooldown-all', [command('all')]],
    ['/quota-succeeded', [quota({ name: 'ok', key: app, limit: 2, per: 'day', count: 'succeeded', store })]],
    ['/quota-all', [quota({ name: 'all', key: app, limit: 2, per: 'day', store })]],
    ['/rate', [rateLimit({ name: 'rate', key: app, limit: 2, period: '1h', store })]],
  ];
}

type Call = (path: string, ok: boolean, headers?: Record<string, string>) => Promise<number>;
const validate = (ok: unknown) => {
  if (ok !== '1') throw catalog.create('BAD_COMMAND');
  return { done: true };
};
const query = (path: string, ok: boolean) => `${path}?ok=${ok ? 1 : 0}`;

async function viaFetch(server: Server): Promise<Call> {
  servers.push(server);
  const url = await listen(server);
  return async (path, ok, headers = {}) =>
    (await fetch(url + query(path, ok), { method: 'POST', headers: { 'x-app': 'acme', ...headers } })).status;
}

/** The routes on an adapter of the list, on 127.0.0.1. */
async function onAdapter(adapter: AdapterEntry): Promise<Call> {
  const server = await adapter.build({
    options: { catalog, onError: false },
    routes: routesOf().map(([path, guards]) => ({
      method: 'POST' as const,
      path,
      guards,
      handle: ({ query: param }) => ({ body: validate(param('ok')) }),
    })),
  });
  return viaFetch(server);
}

describe.each(adapters.map((adapter) => [adapter.name, () => onAdapter(adapter)] as const))(
  'when guards spend, on %s',
  (_, make) => {
    it('a command refused 400 by the route’s validation does not start its cooldown; a succeeded one does', async () => {
      const call = await make();
      const statuses = [
        await call('/validated', false),
        await call('/validated', false),
        await call('/validated', true),
        await call('/validated', true),
        await call('/validated', false),
      ];
      expect(statuses).toEqual([400, 400, 200, 429, 429]);
    });

    it('a command a later guard refuses does not start the cooldown', async () => {
      const call = await make();
      const statuses = [
        await call('/later-guard', true),
        await call('/later-guard', true, { 'x-token': 't' }),
        await call('/later-guard', true, { 'x-token': 't' }),
      ];
      expect(statuses).toEqual([400, 200, 429]);
    });

    it("cooldown count: 'all' starts on every admitted call, refused or not", async () => {
      const call = await make();
      expect([await call('/cooldown-all', false), await call('/cooldown-all', true)]).toEqual([400, 429]);
    });

    it("quota count: 'succeeded' gives a refused request's unit back; the default counts every admitted one", async () => {
      const call = await make();
      const succeeded = [];
      for (const ok of [false, false, false, true, true, true])
        succeeded.push(await call('/quota-succeeded', ok));
      expect(succeeded).toEqual([400, 400, 400, 200, 200, 429]);
      const all = [];
      for (const ok of [false, false, true]) all.push(await call('/quota-all', ok));
      expect(all).toEqual([400, 400, 429]);
    });

    it('a rate limit spends at admission, whatever the response', async () => {
      const call = await make();
      expect([await call('/rate', false), await call('/rate', false), await call('/rate', true)]).toEqual([
        400, 400, 429,
      ]);
    });
  },
);

describe('a cooldown on Redis', () => {
  it('gives back the cooldown of a refused command on the shared store too', async () => {
    const redis = await startRedis();
    const client = new Redis(redis.port, '127.0.0.1');
    try {
      const store = redisStore({ send: redisSend(client), prefix: `placement-${Date.now()}:` });
      const errors = createExpressErrors({ catalog, onError: false });
      const server = express();
      const command = cooldown({ key: app, group: 'command', interval: '1h', store });
      server.post('/validated', expressGuard(command), (req, res) => {
        res.json(validate(req.query.ok));
      });
      server.use(errors.handler);
      const call = await viaFetch(createServer(server));
      const statuses = [
        await call('/validated', false),
        await call('/validated', true),
        await call('/validated', true),
      ];
      expect(statuses).toEqual([400, 200, 429]);
    } finally {
      client.disconnect();
      await redis.stop();
    }
  });
});

describe('a cooldown whose caller hangs up', () => {
  it('keeps the cooldown when the connection closes before the answer: the command may have run', async () => {
    const errors = createNodeErrors({ catalog, onError: false });
    let entered: () => void = () => undefined;
    let closed: () => void = () => undefined;
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const gone = new Promise<void>((resolve) => {
      closed = resolve;
    });
    const guard = nodeGuard(cooldown({ key: app, group: 'slow', interval: '1h', store: memoryStore() }));
    let calls = 0;
    const router = createRouter().post(
      '/slow',
      guard(async (_req, res) => {
        calls++;
        if (calls > 1) return { done: true };
        res.once('close', closed);
        entered();
        await gone;
        return undefined;
      }),
    );
    const server = createServer(errors(router.handle));
    servers.push(server);
    const url = new URL(await listen(server));
    const aborted = httpRequest({
      host: '127.0.0.1',
      port: url.port,
      path: '/slow',
      method: 'POST',
      headers: { 'x-app': 'acme' },
    });
    aborted.on('error', () => undefined);
    aborted.end();
    await withTimeout(inside, 'the handler was not reached');
    aborted.destroy();
    await withTimeout(gone, 'the server did not see the close');
    const next = await fetch(`${url.origin}/slow`, { method: 'POST', headers: { 'x-app': 'acme' } });
    expect(next.status).toBe(429);
    expect(calls).toBe(1);
  });
});

function withTimeout<T>(promise: Promise<T>, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), 5000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
