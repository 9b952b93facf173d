/**
 * An outsider against `algorithm: 'fixed-window'` rate policies: node:http apps on 127.0.0.1, the memory
 * store and a real redis-server shared by two instances, hung (SIGSTOP) mid-request, raced by 100 requests
 * at once, with weighted requests, several policies, refunds (`count`), dynamic limits, bans, the three
 * header formats, floods of distinct keys and bad configurations. The promise under attack: at most `limit`
 * units are admitted in one window, a denied or failed-closed request spends nothing, and the fields tell
 * the time left of the window in whole seconds, rounded up.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { defineErrors, FaultlineConfigError } from 'faultline';
import { byHeader, type Guard, type RatePolicy, rateLimit } from 'faultline/guards';
import { createNodeErrors, guard, sendJson } from 'faultline/node';
import { memoryStore, type RedisSend, redisSend, redisStore } from 'faultline/stores';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { close, listen } from '../helpers/http.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { thaw, whileFrozen } from '../helpers/redis-faults.js';

const catalog = defineErrors({});
const byApp = byHeader('x-app');
const byUser = byHeader('x-user');
const limitHeader = byHeader('x-limit');
const costHeader = byHeader('x-cost');
const quiet = { error: () => undefined, info: () => undefined };
const window = 'fixed-window' as const;

let redis: RedisServer;
let client: Redis;
const servers: Server[] = [];
beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.port, '127.0.0.1');
  client.on('error', () => undefined);
});
afterEach(() => {
  // A failed case must not leave the shared server frozen for the next one.
  thaw(redis);
});
afterAll(async () => {
  for (const server of servers) await close(server);
  client?.disconnect();
  await redis?.stop();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A gate the handler of `/hold` waits on. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

type Send = (headers?: Record<string, string>, path?: string) => Promise<Response>;

/**
 * A node:http app whose every route runs `guards`: `/fail` answers 500, `/hold` waits on `held` and then
 * answers 500; any other path answers 200.
 */
async function serve(guards: Guard[], held?: Promise<void>): Promise<Send> {
  const errors = createNodeErrors({ catalog, onError: false });
  const handler = guard(...guards)(async (req: IncomingMessage, res) => {
    if (req.url === '/hold') await held;
    const failed = req.url === '/fail' || req.url === '/hold';
    sendJson(res, failed ? 500 : 200, { ok: !failed });
  });
  const server = createServer(errors(handler));
  servers.push(server);
  const url = await listen(server);
  return async (headers = { 'x-app': 'a1' }, path = '/') => {
    const response = await fetch(url + path, { headers });
    await response.arrayBuffer();
    return response;
  };
}

async function statuses(send: () => Promise<Response>, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((await send()).status);
  return out;
}

async function burst(send: () => Promise<Response>, count: number): Promise<number[]> {
  return (await Promise.all(Array.from({ length: count }, () => send()))).map((r) => r.status);
}

const admittedOf = (codes: number[]) => codes.filter((code) => code === 200).length;

/** Polls `read` until `done` holds, at most `tries` times 20 ms apart; answers the last value read. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, tries = 250): Promise<T> {
  let value = await read();
  for (let i = 0; i < tries && !done(value); i++) {
    await pause(20);
    value = await read();
  }
  return value;
}

const redisOn = (prefix: string, send: RedisSend = redisSend(client)) =>
  redisStore({ send, prefix, logger: quiet });

/** A fixed window of an hour per app whose limit is the request's `x-limit` (else `fallback`). */
const tenantLimit = (store: Parameters<typeof rateLimit>[0]['store'], fallback: number) =>
  rateLimit({
    name: 'tenant',
    key: byApp,
    limit: (request) => Number(limitHeader(request) ?? fallback),
    period: '1h',
    algorithm: window,
    store,
  });

