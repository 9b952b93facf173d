import { randomUUID } from 'node:crypto';
import { FaultlineConfigError } from 'faultline';
import { memoryStore, type RedisSend, redisSend, redisStore, type Store } from 'faultline/stores';
import { Redis } from 'ioredis';
import { Valkey } from 'iovalkey';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RedisServer, startRedis } from '../helpers/redis.js';

let server: RedisServer;
const clients: { close(): unknown }[] = [];
const sends: Record<string, RedisSend> = {};

beforeAll(async () => {
  server = await startRedis();
  const ioredis = new Redis(server.port, '127.0.0.1');
  const valkey = new Valkey(server.port, '127.0.0.1');
  const nodeRedis = await createClient({ url: server.url }).connect();
  clients.push(
    { close: () => ioredis.disconnect() },
    { close: () => valkey.disconnect() },
    { close: () => nodeRedis.destroy() },
  );
  sends.ioredis = redisSend(ioredis);
  // One function serves ioredis and iovalkey: both expose `call(command, ...args)`.
  sends.iovalkey = redisSend(valkey);
  sends['node-redis'] = redisSend(nodeRedis);
});

afterAll(async () => {
  for (const client of clients) await client.close();
  await server?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const stores: [string, () => Store][] = [
  ['memoryStore', () => memoryStore()],
  ['redisStore (ioredis)', () => redisStore({ send: sends.ioredis!, prefix: `t-${randomUUID()}:` })],
  ['redisStore (node-redis)', () => redisStore({ send: sends['node-redis']!, prefix: `t-${randomUUID()}:` })],
  ['redisStore (iovalkey)', () => redisStore({ send: sends.iovalkey!, prefix: `t-${randomUUID()}:` })],
];

describe.each(stores)('%s conformance', (_, make) => {
  // 3 per minute: one unit every 20 s, a burst of 3.
  const rate = { interval: 20_000, tolerance: 60_000, cost: 1 };

  it('admits a burst, then denies with the time until the next unit', async () => {
    const store = make();
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await store.rate('k', rate));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(decisions.map((d) => d.remaining)).toEqual([2, 1, 0, 0]);
    expect(decisions[3]!.retryAfterMs).toBeGreaterThan(19_000);
    expect(decisions[3]!.retryAfterMs).toBeLessThanOrEqual(20_000);
    expect(decisions[2]!.reset).toBeGreaterThan(59_000);
    // Another key is independent; a denial used nothing.
    expect((await store.rate('other', rate)).remaining).toBe(2);
    expect((await store.rate('k', rate)).allowed).toBe(false);
  });

  it('gives units back on a refund', async () => {
    const store = make();
    for (let i = 0; i < 3; i++) await store.rate('k', rate);
    await store.rate('k', { ...rate, cost: -1 });
    expect((await store.rate('k', rate)).allowed).toBe(true);
    expect((await store.rate('k', rate)).allowed).toBe(false);
  });

  it('keys with braces stay distinct', async () => {
    const store = make();
    const one = { ...rate, tolerance: 20_000 };
    expect((await store.rate('{a}', one)).allowed).toBe(true);
    expect((await store.rate('%7Ba%7D', one)).allowed).toBe(true);
    expect((await store.rate('{a}', one)).allowed).toBe(false);
  });

  it('counts a quota in the period the clock is in, and a denial uses nothing', async () => {
    const store = make();
    const now = Date.now();
    const bounds = [now - 86_400_000, now - 1000, now + 3_600_000, now + 7_200_000];
    const input = { limit: 5, cost: 2, bounds };
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await store.quota('q', input));
    expect(results.map((r) => [r.allowed, r.used])).toEqual([
      [true, 2],
      [true, 4],
      [false, 4],
    ]);
    expect((await store.quota('q', { ...input, cost: 1 })).used).toBe(5);
    expect(results[2]!.reset).toBeGreaterThan(3_500_000);
    expect(results[2]!.reset).toBeLessThanOrEqual(3_600_000);
    // A new period starts from zero.
    const next = [now - 86_400_000, now - 10, now + 3_600_000];
    expect((await store.quota('q', { limit: 5, cost: 1, bounds: next })).used).toBe(1);
  });

  it('holds at most `limit` leases, releases them, and expires dead ones after the TTL', async () => {
    const store = make();
    expect((await store.acquire('s', 'a', 2, 10_000)).acquired).toBe(true);
    expect(await store.acquire('s', 'b', 2, 300)).toMatchObject({ acquired: true, count: 2 });
    const refused = await store.acquire('s', 'c', 2, 10_000);
    expect(refused.acquired).toBe(false);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(300);
    await store.release('s', 'a');
    expect((await store.acquire('s', 'c', 2, 10_000)).acquired).toBe(true);
    expect(await store.renew('s', 'c', 10_000)).toBe(true);
    await sleep(350);
    // b expired: its process "died" without releasing.
    expect(await store.renew('s', 'b', 10_000)).toBe(false);
    expect((await store.acquire('s', 'd', 2, 10_000)).acquired).toBe(true);
    expect((await store.acquire('s', 'e', 2, 10_000)).acquired).toBe(false);
  });

  it('claims an idempotency key once, then reports pending, mismatch and done', async () => {
    const store = make();
    expect(await store.claim('i', 'fp1', 't1', 5000)).toEqual({ state: 'claimed' });
    const pending = await store.claim('i', 'fp1', 't2', 5000);
    expect(pending.state).toBe('pending');
    expect(await store.claim('i', 'fp2', 't2', 5000)).toEqual({ state: 'mismatch' });
    await store.complete('i', 't2', 'not mine', 60_000);
    expect((await store.claim('i', 'fp1', 't3', 5000)).state).toBe('pending');
    await store.complete('i', 't1', '{"s":201}', 60_000);
    expect(await store.claim('i', 'fp1', 't4', 5000)).toEqual({ state: 'done', response: '{"s":201}' });
    await store.abandon('i', 't1');
    expect((await store.claim('i', 'fp1', 't5', 5000)).state).toBe('done');
  });

  it('abandons a claim so that a retry executes, and an expired lock frees the key', async () => {
    const store = make();
    await store.claim('j', 'fp', 't1', 5000);
    await store.abandon('j', 'other');
    expect((await store.claim('j', 'fp', 't2', 5000)).state).toBe('pending');
    await store.abandon('j', 't1');
    expect(await store.claim('j', 'fp', 't2', 200)).toEqual({ state: 'claimed' });
    await sleep(250);
    expect(await store.claim('j', 'fp', 't3', 5000)).toEqual({ state: 'claimed' });
  });
});

