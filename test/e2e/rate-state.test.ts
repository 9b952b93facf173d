import { randomUUID } from 'node:crypto';
import { FaultlineConfigError } from 'faultline';
import { byHeader, type GuardContext, type GuardRequest, rateLimit } from 'faultline/guards';
import { memoryStore, type RateStore, redisSend, redisStore } from 'faultline/stores';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../helpers/redis.js';

// Reading and resetting a key's state (express-rate-limit's getKey / resetKey, rate-limiter-flexible's
// get / delete), on the memory store and on a real redis-server.
let redis: RedisServer;
let client: Redis;
beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.port, '127.0.0.1');
});
afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

const byApp = byHeader('x-app');
const request = (app: string): GuardRequest => ({ url: '/', headers: { 'x-app': app } });

function contextOf(req: GuardRequest): GuardContext {
  const headers = new Map<string, string>();
  return {
    request: req,
    headers,
    onFinish: () => undefined,
    body: () => undefined,
    capture: () => undefined,
  };
}

async function admitted(guard: ReturnType<typeof rateLimit>, app: string): Promise<boolean> {
  try {
    // The rate limit returns its denial; anything else it answers is admitted.
    return (await guard.check(contextOf(request(app)))) === undefined;
  } catch {
    return false;
  }
}

const stores: [string, () => RateStore][] = [
  ['memoryStore', () => memoryStore()],
  ['redisStore', () => redisStore({ send: redisSend(client), prefix: `state-${randomUUID()}:` })],
];

describe.each(stores)('%s', (_name, make) => {
  it('reads a key without spending, and resets it to the whole burst', async () => {
    const store = make();
    const limit = rateLimit({ name: 'per-app', key: byApp, limit: 3, period: '1h', store });
    expect(await limit.get('a1')).toEqual([
      { policy: 'per-app', limit: 3, remaining: 3, reset: 0, banned: 0 },
    ]);
    for (let i = 0; i < 2; i++) expect(await admitted(limit, 'a1')).toBe(true);
    const [state] = await limit.get('a1');
    expect(state).toMatchObject({ policy: 'per-app', limit: 3, remaining: 1 });
    expect(state!.reset).toBeGreaterThan(0);
    // Reading is free: as many reads as one likes leave the remaining unit.
    for (let i = 0; i < 5; i++) await limit.get('a1');
    expect(await admitted(limit, 'a1')).toBe(true);
    expect(await admitted(limit, 'a1')).toBe(false);
    await limit.reset('a1');
    expect((await limit.get('a1'))[0]).toMatchObject({ remaining: 3, reset: 0 });
    for (let i = 0; i < 3; i++) expect(await admitted(limit, 'a1')).toBe(true);
    // Other keys are untouched by a read or a reset.
    expect((await limit.get('a2'))[0]!.remaining).toBe(3);
    await store.close();
  });

  it('resets a ban with the key, and reports it while it lasts', async () => {
    const store = make();
    const limit = rateLimit({
      name: 'login',
      key: byApp,
      limit: 1,
      period: '1h',
      ban: { after: 2, for: '1h' },
      store,
    });
    await admitted(limit, 'b1');
    await admitted(limit, 'b1');
    await admitted(limit, 'b1');
    expect((await limit.get('b1'))[0]!.banned).toBeGreaterThan(0);
    expect(await admitted(limit, 'b1')).toBe(false);
    await limit.reset('b1');
    expect((await limit.get('b1'))[0]).toMatchObject({ remaining: 1, banned: 0 });
    expect(await admitted(limit, 'b1')).toBe(true);
    await store.close();
  });

  it('reads one policy of several, and a limit that is a function of the request', async () => {
    const store = make();
    const limit = rateLimit({
      store,
      policies: [
        {
          name: 'per-app',
          key: byApp,
          limit: (r) => (byApp(r) === 'big' ? 10 : 2),
          period: '1m',
        },
        { name: 'per-app-daily', key: byApp, limit: 100, period: '1d' },
      ],
    });
    await admitted(limit, 'big');
    expect(await limit.get('big', { policy: 'per-app', request: request('big') })).toEqual([
      expect.objectContaining({ policy: 'per-app', limit: 10, remaining: 9 }),
    ]);
    await expect(limit.get('big')).rejects.toThrow(/limit per request/);
    expect((await limit.get('big', { policy: 'per-app-daily' }))[0]!.remaining).toBe(99);
    await store.close();
  });

  it('refuses an unknown policy and a key that is no string, without touching the store', async () => {
    const store = make();
    const limit = rateLimit({ name: 'p', key: byApp, limit: 1, period: '1m', store });
    await expect(limit.get('k', { policy: 'nope' })).rejects.toThrow(FaultlineConfigError);
    for (const key of ['', 42, null, undefined, { toString: () => 'x' }]) {
      await expect(limit.get(key as string)).rejects.toThrow(FaultlineConfigError);
      await expect(limit.reset(key as string)).rejects.toThrow(FaultlineConfigError);
    }
    await store.close();
  });
});