describe('a fixed window never admits more than its limit in one window', () => {
  it('admits exactly the limit of 100 requests sent at once on the memory store', async () => {
    const store = memoryStore();
    const send = await serve([
      rateLimit({ name: 'w', key: byApp, limit: 10, period: '1h', algorithm: window, store }),
    ]);
    expect(admittedOf(await burst(() => send(), 100))).toBe(10);
  });

  it('admits exactly the limit of 100 requests sent at once to two instances sharing a redis-server', async () => {
    const prefix = `rw-${randomUUID()}:`;
    const make = () =>
      rateLimit({
        name: 'w',
        key: byApp,
        limit: 10,
        period: '1h',
        algorithm: window,
        store: redisOn(prefix),
      });
    const a = await serve([make()]);
    const b = await serve([make()]);
    const codes = await burst(() => (Math.random() < 0.5 ? a() : b()), 100);
    expect(admittedOf(codes)).toBe(10);
    expect(codes.filter((code) => code !== 200).every((code) => code === 429)).toBe(true);
  });

  it('spends a cost of 3 whole and denies what does not fit, under 100 requests at once on Redis', async () => {
    const prefix = `rw-${randomUUID()}:`;
    const make = () =>
      rateLimit({
        name: 'w',
        key: byApp,
        limit: 10,
        period: '1h',
        algorithm: window,
        cost: 3,
        store: redisOn(prefix),
      });
    const limit = make();
    const a = await serve([limit]);
    const b = await serve([make()]);
    expect(admittedOf(await burst(() => (Math.random() < 0.5 ? a() : b()), 100))).toBe(3);
    const [state] = await limit.get('a1');
    expect(state).toMatchObject({ remaining: 1 });
  });

  it('gives back what the other policies took when one denies, under 100 requests at once on Redis', async () => {
    const prefix = `rw-${randomUUID()}:`;
    const policies: RatePolicy[] = [
      { name: 'app', key: byApp, limit: 10, period: '1h', algorithm: window },
      { name: 'all', key: () => 'all', limit: 7, period: '1h', algorithm: window },
      { name: 'smooth', key: byApp, limit: 1000, period: '1h' },
    ];
    const make = () => rateLimit({ policies, store: redisOn(prefix) });
    const limit = make();
    const a = await serve([limit]);
    const b = await serve([make()]);
    expect(admittedOf(await burst(() => (Math.random() < 0.5 ? a() : b()), 100))).toBe(7);
    // The refunds of the denied requests run after their answers: wait for them to land.
    const app = await until(
      () => limit.get('a1', { policy: 'app' }),
      ([state]) => state!.remaining === 3,
    );
    expect(app[0]).toMatchObject({ remaining: 3 });
    const [smooth] = await until(
      () => limit.get('a1', { policy: 'smooth' }),
      ([state]) => state!.remaining === 993,
    );
    expect(smooth).toMatchObject({ remaining: 993 });
  });

  it('gives back a failed request unit under count: succeeded, then admits only the limit', async () => {
    const prefix = `rw-${randomUUID()}:`;
    const limit = rateLimit({
      name: 'w',
      key: byApp,
      limit: 5,
      period: '1h',
      algorithm: window,
      count: 'succeeded',
      store: redisOn(prefix),
    });
    const send = await serve([limit]);
    expect(await burst(() => send(undefined, '/fail'), 5)).toEqual([500, 500, 500, 500, 500]);
    await until(
      () => limit.get('a1'),
      ([state]) => state!.remaining === 5,
    );
    expect(admittedOf(await burst(() => send(), 50))).toBe(5);
  });
});