describe('redisStore scripts', () => {
  it('runs each decision as one EVALSHA, and reloads by EVAL only after NOSCRIPT', async () => {
    const client = new Redis(server.port, '127.0.0.1');
    const store = redisStore({ send: redisSend(client), prefix: `s-${randomUUID()}:` });
    const rate = { interval: 1000, tolerance: 10_000, cost: 1 };
    await client.script('FLUSH');
    await client.config('RESETSTAT');
    for (let i = 0; i < 5; i++) expect((await store.rate('k', rate)).allowed).toBe(true);
    const stats = String(await client.info('commandstats'));
    const calls = (name: string) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    // The first decision met NOSCRIPT (a failed EVALSHA) and ran by EVAL; the next four by EVALSHA alone.
    // The cache was empty, so the nine other scripts were loaded then, once, and never again.
    expect(calls('eval')).toBe(1);
    expect(calls('evalsha')).toBe(5);
    expect(calls('script\\|load')).toBe(9);
    client.disconnect();
  });

  it.each(['ioredis', 'node-redis', 'iovalkey'])(
    'with %s, a decision that reaches Redis past its deadline fails and changes nothing',
    async (name) => {
      const store = redisStore({ send: sends[name]!, prefix: `d-${randomUUID()}:` });
      const past = { at: Date.now() - 60_000, abandoned: false };
      const hour = 3_600_000;
      const rate = { interval: hour, tolerance: hour, cost: 1 };
      const quota = { limit: 1, cost: 1, bounds: [Date.now() - 1000, Date.now() + hour] };
      await expect(store.rate('k', rate, past)).rejects.toThrow(/past its deadline/);
      await expect(store.quota('k', quota, past)).rejects.toThrow(/past its deadline/);
      await expect(store.acquire('k', 'a', 1, hour, past)).rejects.toThrow(/past its deadline/);
      await expect(store.claim('k', 'fp', 't', hour, past)).rejects.toThrow(/past its deadline/);
      expect((await store.rate('k', rate)).allowed).toBe(true);
      expect((await store.quota('k', quota)).allowed).toBe(true);
      expect((await store.acquire('k', 'b', 1, hour)).acquired).toBe(true);
      expect(await store.claim('k', 'fp', 't2', hour)).toEqual({ state: 'claimed' });
    },
  );

  it.each([
    ['10 s behind', -10_000],
    ['10 s ahead of', 10_000],
  ])('with a process clock %s Redis, a decision that arrives in time is never refused', async (_, skew) => {
    const store = redisStore({ send: sends.ioredis!, prefix: `k-${randomUUID()}:` });
    const rate = { interval: 1000, tolerance: 100_000, cost: 1 };
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + skew });
    try {
      for (let i = 0; i < 5; i++) {
        const decision = await store.rate('k', rate, { at: Date.now() + 1000, abandoned: false });
        expect(decision.allowed).toBe(true);
      }
    } finally {
      vi.useRealTimers();
    }
  });

  it('a reply of an unexpected shape is a store failure, never a decision', async () => {
    const store = redisStore({ send: async () => [1, 2], prefix: 'x:' });
    await expect(store.rate('k', { interval: 1, tolerance: 1, cost: 1 })).rejects.toThrow(/^redisStore: /);
    const garbage = redisStore({ send: async () => ['claimed', 'x', 'y', 'z'], prefix: 'x:' });
    await expect(garbage.claim('k', 'fp', 't', 1000)).rejects.toThrow(/^redisStore: /);
  });

  it('refuses a prefix that would move the hash tag', () => {
    expect(() => redisStore({ send: sends.ioredis!, prefix: 'a{b}:' })).toThrow(FaultlineConfigError);
  });
});
