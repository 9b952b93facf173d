import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import express from 'express';
import { defineErrors } from 'faultline';
import { createExpressErrors, guard as expressGuard } from 'faultline/express';
import {
  byHeader,
  cooldown,
  type Guard,
  type GuardContext,
  type GuardRequest,
  quota,
  rateLimit,
} from 'faultline/guards';
import { createHonoErrors, guard as honoGuard } from 'faultline/hono';
import { createErrorHandler } from 'faultline/server';
import { memoryStore, redisSend, redisStore, type Store } from 'faultline/stores';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdapterEntry, adapters } from '../helpers/adapters.js';
import { close, listen } from '../helpers/http.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';

const catalog = defineErrors({});
const app = byHeader('x-app');

let redis: RedisServer;
let client: Redis;
const servers: Server[] = [];
beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.port, '127.0.0.1');
});
afterAll(async () => {
  for (const server of servers) await close(server);
  client?.disconnect();
  await redis?.stop();
});

/** A guard context over one request, as an adapter builds it; `finish` ends its response. */
function contextOf(request: GuardRequest): GuardContext & { finish(status?: number): void } {
  const listeners: ((status: number | undefined) => void)[] = [];
  return {
    request,
    headers: new Map(),
    onFinish: (listener) => listeners.push(listener),
    body: () => undefined,
    capture: () => undefined,
    finish: (status) => {
      for (const listener of listeners) listener(status);
    },
  };
}

/** Runs one request through a guard: its status (200 admitted, else the error's) and headers. */
const answer = createErrorHandler({ logger: false });

async function attempt(
  guard: Guard,
  request: GuardRequest,
): Promise<{ status: number; headers: Record<string, string> }> {
  const context = contextOf(request);
  let denial: unknown;
  try {
    // A guard returns its denial (the rate limit) or throws it (the others): both are answered.
    denial = await guard.check(context);
  } catch (thrown) {
    denial = thrown;
  }
  if (denial === undefined) return { status: 200, headers: Object.fromEntries(context.headers) };
  // The status and headers the standard catalog's handler answers the denial with.
  const { status, headers } = answer.normalize(denial);
  return { status, headers: { ...headers } };
}

async function admittedOf(guard: Guard, request: GuardRequest, tries: number): Promise<number> {
  let admitted = 0;
  for (let i = 0; i < tries; i++) if ((await attempt(guard, request)).status === 200) admitted++;
  return admitted;
}

const stores: [string, () => Store][] = [
  ['memoryStore', () => memoryStore()],
  ['redisStore', () => redisStore({ send: redisSend(client), prefix: `tenant-${randomUUID()}:` })],
];

