import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { defineErrors, FaultlineConfigError } from 'faultline';
import { byHeader, type Guard, rateLimit } from 'faultline/guards';
import { createNodeErrors, guard, sendJson } from 'faultline/node';
import { memoryStore, redisSend, redisStore, type WindowStore } from 'faultline/stores';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, listen } from '../helpers/http.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';

// `algorithm: 'fixed-window'`: what an API documenting "600 requests per minute" promises, through node:http,
// on the memory store (its clock moved by the test) and on a real redis-server shared by two instances.
const catalog = defineErrors({});
const byApp = byHeader('x-app');
const byPlan = byHeader('x-plan');
const quiet = { error: () => undefined };

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

/**
 * A node:http app whose every route runs `guards`; a path under /fail answers 500 once `held` settles (at
 * once without it).
 */
async function serve(held: Promise<void> | undefined, ...guards: Guard[]) {
  const errors = createNodeErrors({ catalog, onError: false });
  const handler = guard(...guards)(async (req, res) => {
    const failed = req.url?.startsWith('/fail') === true;
    if (failed) await held;
    sendJson(res, failed ? 500 : 200, { ok: !failed });
  });
  const server = createServer(errors(handler));
  servers.push(server);
  const url = await listen(server);
  return (path = '/') => fetch(url + path, { headers: { 'x-app': 'a1' } });
}

