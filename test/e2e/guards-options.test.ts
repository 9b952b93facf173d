import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import express from 'express';
import { defineErrors } from 'faultline';
import { createExpressErrors, guard as expressGuard } from 'faultline/express';
import { byHeader, type Guard, type RateDenial, rateLimit } from 'faultline/guards';
import { createNodeErrors, guard as nodeGuard, sendJson } from 'faultline/node';
import { memoryStore, redisSend, redisStore } from 'faultline/stores';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, listen } from '../helpers/http.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';

// The options users of express-rate-limit, @fastify/rate-limit and rate-limiter-flexible set, on
// faultline's rateLimit, through node:http and Express.
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

interface Served {
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  handled(): number;
  logged: string[];
}

/** A node:http server whose every route runs `guards` before a handler that counts its runs. */
async function nodeApp(...guards: Guard[]): Promise<Served> {
  const logged: string[] = [];
  const errors = createNodeErrors({
    catalog,
    onError: false,
    logger: { error: (record: { message?: string }) => logged.push(String(record.message)) },
  });
  let handled = 0;
  // A path under /fail answers 401, as a failed login does.
  const guarded = nodeGuard(...guards)((req, res) => {
    handled++;
    sendJson(res, req.url?.startsWith('/fail') ? 401 : 200, { ok: true });
  });
  const server = createServer(errors(guarded));
  servers.push(server);
  const url = await listen(server);
  return {
    get: (path, headers) => fetch(url + path, { headers }),
    handled: () => handled,
    logged,
  };
}

/** The same on Express 5. */
async function expressApp(...guards: Guard[]): Promise<Served> {
  const logged: string[] = [];
  const errors = createExpressErrors({
    catalog,
    onError: false,
    logger: { error: (record: { message?: string }) => logged.push(String(record.message)) },
  });
  let handled = 0;
  const server = express();
  server.get('/{*any}', expressGuard(...guards), (_req, res) => {
    handled++;
    res.json({ ok: true });
  });
  server.use(errors.handler);
  const http = server.listen(0, '127.0.0.1');
  servers.push(http);
  const url = await listen(http);
  return { get: (path, headers) => fetch(url + path, { headers }), handled: () => handled, logged };
}

const acme = { 'x-app': 'acme' };