describe.each(stores)('a rate limit per tenant on %s', (_, make) => {
  it('applies each app’s own limit, and RateLimit-Policy shows the limit that applied', async () => {
    const limits = new Map([
      ['small', 2],
      ['large', 5],
    ]);
    const guard = rateLimit({
      name: 'per-app',
      key: app,
      limit: (request) => limits.get(app(request) ?? '') ?? 3,
      period: '1h',
      store: make(),
    });
    const small = { headers: { 'x-app': 'small' } };
    const first = await attempt(guard, small);
    expect(first.headers['ratelimit-policy']).toBe('"per-app";q=2;w=3600');
    expect(first.headers.ratelimit).toBe('"per-app";r=1;t=1800');
    expect(1 + (await admittedOf(guard, small, 5))).toBe(2);
    const large = await attempt(guard, { headers: { 'x-app': 'large' } });
    expect(large.headers['ratelimit-policy']).toBe('"per-app";q=5;w=3600');
    expect(await admittedOf(guard, { headers: { 'x-app': 'other' } }, 6)).toBe(3);
    const denied = await attempt(guard, small);
    expect(denied.status).toBe(429);
    expect(denied.headers['ratelimit-policy']).toBe('"per-app";q=2;w=3600');
  });

  it('a limit changed between calls applies from the next decision, on the share of the window used', async () => {
    let limit = 4;
    const guard = rateLimit({ name: 'app', key: app, limit: () => limit, period: '1h', store: make() });
    const acme = { headers: { 'x-app': 'acme' } };
    // Half of 4 per hour used, then raised to 8: half of 8 is left.
    expect(await admittedOf(guard, acme, 2)).toBe(2);
    limit = 8;
    const raised = await attempt(guard, acme);
    expect(raised.status).toBe(200);
    expect(raised.headers.ratelimit).toBe('"app";r=3;t=2250');
    expect(raised.headers['ratelimit-policy']).toBe('"app";q=8;w=3600');
    expect(await admittedOf(guard, acme, 10)).toBe(3);
    // The whole window used: lowered to 2, still nothing until a unit of the new limit frees (30 min).
    limit = 2;
    const lowered = await attempt(guard, acme);
    expect(lowered.status).toBe(429);
    expect(lowered.headers['ratelimit-policy']).toBe('"app";q=2;w=3600');
    expect(Number(lowered.headers['retry-after'])).toBeGreaterThan(1790);
    expect(Number(lowered.headers['retry-after'])).toBeLessThanOrEqual(1800);

    // Lowered from 8 after half of it: half of 2 is left.
    limit = 8;
    const beta = { headers: { 'x-app': 'beta' } };
    expect(await admittedOf(guard, beta, 4)).toBe(4);
    limit = 2;
    expect(await admittedOf(guard, beta, 5)).toBe(1);
    // Raised again from an exhausted 2: the window is full, and one unit of 100 per hour frees in 36 s.
    limit = 100;
    const again = await attempt(guard, beta);
    expect(again.status).toBe(429);
    expect(Number(again.headers['retry-after'])).toBeLessThanOrEqual(36);
  });

  it('a period given per request, and an async limit, apply like constants', async () => {
    const guard = rateLimit({
      name: 'app',
      key: app,
      limit: async () => 3,
      period: (request) => (app(request) === 'daily' ? '1d' : 60_000),
      store: make(),
    });
    const daily = await attempt(guard, { headers: { 'x-app': 'daily' } });
    expect(daily.headers['ratelimit-policy']).toBe('"app";q=3;w=86400');
    const minute = await attempt(guard, { headers: { 'x-app': 'minute' } });
    expect(minute.headers['ratelimit-policy']).toBe('"app";q=3;w=60');
    expect(await admittedOf(guard, { headers: { 'x-app': 'minute' } }, 5)).toBe(2);
  });

  it('several policies, one of them per tenant: a denial refunds the others at the limit that applied', async () => {
    let limit = 2;
    const store = make();
    const guard = rateLimit({
      policies: [
        { name: 'app', key: app, limit: () => limit, period: '1h' },
        { name: 'all', key: () => 'all', limit: 100, period: '1h' },
      ],
      store,
    });
    const acme = { headers: { 'x-app': 'acme' } };
    expect(await admittedOf(guard, acme, 5)).toBe(2);
    limit = 3;
    const denied = await attempt(guard, acme);
    expect(denied.status).toBe(429);
    // Six attempts on "all" admitted two and refunded four: 97 left after the next.
    const other = await attempt(guard, { headers: { 'x-app': 'other' } });
    expect(other.headers.ratelimit).toBe('"app";r=2;t=1200, "all";r=97;t=108');
    expect(other.headers['ratelimit-policy']).toBe('"app";q=3;w=3600, "all";q=100;w=3600');
  });
});