describe('a fixed window on a redis-server that hangs', () => {
  it('answers 503 while Redis is frozen and spends nothing once it resumes', async () => {
    const prefix = `rw-${randomUUID()}:`;
    const limit = rateLimit({
      name: 'w',
      key: byApp,
      limit: 2,
      period: '1h',
      algorithm: window,
      storeTimeout: 150,
      store: redisOn(prefix),
    });
    const send = await serve([limit]);
    const answers = await whileFrozen(redis, () => burst(() => send(), 5));
    expect(answers).toEqual([503, 503, 503, 503, 503]);
    expect(await limit.get('a1')).toEqual([{ policy: 'w', limit: 2, remaining: 2, reset: 0, banned: 0 }]);
    expect(await statuses(() => send(), 3)).toEqual([200, 200, 429]);
  });

  it('undoes a spend whose answer came back after the guard had answered 503', async () => {
    const prefix = `rw-${randomUUID()}:`;
    let slow: Promise<void> | undefined;
    const raw = redisSend(client);
    // The reply of a spend is held until `slow` settles, as behind a link that stalls after the write.
    const send: RedisSend = async (args, key) => {
      const reply = await raw(args, key);
      // The window script's arguments end with the cost and, for a refund, the window's start.
      const spends = args[0] === 'EVALSHA' || args[0] === 'EVAL' ? Number(args.at(-2)) > 0 : false;
      if (spends && slow) await slow;
      return reply;
    };
    const held = gate();
    slow = held.opened;
    const limit = rateLimit({
      name: 'w',
      key: byApp,
      limit: 2,
      period: '1h',
      algorithm: window,
      storeTimeout: 100,
      store: redisOn(prefix, send),
    });
    const app = await serve([limit]);
    expect((await app()).status).toBe(503);
    slow = undefined;
    held.open();
    const [state] = await until(
      () => limit.get('a1'),
      ([s]) => s!.remaining === 2,
    );
    expect(state).toMatchObject({ remaining: 2 });
    expect(await statuses(() => app(), 3)).toEqual([200, 200, 429]);
  });
});

describe('the fields of a fixed window', () => {
  it('counts t= down to the end of the window, and never shows 0 on a denial', async () => {
    let now = 1_800_000_000_000;
    const store = memoryStore({ now: () => now });
    const send = await serve([
      rateLimit({ name: 'w', key: byApp, limit: 2, period: 10_000, algorithm: window, store }),
    ]);
    expect((await send()).headers.get('ratelimit')).toBe('"w";r=1;t=10');
    now += 8_500;
    expect((await send()).headers.get('ratelimit')).toBe('"w";r=0;t=2');
    now += 1_499;
    const denied = await send();
    expect(denied.status).toBe(429);
    expect(denied.headers.get('retry-after')).toBe('1');
    expect(denied.headers.get('ratelimit')).toBe('"w";r=0;t=1');
    expect(denied.headers.get('ratelimit-policy')).toBe('"w";q=2;w=10');
    now += 1;
    expect((await send()).headers.get('ratelimit')).toBe('"w";r=1;t=10');
  });

  it('shows the window in the draft-6 and legacy trios, reset in whole seconds left', async () => {
    let now = 1_800_000_000_000;
    const store = memoryStore({ now: () => now });
    const six = await serve([
      rateLimit({
        name: 'six',
        key: byApp,
        limit: 2,
        period: '1m',
        algorithm: window,
        headers: 'draft-6',
        store,
      }),
    ]);
    const legacy = await serve([
      rateLimit({
        name: 'old',
        key: byApp,
        limit: 2,
        period: '1m',
        algorithm: window,
        headers: 'legacy',
        store,
      }),
    ]);
    const first = await six();
    expect(first.headers.get('ratelimit-limit')).toBe('2');
    expect(first.headers.get('ratelimit-remaining')).toBe('1');
    expect(first.headers.get('ratelimit-reset')).toBe('60');
    expect(first.headers.get('ratelimit-policy')).toBe('2;w=60');
    expect((await legacy()).headers.get('x-ratelimit-reset')).toBe('60');
    now += 30_001;
    await six();
    await legacy();
    const denied = await six();
    expect(denied.status).toBe(429);
    expect(denied.headers.get('retry-after')).toBe('30');
    expect(denied.headers.get('ratelimit-reset')).toBe('30');
    expect(denied.headers.get('ratelimit-remaining')).toBe('0');
    const old = await legacy();
    expect(old.status).toBe(429);
    expect(old.headers.get('x-ratelimit-reset')).toBe('30');
  });

  it('answers a Retry-After within the window on Redis', async () => {
    const prefix = `rw-${randomUUID()}:`;
    const send = await serve([
      rateLimit({ name: 'w', key: byApp, limit: 1, period: 5000, algorithm: window, store: redisOn(prefix) }),
    ]);
    const ok = await send();
    expect(ok.headers.get('ratelimit')).toBe('"w";r=0;t=5');
    const denied = await send();
    expect(denied.status).toBe(429);
    const wait = Number(denied.headers.get('retry-after'));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(5);
    expect(denied.headers.get('ratelimit')).toBe(`"w";r=0;t=${wait}`);
  });
});