/** A promise the test settles when it chooses. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

async function statuses(send: () => Promise<Response>, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((await send()).status);
  return out;
}

describe('a fixed-window policy on the memory store', () => {
  it('admits the limit, then denies until the window that began at the first request ends', async () => {
    let now = 1_800_000_000_000;
    const store = memoryStore({ now: () => now });
    const send = await serve(
      undefined,
      rateLimit({ name: 'sdk', key: byApp, limit: 3, period: '1m', algorithm: 'fixed-window', store }),
    );
    const first = await send();
    expect(first.headers.get('ratelimit-policy')).toBe('"sdk";q=3;w=60');
    expect(first.headers.get('ratelimit')).toBe('"sdk";r=2;t=60');
    now += 20_000;
    expect((await send()).headers.get('ratelimit')).toBe('"sdk";r=1;t=40');
    expect((await send()).headers.get('ratelimit')).toBe('"sdk";r=0;t=40');
    now += 19_000;
    const denied = await send();
    expect(denied.status).toBe(429);
    expect(denied.headers.get('retry-after')).toBe('21');
    expect(denied.headers.get('ratelimit')).toBe('"sdk";r=0;t=21');
    expect((await denied.json()).code).toBe('RATE_LIMITED');
    // GCRA would have let two more through by now (one per 20 s); the window admits none until it ends.
    now += 20_999;
    expect((await send()).status).toBe(429);
    now += 1;
    const next = await send();
    expect(next.status).toBe(200);
    expect(next.headers.get('ratelimit')).toBe('"sdk";r=2;t=60');
  });

  it('admits no more than the limit within one period of the first request, where GCRA admits twice it', async () => {
    let now = 1_800_000_000_000;
    const store = memoryStore({ now: () => now });
    const policy = { key: byApp, limit: 10, period: '1m' } as const;
    const window = await serve(
      undefined,
      rateLimit({ ...policy, name: 'w', algorithm: 'fixed-window', store }),
    );
    const gcra = await serve(undefined, rateLimit({ ...policy, name: 'g', store }));
    const admittedIn = async (send: () => Promise<Response>) => {
      const start = now;
      let admitted = 0;
      // One request a second for the minute after the first.
      for (; now < start + 60_000; now += 1000) if ((await send()).status === 200) admitted++;
      now = start;
      return admitted;
    };
    expect(await admittedIn(window)).toBe(10);
    expect(await admittedIn(gcra)).toBeGreaterThanOrEqual(19);
  });

  it('never gives a unit of an ended window to the next one', async () => {
    let now = 1_800_000_000_000;
    const store = memoryStore({ now: () => now });
    const limit = rateLimit({
      name: 'fw',
      key: byApp,
      limit: 2,
      period: '1m',
      algorithm: 'fixed-window',
      count: 'succeeded',
      store,
    });
    const held = gate();
    const send = await serve(held.opened, limit);
    // Admitted in a first window, answered 500 only once the next window has started and been spent.
    const failing = send('/fail');
    for (let i = 0; i < 200 && (await limit.get('a1'))[0]!.remaining !== 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    now += 60_000;
    expect(await statuses(() => send('/ok'), 3)).toEqual([200, 200, 429]);
    held.open();
    expect((await failing).status).toBe(500);
    expect((await send('/ok')).status).toBe(429);
    now += 60_000;
    expect((await send('/ok')).headers.get('ratelimit')).toBe('"fw";r=1;t=60');
  });

  it('gives a unit back when its response fails within the window', async () => {
    const store = memoryStore();
    const limit = rateLimit({
      name: 'fw',
      key: byApp,
      limit: 2,
      period: '1h',
      algorithm: 'fixed-window',
      count: 'succeeded',
      store,
    });
    const send = await serve(undefined, limit);
    expect(await statuses(() => send('/fail'), 4)).toEqual([500, 500, 500, 500]);
    expect(await statuses(() => send('/ok'), 3)).toEqual([200, 200, 429]);
  });

  it('reads and resets a key without starting a window, whatever limit it was spent under', async () => {
    let now = 1_800_000_000_000;
    const store = memoryStore({ now: () => now });
    const limit = rateLimit({
      name: 'fw',
      key: byApp,
      // A plan's limit, from a header for the test: 5, or 2 once lowered.
      limit: (request) => (byPlan(request) === 'small' ? 2 : 5),
      period: '1h',
      algorithm: 'fixed-window',
      store,
    });
    const big = { request: { url: '/', headers: {} } };
    expect(await limit.get('a1', big)).toEqual([
      { policy: 'fw', limit: 5, remaining: 5, reset: 0, banned: 0 },
    ]);
    await limit.reset('unknown', big);
    expect(store.size().window).toBe(0);
    const send = await serve(undefined, limit);
    expect(await statuses(send, 6)).toEqual([200, 200, 200, 200, 200, 429]);
    now += 600_000;
    const [spent] = await limit.get('a1', big);
    expect(spent).toEqual({ policy: 'fw', limit: 5, remaining: 0, reset: 3_000_000, banned: 0 });
    // Lowered to 2, then reset: the five spent under the old limit are forgotten, and the window with them.
    await limit.reset('a1', { request: { url: '/', headers: { 'x-plan': 'small' } } });
    expect(store.size().window).toBe(0);
    expect(await statuses(send, 6)).toEqual([200, 200, 200, 200, 200, 429]);
    expect((await limit.get('a1', big))[0]!.reset).toBe(3_600_000);
  });

  it('works with several policies, one per algorithm: a denial by one costs the others nothing', async () => {
    const now = 1_800_000_000_000;
    const store = memoryStore({ now: () => now });
    const limit = rateLimit({
      policies: [
        { name: 'minute', key: byApp, limit: 2, period: '1m', algorithm: 'fixed-window' },
        { name: 'burst', key: byApp, limit: 100, period: '1m' },
      ],
      store,
    });
    const send = await serve(undefined, limit);
    const ok = await send();
    expect(ok.headers.get('ratelimit')).toBe('"minute";r=1;t=60, "burst";r=99;t=1');
    await send();
    const denied = await send();
    expect(denied.status).toBe(429);
    // burst admitted the request, then took its unit back: it shows the 98 it holds after that.
    expect(denied.headers.get('ratelimit')).toBe('"minute";r=0;t=60, "burst";r=98;t=2');
    expect((await denied.json()).details).toEqual({ policies: ['minute'] });
    const [minute, burst] = await limit.get('a1');
    expect(minute).toMatchObject({ policy: 'minute', remaining: 0, reset: 60_000 });
    expect(burst).toMatchObject({ policy: 'burst', remaining: 98 });
  });

  it('does not start a window for a request another policy denied', async () => {
    let now = 1_800_000_000_000;
    const store = memoryStore({ now: () => now });
    const byUser = byHeader('x-user');
    const limit = rateLimit({
      policies: [
        { name: 'app', key: byApp, limit: 1, period: '1h', algorithm: 'fixed-window' },
        { name: 'user', key: byUser, limit: 5, period: '10s', algorithm: 'fixed-window' },
      ],
      store,
    });
    await limit.check({
      request: { url: '/', headers: { 'x-app': 'a1', 'x-user': 'first' } },
      headers: new Map(),
      onFinish: () => undefined,
      body: () => undefined,
      capture: () => undefined,
    });
    const context = (app: string) => ({
      request: { url: '/', headers: { 'x-app': app, 'x-user': 'u1' } },
      headers: new Map<string, string>(),
      onFinish: () => undefined,
      body: () => undefined,
      capture: () => undefined,
    });
    expect(await limit.check(context('a1'))).toBeDefined();
    now += 9_000;
    const admitted = context('a2');
    expect(await limit.check(admitted)).toBeUndefined();
    expect(admitted.headers.get('ratelimit')).toBe('"app";r=0;t=3600, "user";r=4;t=10');
  });

  it('takes a period that is not a whole number of milliseconds, and refuses one of centuries', async () => {
    const now = 1_800_000_000_000;
    const store = memoryStore({ now: () => now });
    const limit = rateLimit({ key: byApp, limit: 1, period: 1500.5, algorithm: 'fixed-window', store });
    const send = await serve(undefined, limit);
    expect(await statuses(send, 2)).toEqual([200, 429]);
    expect((await limit.get('a1'))[0]!.reset).toBe(1501);
    expect(() => rateLimit({ key: byApp, limit: 1, period: 1e21, algorithm: 'fixed-window', store })).toThrow(
      /at most/,
    );
  });
});

describe('a fixed-window policy is checked when it is defined', () => {
  it('refuses a burst, an unknown algorithm, and a store without window()', () => {
    const base = { key: byApp, limit: 2, period: '1m' } as const;
    expect(() => rateLimit({ ...base, algorithm: 'fixed-window', burst: 1 })).toThrow(
      /burst applies to GCRA/,
    );
    expect(() => rateLimit({ ...base, algorithm: 'sliding' as never })).toThrow(FaultlineConfigError);
    const rateOnly = { kind: 'rate-only', rate: memoryStore().rate, close: () => undefined };
    expect(() => rateLimit({ ...base, algorithm: 'fixed-window', store: rateOnly })).toThrow(
      /needs a WindowStore \(window\)/,
    );
  });

  it('takes a store with window() alone, unless a GCRA policy or a ban needs rate()', async () => {
    const memory = memoryStore();
    const windowOnly: WindowStore = { kind: 'window-only', window: memory.window, close: () => undefined };
    const limit = rateLimit({
      key: byApp,
      limit: 1,
      period: '1m',
      algorithm: 'fixed-window',
      store: windowOnly,
    });
    const send = await serve(undefined, limit);
    expect(await statuses(send, 2)).toEqual([200, 429]);
    const base = { key: byApp, limit: 1, period: '1m', store: windowOnly } as const;
    expect(() => rateLimit({ ...base, algorithm: 'fixed-window', ban: { after: 2, for: '1m' } })).toThrow(
      /a ban keeps GCRA state, so its store needs rate\(\)/,
    );
    expect(() =>
      rateLimit({
        policies: [
          { name: 'a', key: byApp, limit: 1, period: '1m', algorithm: 'fixed-window' },
          { name: 'b', key: byApp, limit: 1, period: '1m' },
        ],
        store: windowOnly,
      }),
    ).toThrow(/needs a RateStore/);
  });
});

describe('a fixed-window policy on Redis', () => {
  it('counts one window across two instances sharing a redis-server', async () => {
    const prefix = `window-${randomUUID()}:`;
    const make = () =>
      rateLimit({
        name: 'sdk',
        key: byApp,
        limit: 3,
        period: '1m',
        algorithm: 'fixed-window',
        store: redisStore({ send: redisSend(client), prefix }),
      });
    const a = await serve(undefined, make());
    const b = await serve(undefined, make());
    expect([(await a()).status, (await b()).status, (await a()).status]).toEqual([200, 200, 200]);
    const denied = await b();
    expect(denied.status).toBe(429);
    const wait = Number(denied.headers.get('retry-after'));
    // To the end of the minute: GCRA would ask for 20 s at most (one unit per 20 s).
    expect(wait).toBeGreaterThan(20);
    expect(wait).toBeLessThanOrEqual(60);
    expect((await a()).status).toBe(429);
  });

  it('takes a period that is not a whole number of milliseconds, as the memory store does', async () => {
    const store = redisStore({ send: redisSend(client), prefix: `window-${randomUUID()}:` });
    const limit = rateLimit({ key: byApp, limit: 1, period: 1500.5, algorithm: 'fixed-window', store });
    const send = await serve(undefined, limit);
    expect(await statuses(send, 2)).toEqual([200, 429]);
    const [state] = await limit.get('a1');
    expect(Number.isInteger(state!.reset)).toBe(true);
    expect(state!.reset).toBeLessThanOrEqual(1501);
  });

  it('reads a value no decision wrote as no window, and a malformed reply as a store failure', async () => {
    const prefix = `window-${randomUUID()}:`;
    const store = redisStore({ send: redisSend(client), prefix });
    const key = `${prefix}w:{sdk:a1}`;
    await client.hset(key, 's', 'not a number', 'u', 'NaN');
    const send = await serve(
      undefined,
      rateLimit({ name: 'sdk', key: byApp, limit: 1, period: '1m', algorithm: 'fixed-window', store }),
    );
    expect((await send()).status).toBe(200);
    expect(await client.hget(key, 'u')).toBe('1');
    expect(await client.pttl(key)).toBeGreaterThan(0);
    expect((await send()).status).toBe(429);
    // A store whose replies are not the script's: the guard's failure policy (closed) answers 503.
    const broken = redisStore({ send: async () => ['yes', 'many', 'soon', 0], prefix, logger: quiet });
    const failing = await serve(
      undefined,
      rateLimit({
        name: 'sdk',
        key: byApp,
        limit: 1,
        period: '1m',
        algorithm: 'fixed-window',
        store: broken,
      }),
    );
    const answer = await failing();
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('5');
  });
});