describe('a limit per request that is not a limit', () => {
  const bad: [string, unknown, unknown][] = [
    ['zero', 0, '1m'],
    ['negative', -5, '1m'],
    ['fractional', 1.5, '1m'],
    ['NaN', Number.NaN, '1m'],
    ['Infinity', Number.POSITIVE_INFINITY, '1m'],
    ['a string', '10', '1m'],
    ['undefined', undefined, '1m'],
    ['a bad period', 10, '1 minute'],
    ['a zero period', 10, 0],
    ['an infinite period', 10, Number.POSITIVE_INFINITY],
  ];
  it.each(bad)(
    '%s: the catalog 500 with a configuration error logged, never an admission',
    async (_, limit, period) => {
      const logged: string[] = [];
      const errors = createHonoErrors({
        catalog,
        onError: false,
        logger: { error: (record: { message?: string }) => logged.push(String(record.message)) },
      });
      const hono = new Hono();
      errors.install(hono);
      let handled = 0;
      const guards = [
        rateLimit({ name: 'app', key: app, limit: () => limit as number, period: () => period as '1m' }),
        quota({ name: 'day', key: app, limit: () => limit as number, per: 'day' }),
        cooldown({ key: app, group: 'g', interval: () => period as '1m' }),
      ];
      for (const guard of guards) {
        hono.get(`/${guard.kind}`, honoGuard(guard), (c) => {
          handled++;
          return c.text('ok');
        });
      }
      const paths = limit === 10 ? ['/rateLimit', '/cooldown'] : ['/rateLimit', '/quota'];
      for (const path of paths) {
        for (let i = 0; i < 3; i++) {
          const response = await hono.request(path, { headers: { 'x-app': `a${i}` } });
          expect(response.status).toBe(500);
          expect(await response.text()).not.toMatch(/FAULTLINE|at \//);
        }
      }
      expect(handled).toBe(0);
      expect(logged.length).toBe(6);
      expect(logged[0]).toMatch(/FAULTLINE_INVALID_OPTION: rateLimit policy "app"/);
      expect(logged[3]).toMatch(/FAULTLINE_INVALID_OPTION: (quota|cooldown)/);
    },
  );

  it('an async limit that rejects or never settles is answered by the failure policy: closed 503, open admitted', async () => {
    const failing = () => Promise.reject(new Error('plans table unreachable'));
    const hanging = () => new Promise<number>(() => undefined);
    const acme = { headers: { 'x-app': 'acme' } };
    for (const limit of [failing, hanging]) {
      const guards = (onStoreError: 'open' | 'closed') => {
        const common = { store: memoryStore(), onStoreError, storeTimeout: 50 };
        return [
          rateLimit({ name: 'app', key: app, limit, period: '1m', ...common }),
          rateLimit({
            policies: [
              { name: 'app', key: app, limit, period: '1m' },
              { name: 'all', key: () => 'all', limit: 100, period: '1h' },
            ],
            ...common,
          }),
          quota({ name: 'day', key: app, limit, per: 'day', ...common }),
          cooldown({ key: app, group: 'g', interval: limit, ...common }),
        ];
      };
      for (const guard of guards('closed')) expect((await attempt(guard, acme)).status).toBe(503);
      for (const guard of guards('open')) expect(await admittedOf(guard, acme, 2)).toBe(2);
    }
  });

  it('a policy whose limit is a function needs a name, as its state is kept under it', () => {
    expect(() => rateLimit({ key: app, limit: () => 5, period: '1m' })).toThrow(/needs a name/);
  });
});

describe('quota and cooldown per tenant', () => {
  it('quota: each app its own daily limit, in the RateLimit fields', async () => {
    const guard = quota({
      name: 'daily',
      key: app,
      limit: (request) => (app(request) === 'pro' ? 3 : 1),
      per: 'day',
      store: memoryStore(),
    });
    expect(await admittedOf(guard, { headers: { 'x-app': 'pro' } }, 5)).toBe(3);
    expect(await admittedOf(guard, { headers: { 'x-app': 'free' } }, 5)).toBe(1);
    const pro = await attempt(guard, { headers: { 'x-app': 'pro' } });
    expect(pro.headers['ratelimit-policy']).toMatch(/^"daily";q=3;w=/);
  });

  it('cooldown: each app its own interval', async () => {
    const guard = cooldown({
      key: app,
      group: 'deploy',
      interval: (request) => (app(request) === 'slow' ? '1h' : '1m'),
      store: memoryStore(),
    });
    await attempt(guard, { headers: { 'x-app': 'slow' } });
    const slow = await attempt(guard, { headers: { 'x-app': 'slow' } });
    await attempt(guard, { headers: { 'x-app': 'fast' } });
    const fast = await attempt(guard, { headers: { 'x-app': 'fast' } });
    expect(slow.status).toBe(429);
    expect(Number(slow.headers['retry-after'])).toBeGreaterThan(60);
    expect(Number(fast.headers['retry-after'])).toBeLessThanOrEqual(60);
  });
});

// One request per id, twice: a key on the route's `id` parameter separates the two ids.
type Get = (path: string) => Promise<number>;
const perId = () =>
  rateLimit({ name: 'per-id', key: (r) => r.params?.id, limit: 1, period: '1h', store: memoryStore() });

/** The route on an adapter of the list, on 127.0.0.1. */
async function onAdapter(adapter: AdapterEntry): Promise<Get> {
  const server = await adapter.build({
    options: { catalog, onError: false },
    routes: [
      {
        method: 'GET',
        path: '/items/:id',
        guards: [perId()],
        handle: ({ params }) => ({ body: { id: params.id } }),
      },
    ],
  });
  servers.push(server);
  const url = await listen(server);
  return async (path) => (await fetch(url + path)).status;
}

describe.each(adapters.map((adapter) => [adapter.name, () => onAdapter(adapter)] as const))(
  'a guard key on the route parameters on %s',
  (_, make) => {
    it('key: (r) => r.params?.id separates two ids', async () => {
      const get = await make();
      expect([
        await get('/items/a'),
        await get('/items/a'),
        await get('/items/b'),
        await get('/items/b'),
      ]).toEqual([200, 429, 200, 429]);
    });
  },
);

describe('route parameters on Express 5', () => {
  it('a wildcard parameter reads as the path it matched, joined with /', async () => {
    const seen: (string | undefined)[] = [];
    const errors = createExpressErrors({ catalog, onError: false });
    const server = express();
    const record: Guard = {
      kind: 'record',
      check({ request }) {
        seen.push(request.params?.path);
        return undefined;
      },
    };
    server.get('/files/*path', expressGuard(record), (_req, res) => {
      res.send('ok');
    });
    server.use(errors.handler);
    const http = server.listen(0, '127.0.0.1');
    servers.push(http);
    const url = await listen(http);
    expect((await fetch(`${url}/files/a/b.txt`)).status).toBe(200);
    expect(seen).toEqual(['a/b.txt']);
  });
});