describe('rateLimit skip and allow', () => {
  it('a request skip answers true for spends nothing and carries no RateLimit field', async () => {
    const api = await nodeApp(
      rateLimit({ key: app, limit: 2, period: '1h', store: memoryStore(), skip: (r) => r.url === '/health' }),
    );
    for (let i = 0; i < 5; i++) {
      const health = await api.get('/health', acme);
      expect(health.status).toBe(200);
      expect(health.headers.get('ratelimit')).toBeNull();
      expect(health.headers.get('ratelimit-policy')).toBeNull();
    }
    const counted = await api.get('/orders', acme);
    expect(counted.headers.get('ratelimit')).toBe('"2-per-3600s";r=1;t=1800');
    expect((await api.get('/orders', acme)).status).toBe(200);
    expect((await api.get('/orders', acme)).status).toBe(429);
    expect(api.handled()).toBe(7);
  });

  it('an async skip is awaited; one that rejects is answered by onStoreError (closed 503, open admitted untouched)', async () => {
    const skip = async (r: { url?: string | undefined }) => {
      if (r.url === '/broken') throw new Error('allowlist table unreachable');
      return r.url === '/health';
    };
    const closed = await expressApp(
      rateLimit({ key: app, limit: 1, period: '1h', store: memoryStore(), skip, storeTimeout: 200 }),
    );
    expect((await closed.get('/health', acme)).status).toBe(200);
    expect((await closed.get('/health', acme)).status).toBe(200);
    expect((await closed.get('/orders', acme)).status).toBe(200);
    expect((await closed.get('/broken', acme)).status).toBe(503);
    const open = await expressApp(
      rateLimit({ key: app, limit: 1, period: '1h', store: memoryStore(), skip, onStoreError: 'open' }),
    );
    const broken = await open.get('/broken', acme);
    expect(broken.status).toBe(200);
    expect(broken.headers.get('ratelimit')).toBeNull();
    expect((await open.get('/orders', acme)).headers.get('ratelimit')).toContain(';r=0;');
  });

  it('a skip that answers something other than a boolean: the catalog 500 with a configuration error logged, never an admission', async () => {
    const api = await nodeApp(
      rateLimit({ key: app, limit: 5, period: '1h', store: memoryStore(), skip: () => 'yes' as never }),
    );
    const response = await api.get('/orders', acme);
    expect(response.status).toBe(500);
    expect(await response.text()).not.toMatch(/FAULTLINE|at \//);
    expect(api.handled()).toBe(0);
    expect(api.logged[0]).toMatch(/FAULTLINE_INVALID_OPTION: rateLimit skip\(request\)/);
  });

  it('an allowlisted key is never counted, and only under the policy that lists it', async () => {
    const api = await nodeApp(
      rateLimit({
        policies: [
          { name: 'per-app', key: app, limit: 1, period: '1h', allow: ['monitor'] },
          { name: 'per-user', key: byHeader('x-user'), limit: 2, period: '1h' },
        ],
        store: memoryStore(),
      }),
    );
    for (let i = 0; i < 3; i++) {
      const monitor = await api.get('/', { 'x-app': 'monitor' });
      expect(monitor.status).toBe(200);
      expect(monitor.headers.get('ratelimit')).toBeNull();
    }
    expect((await api.get('/', { 'x-app': 'acme' })).status).toBe(200);
    expect((await api.get('/', { 'x-app': 'acme' })).status).toBe(429);
    // The allowlist exempts the app id from per-app only: the same caller's user is still counted.
    const both = { 'x-app': 'monitor', 'x-user': 'u1' };
    expect((await api.get('/', both)).headers.get('ratelimit')).toBe('"per-user";r=1;t=1800');
    expect((await api.get('/', both)).status).toBe(200);
    expect((await api.get('/', both)).status).toBe(429);
  });

  it('allow as a function of the key and the request', async () => {
    const api = await nodeApp(
      rateLimit({
        key: app,
        limit: 1,
        period: '1h',
        store: memoryStore(),
        allow: (key) => key.startsWith('internal-'),
      }),
    );
    for (let i = 0; i < 3; i++) expect((await api.get('/', { 'x-app': 'internal-cron' })).status).toBe(200);
    expect((await api.get('/', acme)).status).toBe(200);
    expect((await api.get('/', acme)).status).toBe(429);
  });
});

describe('rateLimit cost', () => {
  it('a weighted request spends its cost under every policy', async () => {
    const api = await nodeApp(
      rateLimit({
        policies: [
          { name: 'per-app', key: app, limit: 10, period: '1h' },
          { name: 'per-user', key: byHeader('x-user'), limit: 100, period: '1h' },
        ],
        cost: (r) => (r.url === '/export' ? 4 : 1),
        store: memoryStore(),
      }),
    );
    const headers = { 'x-app': 'acme', 'x-user': 'u1' };
    const first = await api.get('/export', headers);
    expect(first.headers.get('ratelimit')).toBe('"per-app";r=6;t=1440, "per-user";r=96;t=144');
    expect((await api.get('/export', headers)).status).toBe(200);
    // 2 units left: an export (4) is denied and spends nothing, a plain request (1) passes.
    const denied = await api.get('/export', headers);
    expect(denied.status).toBe(429);
    // per-user admitted the export, then took its units back: it shows what it holds after that.
    expect(denied.headers.get('ratelimit')).toBe('"per-app";r=0;t=720, "per-user";r=92;t=288');
    const plain = await api.get('/items', headers);
    expect(plain.headers.get('ratelimit')).toBe('"per-app";r=1;t=3240, "per-user";r=91;t=324');
  });

  it('a fixed cost applies to each request', async () => {
    const api = await nodeApp(
      rateLimit({ key: app, limit: 10, period: '1h', cost: 5, store: memoryStore() }),
    );
    expect((await api.get('/', acme)).headers.get('ratelimit')).toBe('"10-per-3600s";r=5;t=1800');
    expect((await api.get('/', acme)).status).toBe(200);
    expect((await api.get('/', acme)).status).toBe(429);
  });

  it.each([
    ['0', 0],
    ['a fraction', 1.5],
    ['a negative', -2],
    ['NaN', Number.NaN],
    ['a string', '3'],
  ])(
    'a cost(request) of %s: the catalog 500 with a configuration error logged, never an admission',
    async (_, cost) => {
      const api = await nodeApp(
        rateLimit({ key: app, limit: 10, period: '1h', cost: () => cost as number, store: memoryStore() }),
        rateLimit({
          policies: [
            { name: 'a', key: app, limit: 10, period: '1h' },
            { name: 'b', key: app, limit: 10, period: '1h' },
          ],
          cost: () => cost as number,
          store: memoryStore(),
        }),
      );
      for (let i = 0; i < 3; i++) {
        const response = await api.get('/', acme);
        expect(response.status).toBe(500);
        expect(await response.text()).not.toMatch(/FAULTLINE|at \//);
      }
      expect(api.handled()).toBe(0);
      expect(api.logged.length).toBe(3);
      expect(api.logged[0]).toMatch(/FAULTLINE_INVALID_OPTION: rateLimit cost\(request\)/);
    },
  );

  it('a fixed cost that is not a whole number above 0 is refused when the guard is created', () => {
    for (const cost of [0, -1, 2.5, Number.POSITIVE_INFINITY]) {
      expect(() => rateLimit({ key: app, limit: 10, period: '1h', cost })).toThrow(/rateLimit cost/);
    }
  });
});

describe('rateLimit onDenied', () => {
  it('is called once per denied request with the policy, the key and the wait; its throw never changes the answer', async () => {
    const denials: RateDenial[] = [];
    const api = await nodeApp(
      rateLimit({
        policies: [
          { name: 'per-app', key: app, limit: 1, period: '1h' },
          { name: 'per-user', key: byHeader('x-user'), limit: 1, period: '1m' },
        ],
        store: memoryStore(),
        onDenied: (_request, denial) => {
          denials.push(denial);
          throw new Error('metrics down');
        },
      }),
    );
    const headers = { 'x-app': 'acme', 'x-user': 'u1' };
    expect((await api.get('/', headers)).status).toBe(200);
    expect(denials).toEqual([]);
    const denied = await api.get('/', headers);
    expect(denied.status).toBe(429);
    expect(denied.headers.get('retry-after')).toBe('3600');
    expect(denials).toEqual([
      { policy: 'per-app', policies: ['per-app', 'per-user'], key: 'acme', retryAfter: 3600 },
    ]);
    expect((await api.get('/', headers)).status).toBe(429);
    expect(denials.length).toBe(2);
  });

  it('a store of its own that denies with no wait (retryAfterMs 0) still answers 429 and calls the hook once', async () => {
    const denials: RateDenial[] = [];
    const store = {
      kind: 'custom',
      close: () => undefined,
      rate: () => ({ allowed: false, remaining: 0, retryAfterMs: 0, reset: 0 }),
    };
    const api = await nodeApp(
      rateLimit({
        policies: [
          { name: 'a', key: app, limit: 1, period: '1m' },
          { name: 'b', key: app, limit: 1, period: '1m' },
        ],
        store,
        headers: 'legacy',
        onDenied: (_request, denial) => denials.push(denial),
      }),
    );
    const denied = await api.get('/', acme);
    expect(denied.status).toBe(429);
    expect(denied.headers.get('x-ratelimit-limit')).toBe('1');
    expect(denials).toEqual([{ policy: 'a', policies: ['a', 'b'], key: 'acme', retryAfter: 0 }]);
  });

  it('a single policy: an async hook that rejects leaves the 429 as it was', async () => {
    const denials: RateDenial[] = [];
    const api = await expressApp(
      rateLimit({
        key: app,
        limit: 1,
        period: '1m',
        store: memoryStore(),
        onDenied: async (_request, denial) => {
          denials.push(denial);
          throw new Error('async hook failed');
        },
      }),
    );
    expect((await api.get('/', acme)).status).toBe(200);
    const denied = await api.get('/', acme);
    expect(denied.status).toBe(429);
    expect((await denied.json()).code).toBe('RATE_LIMITED');
    expect(denials).toEqual([{ policy: '1-per-60s', policies: ['1-per-60s'], key: 'acme', retryAfter: 60 }]);
  });
});

describe('rateLimit headers', () => {
  const guards = (headers: 'draft-6' | 'legacy' | 'draft-10' | false) => [
    rateLimit({ key: app, limit: 4, period: '1m', store: memoryStore(), headers }),
    rateLimit({
      policies: [
        { name: 'per-app', key: app, limit: 10, period: '1h' },
        { name: 'per-user', key: byHeader('x-user'), limit: 2, period: '1m' },
      ],
      store: memoryStore(),
      headers,
    }),
  ];

  it("'draft-6' sends the RateLimit-Limit, -Remaining and -Reset trio of the policy with the fewest units left", async () => {
    const api = await nodeApp(...guards('draft-6'));
    const headers = { 'x-app': 'acme', 'x-user': 'u1' };
    const first = await api.get('/', headers);
    expect(first.headers.get('ratelimit')).toBeNull();
    expect(first.headers.get('ratelimit-policy')).toBe('2;w=60');
    expect(first.headers.get('ratelimit-limit')).toBe('2');
    expect(first.headers.get('ratelimit-remaining')).toBe('1');
    expect(first.headers.get('ratelimit-reset')).toBe('30');
    await api.get('/', headers);
    const denied = await api.get('/', headers);
    expect(denied.status).toBe(429);
    expect(denied.headers.get('ratelimit')).toBeNull();
    expect(denied.headers.get('ratelimit-limit')).toBe('2');
    expect(denied.headers.get('ratelimit-remaining')).toBe('0');
    expect(denied.headers.get('ratelimit-reset')).toBe(denied.headers.get('retry-after'));
  });

  it("'legacy' sends X-RateLimit-Limit, -Remaining and -Reset (seconds from now)", async () => {
    const api = await expressApp(...guards('legacy').slice(0, 1));
    const first = await api.get('/', acme);
    expect(first.headers.get('ratelimit')).toBeNull();
    expect(first.headers.get('ratelimit-policy')).toBeNull();
    expect(first.headers.get('x-ratelimit-limit')).toBe('4');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('3');
    expect(first.headers.get('x-ratelimit-reset')).toBe('15');
    for (let i = 0; i < 3; i++) await api.get('/', acme);
    const denied = await api.get('/', acme);
    expect(denied.status).toBe(429);
    expect(denied.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(denied.headers.get('x-ratelimit-reset')).toBe('15');
    expect(denied.headers.get('retry-after')).toBe('15');
  });

  it("'draft-10' (the default) and false", async () => {
    const draft = await nodeApp(...guards('draft-10'));
    const headers = { 'x-app': 'acme', 'x-user': 'u1' };
    const response = await draft.get('/', headers);
    expect(response.headers.get('ratelimit')).toBe(
      '"4-per-60s";r=3;t=15, "per-app";r=9;t=360, "per-user";r=1;t=30',
    );
    expect(response.headers.get('ratelimit-limit')).toBeNull();
    const none = await nodeApp(...guards(false));
    const quiet = await none.get('/', headers);
    expect(quiet.headers.get('ratelimit')).toBeNull();
    expect(quiet.headers.get('ratelimit-limit')).toBeNull();
    expect(quiet.headers.get('x-ratelimit-limit')).toBeNull();
  });

  it('an unknown format is refused when the guard is created', () => {
    expect(() => rateLimit({ key: app, limit: 1, period: '1m', headers: 'draft-7' as never })).toThrow(
      /rateLimit headers must be/,
    );
  });
});

describe('rateLimit options on Redis', () => {
  it('skip, allow, cost, onDenied and draft-6 fields on redisStore', async () => {
    const denials: RateDenial[] = [];
    const store = redisStore({ send: redisSend(client), prefix: `options-${randomUUID()}:` });
    const api = await nodeApp(
      rateLimit({
        key: app,
        limit: 10,
        period: '1h',
        store,
        allow: ['monitor'],
        skip: async (r) => r.url === '/health',
        cost: (r) => (r.url === '/export' ? 4 : 1),
        onDenied: (_request, denial) => denials.push(denial),
        headers: 'draft-6',
      }),
    );
    expect((await api.get('/health', acme)).headers.get('ratelimit-remaining')).toBeNull();
    expect((await api.get('/', { 'x-app': 'monitor' })).headers.get('ratelimit-remaining')).toBeNull();
    expect((await api.get('/export', acme)).headers.get('ratelimit-remaining')).toBe('6');
    expect((await api.get('/export', acme)).headers.get('ratelimit-remaining')).toBe('2');
    const denied = await api.get('/export', acme);
    expect(denied.status).toBe(429);
    expect(denials).toEqual([
      { policy: '10-per-3600s', policies: ['10-per-3600s'], key: 'acme', retryAfter: 720 },
    ]);
    expect((await api.get('/', acme)).headers.get('ratelimit-remaining')).toBe('1');
  });
});

describe('rateLimit count', () => {
  it("'failed' counts only failed responses: successful logins never run out, failed ones do", async () => {
    const api = await nodeApp(
      rateLimit({ key: app, limit: 2, period: '1h', count: 'failed', store: memoryStore() }),
      rateLimit({
        policies: [
          { name: 'a', key: app, limit: 2, period: '1h' },
          { name: 'b', key: app, limit: 3, period: '1h' },
        ],
        count: 'failed',
        store: memoryStore(),
      }),
    );
    for (let i = 0; i < 5; i++) expect((await api.get('/ok', acme)).status).toBe(200);
    expect((await api.get('/fail', acme)).status).toBe(401);
    expect((await api.get('/fail', acme)).status).toBe(401);
    expect((await api.get('/fail', acme)).status).toBe(429);
    expect((await api.get('/ok', acme)).status).toBe(429);
  });

  it("'succeeded' counts only successful responses: refused requests give their unit back", async () => {
    const api = await nodeApp(
      rateLimit({ key: app, limit: 2, period: '1h', count: 'succeeded', store: memoryStore() }),
      rateLimit({
        policies: [
          { name: 'a', key: app, limit: 2, period: '1h' },
          { name: 'b', key: app, limit: 3, period: '1h' },
        ],
        count: 'succeeded',
        store: memoryStore(),
      }),
    );
    for (let i = 0; i < 5; i++) expect((await api.get('/fail', acme)).status).toBe(401);
    expect((await api.get('/ok', acme)).status).toBe(200);
    expect((await api.get('/ok', acme)).status).toBe(200);
    expect((await api.get('/ok', acme)).status).toBe(429);
  });

  it('an unknown count is refused when the guard is created', () => {
    expect(() => rateLimit({ key: app, limit: 1, period: '1m', count: 'some' as never })).toThrow(
      /rateLimit count must be/,
    );
  });
});

describe('rateLimit ban', () => {
  const banned = (store: Parameters<typeof rateLimit>[0]['store'], denials: RateDenial[]) =>
    rateLimit({
      key: app,
      limit: 2,
      period: '1m',
      store,
      ban: { after: 2, for: '1h' },
      onDenied: (_request, denial) => denials.push(denial),
    });

  it.each([
    ['memoryStore', () => memoryStore()],
    ['redisStore', () => redisStore({ send: redisSend(client), prefix: `ban-${randomUUID()}:` })],
  ])(
    '%s: after 2 denials the key is refused for the ban, without the policy; other keys are not',
    async (_, make) => {
      const denials: RateDenial[] = [];
      const api = await nodeApp(banned(make(), denials));
      expect((await api.get('/', acme)).status).toBe(200);
      expect((await api.get('/', acme)).status).toBe(200);
      const first = await api.get('/', acme);
      expect(first.status).toBe(429);
      expect(first.headers.get('retry-after')).toBe('30');
      expect((await api.get('/', acme)).headers.get('retry-after')).toBe('30');
      // The second denial started the ban: the policy's 30 s no longer answer.
      const ban = await api.get('/', acme);
      expect(ban.status).toBe(429);
      expect(ban.headers.get('retry-after')).toBe('3600');
      expect(ban.headers.get('ratelimit')).toBe('"2-per-60s";r=0;t=3600');
      expect(denials.map((d) => d.retryAfter)).toEqual([30, 30, 3600]);
      expect(api.handled()).toBe(2);
      const other = await api.get('/', { 'x-app': 'other' });
      expect(other.status).toBe(200);
      expect(other.headers.get('ratelimit')).toBe('"2-per-60s";r=1;t=30');
    },
  );

  it('after: 1 bans on the first denial (rate-limiter-flexible blockDuration)', async () => {
    const api = await nodeApp(
      rateLimit({ key: app, limit: 1, period: '1m', store: memoryStore(), ban: { after: 1, for: '10m' } }),
    );
    expect((await api.get('/', acme)).status).toBe(200);
    expect((await api.get('/', acme)).headers.get('retry-after')).toBe('60');
    expect((await api.get('/', acme)).headers.get('retry-after')).toBe('600');
  });

  it('a ban that is not { after, for } is refused when the guard is created', () => {
    const make = (ban: unknown) => () =>
      rateLimit({ key: app, limit: 1, period: '1m', ban: ban as { after: number; for: '1m' } });
    expect(make({ after: 0, for: '1m' })).toThrow(/ban.after/);
    expect(make({ after: 2, for: 'soon' })).toThrow(/ban.for/);
    expect(make(null)).toThrow(/rateLimit ban/);
  });

  it("refuses a policy named into another guard's state on the store, with or without a ban", () => {
    for (const name of ['cooldown', 'rateLimit-ban', 'rateLimit-strikes', 'cooldown:x']) {
      expect(() => rateLimit({ name, key: app, limit: 1, period: '1m' }), name).toThrow(
        expect.objectContaining({ code: 'FAULTLINE_INVALID_OPTION' }),
      );
    }
    // Its key `cooldown:` + the caller's value would be the cooldown of the group that value spells.
    expect(() => rateLimit({ name: 'cool', key: app, limit: 1, period: '1m' })).not.toThrow();
    // Two policies of one guard whose keys would meet: "a:" + "b:x" is "a:b:" + "x".
    const both = () =>
      rateLimit({
        policies: [
          { name: 'a', key: app, limit: 1, period: '1m' },
          { name: 'a:b', key: app, limit: 1, period: '1m' },
        ],
      });
    expect(both).toThrow(expect.objectContaining({ code: 'FAULTLINE_INVALID_OPTION' }));
  });
});