describe('reading, resetting and banning a fixed window', () => {
  it('reads a key without spending and resets it to the whole limit, on Redis', async () => {
    const prefix = `rw-${randomUUID()}:`;
    const limit = rateLimit({
      name: 'w',
      key: byApp,
      limit: 3,
      period: '1h',
      algorithm: window,
      store: redisOn(prefix),
    });
    const send = await serve([limit]);
    expect(await limit.get('a1')).toEqual([{ policy: 'w', limit: 3, remaining: 3, reset: 0, banned: 0 }]);
    expect(await client.keys(`${prefix}*`)).toEqual([]);
    expect(await statuses(() => send(), 4)).toEqual([200, 200, 200, 429]);
    const [spent] = await limit.get('a1');
    expect(spent!.remaining).toBe(0);
    expect(spent!.reset).toBeGreaterThan(3_500_000);
    await limit.reset('a1');
    expect(await statuses(() => send(), 4)).toEqual([200, 200, 200, 429]);
  });

  it('bans a key after repeated window denials, and reset lifts the ban and the window', async () => {
    const store = memoryStore();
    const limit = rateLimit({
      name: 'w',
      key: byApp,
      limit: 1,
      period: '1h',
      algorithm: window,
      ban: { after: 2, for: '1h' },
      store,
    });
    const send = await serve([limit]);
    expect(await statuses(() => send(), 4)).toEqual([200, 429, 429, 429]);
    const [state] = await limit.get('a1');
    expect(state!.banned).toBeGreaterThan(3_500_000);
    await limit.reset('a1');
    expect(await statuses(() => send(), 2)).toEqual([200, 429]);
  });

  it('keeps what a raised limit allows within the running window', async () => {
    const store = memoryStore();
    const limit = tenantLimit(store, 2);
    const send = await serve([limit]);
    expect(await statuses(() => send({ 'x-app': 'a1', 'x-limit': '2' }), 3)).toEqual([200, 200, 429]);
    expect(await statuses(() => send({ 'x-app': 'a1', 'x-limit': '4' }), 3)).toEqual([200, 200, 429]);
    expect(await statuses(() => send({ 'x-app': 'a1', 'x-limit': '1' }), 1)).toEqual([429]);
  });
});

describe('the memory of fixed windows', () => {
  it('holds no more windows than maxKeys of short keys, and as many long ones, under a flood', async () => {
    const store = memoryStore({ maxKeys: 100 });
    const limit = rateLimit({ name: 'w', key: byUser, limit: 1, period: '1h', algorithm: window, store });
    const send = await serve([limit]);
    for (let i = 0; i < 20; i++) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => send({ 'x-user': `u${i}-${j}` })));
    }
    expect(store.size().window).toBeLessThanOrEqual(100);
    // Keys over 128 characters are kept apart, in a bound of their own.
    for (let i = 0; i < 20; i++) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) => send({ 'x-user': `${'x'.repeat(200)}${i}-${j}` })),
      );
    }
    expect(store.size().window).toBeLessThanOrEqual(200);
  });

  it('reads unknown keys without storing any', async () => {
    const store = memoryStore();
    const limit = rateLimit({ name: 'w', key: byUser, limit: 1, period: '1h', algorithm: window, store });
    for (let i = 0; i < 500; i++) await limit.get(`nobody-${i}`);
    expect(store.size().window).toBe(0);
  });
});

