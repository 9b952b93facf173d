/**
 * Redis faults: two instances share one real redis-server, which is killed (SIGKILL) and restarted, or
 * frozen (SIGSTOP) and resumed, in the middle of a load of orders with idempotency keys. While it is out
 * the guards answer their closed policy (503 with Retry-After), never a crash; clients retry the same key
 * after a non-2xx answer; in the end every order was answered 201 exactly once and executed exactly once
 * across both instances: no admitted request lost, none duplicated. After a freeze, the claims queued
 * meanwhile run late: they must lock nothing, or the retries of the refused orders wait out the lock.
 */
import { createServer, type Server } from 'node:http';
import { idempotency } from 'faultline/guards';
import { createNodeErrors, guard, readJson, sendJson } from 'faultline/node';
import { redisSend, redisStore } from 'faultline/stores';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { close, listen } from '../helpers/http.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { freeze, thaw } from '../helpers/redis-faults.js';
import { type Child, startChild } from './fixtures/child.js';

const orders = 300;
const workers = 16;

let redis: RedisServer | undefined;
const children: Child[] = [];
const servers: Server[] = [];
const clients: Redis[] = [];
afterAll(async () => {
  await Promise.all(children.map((child) => child.stop()));
  for (const server of servers) await close(server);
  for (const client of clients) client.disconnect();
  if (redis) thaw(redis);
  await redis?.stop().catch(() => {});
});

interface Instance {
  readonly url: string;
  alive(): boolean;
}

/**
 * Two in-process instances, each with its own Redis connection, whose first guard is idempotency: a
 * claim reaches Redis on every attempt (the child fixture checks its rate limit first, which a freeze
 * refuses before any claim is sent).
 */
async function inProcess(server: RedisServer): Promise<{ instances: Instance[]; executed: () => string[] }> {
  const executed: string[] = [];
  const instances: Instance[] = [];
  for (let i = 0; i < 2; i++) {
    const client = new Redis(server.port, '127.0.0.1', {
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    client.on('error', () => {});
    clients.push(client);
    const store = redisStore({ send: redisSend(client), prefix: 'orders:', logger: { error: () => {} } });
    const errors = createNodeErrors({ onError: false });
    const once = guard(idempotency({ tenant: () => 'shop', required: true, store, storeTimeout: 500 }));
    const app = createServer(
      errors(
        once(async (req, res) => {
          const body = (await readJson(req)) as { item: string };
          const key = String(req.headers['idempotency-key']);
          executed.push(key);
          sendJson(res, 201, { order: body.item, key });
        }),
      ),
    );
    servers.push(app);
    instances.push({ url: await listen(app), alive: () => true });
  }
  return { instances, executed: () => executed };
}

/** Places `orders` orders with keys `${run}-n` while `fault` strikes once a third of them are in. */
async function placeOrders(
  run: string,
  instances: readonly Instance[],
  executedKeys: () => Promise<string[]>,
  fault: () => Promise<void>,
) {
  const answers = new Map<number, number>();
  let created = 0;
  let struck = false;
  const count = (status: number) => answers.set(status, (answers.get(status) ?? 0) + 1);

  const placeOrder = async (n: number) => {
    const key = `${run}-${n}`;
    for (let attempt = 0; attempt < 100; attempt++) {
      const instance = instances[(n + attempt) % 2]!;
      try {
        const res = await fetch(`${instance.url}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify({ item: `item-${n}` }),
        });
        const body = await res.text();
        count(res.status);
        if (res.status === 201) {
          expect(JSON.parse(body)).toEqual({ order: `item-${n}`, key });
          created++;
          return;
        }
        expect([409, 503], `${res.status} ${body}`).toContain(res.status);
        if (res.status === 503) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      } catch (error) {
        throw new Error(`order ${n}: the instance did not answer (${(error as Error).message})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`order ${key} was never accepted: ${JSON.stringify(Object.fromEntries(answers))}`);
  };

  let next = 0;
  const load = Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < orders) await placeOrder(next++);
    }),
  );
  const strike = (async () => {
    while (created < orders / 3) await new Promise((resolve) => setTimeout(resolve, 20));
    await fault();
    struck = true;
  })();
  await Promise.all([load, strike]);

  const executed = await executedKeys();
  const perKey = new Map<string, number>();
  for (const key of executed) if (key.startsWith(`${run}-`)) perKey.set(key, (perKey.get(key) ?? 0) + 1);
  console.log(
    `redis faults (${run}): ${orders} orders, answers ${JSON.stringify(Object.fromEntries(answers))}`,
  );

  expect(struck).toBe(true);
  expect(created).toBe(orders);
  expect(answers.get(201)).toBe(orders);
  expect(answers.get(503) ?? 0).toBeGreaterThan(0);
  expect(answers.get(500)).toBeUndefined();
  expect(perKey.size).toBe(orders);
  expect([...perKey.values()].every((n) => n === 1)).toBe(true);
  for (const instance of instances) expect(instance.alive()).toBe(true);
  return answers;
}

describe('guards on Redis across two instances', () => {
  it('hold their policies through a Redis crash and restart; every order executes exactly once', {
    timeout: 120_000,
  }, async () => {
    const server = await startRedis();
    redis = server;
    for (let i = 0; i < 2; i++)
      children.push(await startChild('test/reliability/fixtures/orders.ts', [], { REDIS_URL: server.url }));
    const executed = async () => {
      const keys: string[] = [];
      for (const child of children)
        keys.push(...((await (await fetch(`${child.url}/executions`)).json()) as string[]));
      return keys;
    };
    // Crash Redis by pid, bring it back 1.5 s later, empty.
    await placeOrders('crash', children, executed, async () => {
      await server.kill();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await server.restart();
    });
  });

  it('hold their policies through a Redis freeze (SIGSTOP) of 1.5 s; the retries of refused orders are not locked out by their late claims', {
    timeout: 120_000,
  }, async () => {
    const server = redis ?? (await startRedis());
    redis = server;
    const { instances, executed } = await inProcess(server);
    // Before: every claim queued during the freeze locked its key for lockTtl (1 min) when Redis
    // resumed, so the retries of those orders got 409 until their 100 attempts ran out.
    const answers = await placeOrders(
      'freeze',
      instances,
      async () => executed(),
      async () => {
        freeze(server);
        await new Promise((resolve) => setTimeout(resolve, 1500));
        thaw(server);
      },
    );
    // At most the orders in flight when Redis froze or resumed can meet a lock that is being undone.
    expect(answers.get(409) ?? 0).toBeLessThanOrEqual(workers);
  });
});
