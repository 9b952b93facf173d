import { redisSend, redisStore, type Store } from 'faultline/stores';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisCluster, startRedisCluster } from '../helpers/redis.js';

let cluster: RedisCluster;
let ioredis: Cluster;
let nodeRedis: ReturnType<typeof createCluster>;

beforeAll(async () => {
  cluster = await startRedisCluster();
  ioredis = new Cluster(cluster.nodes.map((n) => ({ host: n.host, port: n.port })));
  nodeRedis = createCluster({
    rootNodes: cluster.nodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })),
  });
  await nodeRedis.connect();
}, 60_000);

afterAll(async () => {
  ioredis?.disconnect();
  await nodeRedis?.destroy();
  await cluster?.stop();
});

async function exercise(store: Store, tag: string): Promise<void> {
  const now = Date.now();
  for (let i = 0; i < 60; i++) {
    const key = `${tag}-caller-${i}`;
    expect((await store.rate(key, { interval: 1000, tolerance: 1000, cost: 1 })).allowed).toBe(true);
    expect((await store.rate(key, { interval: 1000, tolerance: 1000, cost: 1 })).allowed).toBe(false);
    expect((await store.quota(key, { limit: 1, cost: 1, bounds: [now - 1000, now + 60_000] })).allowed).toBe(
      true,
    );
    const window = { limit: 1, period: 60_000, cost: 1 };
    expect((await store.window(key, window)).allowed).toBe(true);
    expect((await store.window(key, window)).allowed).toBe(false);
    expect((await store.acquire(key, 'lease', 1, 10_000)).acquired).toBe(true);
    expect(await store.claim(key, 'fp', 'token', 10_000)).toEqual({ state: 'claimed' });
  }
}

describe('redisStore on a 3-node Redis Cluster', { timeout: 60_000 }, () => {
  it('runs every decision through ioredis Cluster, with keys spread over all three masters', async () => {
    await exercise(redisStore({ send: redisSend(ioredis), prefix: 'cl:' }), 'io');
    const sizes = await Promise.all(ioredis.nodes('master').map((node) => node.dbsize()));
    expect(sizes).toHaveLength(3);
    for (const size of sizes) expect(size).toBeGreaterThan(0);
  });

  it('keeps each caller on one slot: all its keys share the hash tag', async () => {
    const store = redisStore({ send: redisSend(ioredis), prefix: 'slot:' });
    await store.rate('{odd}caller', { interval: 1000, tolerance: 1000, cost: 1 });
    await store.quota('{odd}caller', { limit: 5, cost: 1, bounds: [Date.now() - 1000, Date.now() + 60_000] });
    await store.window('{odd}caller', { limit: 5, period: 60_000, cost: 1 });
    const keys: string[] = [];
    for (const node of ioredis.nodes('master')) keys.push(...(await node.keys('slot:*')));
    expect(keys).toHaveLength(3);
    const slots = await Promise.all(keys.map((key) => ioredis.cluster('KEYSLOT', key)));
    expect(new Set(slots).size).toBe(1);
  });

  it('decides under a deadline, as guards do, keeping each reply in the slot of its key (the empty key too)', async () => {
    const store = redisStore({ send: redisSend(ioredis), prefix: 'once:' });
    const deadline = () => ({ at: Date.now() + 5000, abandoned: false });
    for (const key of ['', '{odd}caller', 'plain']) {
      expect((await store.rate(key, { interval: 1000, tolerance: 1000, cost: 1 }, deadline())).allowed).toBe(
        true,
      );
      const bounds = [Date.now() - 1000, Date.now() + 60_000];
      expect((await store.quota(key, { limit: 5, cost: 1, bounds }, deadline())).allowed).toBe(true);
      expect((await store.window(key, { limit: 5, period: 60_000, cost: 1 }, deadline())).allowed).toBe(true);
    }
    const keys: string[] = [];
    for (const node of ioredis.nodes('master')) keys.push(...(await node.keys('once:*')));
    const kept = keys.filter((key) => key.includes(':once:'));
    expect(kept.length).toBeGreaterThan(0);
    for (const key of kept) {
      const [slot, own] = await Promise.all([
        ioredis.cluster('KEYSLOT', key),
        ioredis.cluster('KEYSLOT', key.slice(0, key.indexOf('}:once:') + 1)),
      ]);
      expect(slot).toBe(own);
    }
  });

  it('runs every decision through a node-redis cluster', async () => {
    await exercise(redisStore({ send: redisSend(nodeRedis), prefix: 'nr:' }), 'nr');
  });
});