describe('a fixed-window policy is checked when it is defined', () => {
  it('refuses a burst, an algorithm of another spelling, and a store lacking window()', () => {
    const base = { key: byApp, limit: 2, period: '1m' } as const;
    expect(() => rateLimit({ ...base, algorithm: window, burst: 2 })).toThrow(FaultlineConfigError);
    for (const algorithm of ['FIXED-WINDOW', 'fixed_window', '', 'sliding-window']) {
      expect(() => rateLimit({ ...base, algorithm: algorithm as never })).toThrow(FaultlineConfigError);
    }
    const memory = memoryStore();
    const rateOnly = { kind: 'rate-only', rate: memory.rate, close: () => undefined };
    expect(() =>
      rateLimit({
        policies: [
          { name: 'a', key: byApp, limit: 1, period: '1m' },
          { name: 'b', key: byApp, limit: 1, period: '1m', algorithm: window },
        ],
        store: rateOnly,
      }),
    ).toThrow(/WindowStore/);
  });

  it('refuses a cost above the limit of a window whatever the moment, and spends nothing for it', async () => {
    const store = memoryStore();
    const limit = rateLimit({
      name: 'w',
      key: byApp,
      limit: 2,
      period: '1m',
      algorithm: window,
      cost: (request) => Number(costHeader(request) ?? 1),
      store,
    });
    const send = await serve([limit]);
    const heavy = await send({ 'x-app': 'a1', 'x-cost': '3' });
    expect(heavy.status).toBe(429);
    expect(Number(heavy.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(store.size().window).toBe(0);
    expect(await statuses(() => send({ 'x-app': 'a1', 'x-cost': '1' }), 3)).toEqual([200, 200, 429]);
  });
});

describe('a unit given back reaches only the window it was spent in', () => {
  it('a refund that reaches Redis after its window ended gives nothing to the next window', async () => {
    const prefix = `rw-${randomUUID()}:`;
    const raw = redisSend(client);
    const link = gate();
    let refundSent!: () => void;
    const refundQueued = new Promise<void>((resolve) => {
      refundSent = resolve;
    });
    let refundLanded!: () => void;
    const landed = new Promise<void>((resolve) => {
      refundLanded = resolve;
    });
    // A refund (a negative cost, before the window's start) held on a slow link until the test opens it.
    const slowRefunds: RedisSend = async (args, key) => {
      if ((args[0] === 'EVALSHA' || args[0] === 'EVAL') && Number(args.at(-2)) < 0) {
        refundSent();
        await link.opened;
        const reply = await raw(args, key);
        refundLanded();
        return reply;
      }
      return raw(args, key);
    };
    const policy = { name: 'w', key: byApp, limit: 2, period: 1000, algorithm: window } as const;
    const a = await serve([
      rateLimit({ ...policy, count: 'succeeded', store: redisOn(prefix, slowRefunds) }),
    ]);
    const limitB = rateLimit({ ...policy, count: 'succeeded', store: redisOn(prefix) });
    const b = await serve([limitB]);
    expect((await a(undefined, '/fail')).status).toBe(500);
    await refundQueued;
    await until(
      () => limitB.get('a1'),
      ([state]) => state!.reset === 0,
    );
    expect(await statuses(() => b(), 3)).toEqual([200, 200, 429]);
    link.open();
    await landed;
    expect((await b()).status).toBe(429);
  });

  it('a memory store on its own clock: a late refund gives nothing to the next window', async () => {
    let now = 1_800_000_000_000;
    const store = memoryStore({ now: () => now });
    const held = gate();
    const limit = rateLimit({
      name: 'w',
      key: byApp,
      limit: 2,
      period: '1m',
      algorithm: window,
      count: 'succeeded',
      store,
    });
    const send = await serve([limit], held.opened);
    const failing = send(undefined, '/hold');
    await until(
      () => limit.get('a1'),
      ([state]) => state!.remaining === 1,
    );
    now += 60_000;
    expect(await statuses(() => send(), 3)).toEqual([200, 200, 429]);
    held.open();
    expect((await failing).status).toBe(500);
    expect((await send()).status).toBe(429);
  });
});

describe('the state of a window policy', () => {
  it.each(['memory', 'redis'])(
    'reset(key) on %s forgets a window spent under a higher limit',
    async (kind) => {
      const store = kind === 'memory' ? memoryStore() : redisOn(`rw-${randomUUID()}:`);
      const limit = tenantLimit(store, 5);
      const send = await serve([limit]);
      expect(await statuses(() => send({ 'x-app': 'a1', 'x-limit': '5' }), 5)).toEqual([
        200, 200, 200, 200, 200,
      ]);
      await limit.reset('a1', { request: { headers: { 'x-limit': '2' } } });
      expect(await statuses(() => send({ 'x-app': 'a1', 'x-limit': '2' }), 3)).toEqual([200, 200, 429]);
    },
  );

  it("a flood of keys under one window policy does not evict another policy's spent window (memory)", async () => {
    const store = memoryStore({ maxKeys: 64 });
    const policies = (algorithm: 'gcra' | typeof window): RatePolicy[] => [
      { name: `app-${algorithm}`, key: byApp, limit: 2, period: '1h', algorithm },
      { name: `user-${algorithm}`, key: byUser, limit: 1000, period: '1h', algorithm },
    ];
    for (const algorithm of ['gcra', window] as const) {
      const send = await serve([rateLimit({ policies: policies(algorithm), store })]);
      const headers = (user: string) => ({ 'x-app': 'a1', 'x-user': user });
      expect(await statuses(() => send(headers('u0')), 3), algorithm).toEqual([200, 200, 429]);
      for (let i = 0; i < 4; i++) await burst(() => send({ 'x-user': `u${randomUUID()}` }), 50);
      expect((await send(headers('u0'))).status, algorithm).toBe(429);
    }
  });

  it('a period shortened mid-window ends the window sooner', async () => {
    const limit = rateLimit({
      name: 'tenant',
      key: byApp,
      limit: 1,
      algorithm: window,
      store: memoryStore(),
      period: (request) => (limitHeader(request) === 'fast' ? 1000 : 3_600_000),
    });
    const send = await serve([limit]);
    expect((await send({ 'x-app': 'a1' })).status).toBe(200);
    const denied = await send({ 'x-app': 'a1', 'x-limit': 'fast' });
    expect(denied.headers.get('ratelimit-policy')).toBe('"tenant";q=1;w=1');
    expect(Number(denied.headers.get('retry-after'))).toBeLessThanOrEqual(1);
  });

  it('a request another policy denied opens no window', async () => {
    let now = 1_800_000_000_000;
    const limit = rateLimit({
      store: memoryStore({ now: () => now }),
      policies: [
        { name: 'app', key: byApp, limit: 1, period: '1h', algorithm: window },
        { name: 'user', key: byUser, limit: 5, period: '10s', algorithm: window },
      ],
    });
    const send = await serve([limit]);
    expect((await send({ 'x-app': 'a1', 'x-user': 'spare' })).status).toBe(200);
    expect((await send({ 'x-app': 'a1', 'x-user': 'u1' })).status).toBe(429);
    now += 9_000;
    const first = await send({ 'x-app': 'a2', 'x-user': 'u1' });
    expect(first.headers.get('ratelimit')).toContain('"user";r=4;t=10');
  });
});