describe('limit.get reads and never writes', () => {
  // Keys an admin endpoint might be asked about by anyone: none of them has state.
  const probes = Array.from({ length: 100 }, (_, i) => `probe-${i}-${randomUUID()}`);
  const guarded = (store: RateStore) =>
    rateLimit({ name: 'per-app', key: byApp, limit: 3, period: '1h', ban: { after: 2, for: '1h' }, store });
  const unknown = { policy: 'per-app', limit: 3, remaining: 3, reset: 0, banned: 0 };

  it('allocates no memory-store entry for unknown keys, and leaves the known ones as they were', async () => {
    const store = memoryStore();
    const limit = guarded(store);
    await admitted(limit, 'a1');
    // Three admitted, two denied: the second strike bans b1.
    for (let i = 0; i < 5; i++) await admitted(limit, 'b1');
    const before = store.size();
    for (const key of probes) expect(await limit.get(key)).toEqual([unknown]);
    for (let i = 0; i < 5; i++) {
      expect((await limit.get('a1'))[0]).toMatchObject({ remaining: 2, banned: 0 });
      expect((await limit.get('b1'))[0]!.banned).toBeGreaterThan(0);
    }
    expect(store.size()).toEqual(before);
    store.close();
  });

  it('creates no Redis key, extends no TTL and writes nothing (the change counter stands still)', async () => {
    const prefix = `read-${randomUUID()}:`;
    const limit = guarded(redisStore({ send: redisSend(client), prefix }));
    await admitted(limit, 'a1');
    // Three admitted, two denied: the second strike bans b1.
    for (let i = 0; i < 5; i++) await admitted(limit, 'b1');
    const keys = await client.keys(`${prefix}*`);
    expect(keys.length).toBeGreaterThan(1);
    const ttls = await Promise.all(keys.map((key) => client.pttl(key)));
    const changes = async () =>
      /rdb_changes_since_last_save:(\d+)/.exec(await client.info('persistence'))?.[1];
    const before = { size: await client.dbsize(), changes: await changes() };
    for (const key of probes) expect(await limit.get(key)).toEqual([unknown]);
    for (let i = 0; i < 5; i++) {
      expect((await limit.get('a1'))[0]).toMatchObject({ remaining: 2, banned: 0 });
      expect((await limit.get('b1'))[0]!.banned).toBeGreaterThan(0);
    }
    expect({ size: await client.dbsize(), changes: await changes() }).toEqual(before);
    expect((await client.keys(`${prefix}*`)).sort()).toEqual([...keys].sort());
    const after = await Promise.all(keys.map((key) => client.pttl(key)));
    for (const [i, ttl] of after.entries()) expect(ttl, keys[i]).toBeLessThanOrEqual(ttls[i]!);
  });
});

it('a store that fails rejects the read and the reset', async () => {
  const failing: RateStore = {
    kind: 'failing',
    close: () => undefined,
    rate: () => Promise.reject(new Error('store down')),
  };
  const limit = rateLimit({ name: 'p', key: byApp, limit: 1, period: '1m', store: failing });
  await expect(limit.get('k')).rejects.toThrow('store down');
  await expect(limit.reset('k')).rejects.toThrow('store down');
});
