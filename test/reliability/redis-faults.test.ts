/**
 * Redis faults: two instances share one real redis-server; it is killed (SIGKILL) in the middle of a
 * load of orders with idempotency keys and restarted. While it is down the guards answer their closed
 * policy (503 with Retry-After), never a crash; clients retry the same key after a non-2xx answer; in
 * the end every order was answered 201 exactly once and executed exactly once across both instances:
 * no admitted request lost, none duplicated.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { type Child, startChild } from './fixtures/child.js';

const orders = 300;
const workers = 16;

let redis: RedisServer;
const instances: Child[] = [];
afterAll(async () => {
  await Promise.all(instances.map((child) => child.stop()));
  await redis?.stop().catch(() => {});
});

describe('guards on Redis across two instances', () => {
  it('hold their policies through a Redis crash and restart; every order executes exactly once', {
    timeout: 120_000,
  }, async () => {
    redis = await startRedis();
    for (let i = 0; i < 2; i++)
      instances.push(await startChild('test/reliability/fixtures/orders.ts', [], { REDIS_URL: redis.url }));
    const answers = new Map<number, number>();
    let created = 0;
    let crashed = false;
    const count = (status: number) => answers.set(status, (answers.get(status) ?? 0) + 1);

    const placeOrder = async (n: number) => {
      const key = `order-${n}`;
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
      throw new Error(`order ${n} was never accepted`);
    };

    let next = 0;
    const load = Promise.all(
      Array.from({ length: workers }, async () => {
        while (next < orders) await placeOrder(next++);
      }),
    );
    // Crash Redis once a third of the orders are in, bring it back 1.5 s later.
    const fault = (async () => {
      while (created < orders / 3) await new Promise((resolve) => setTimeout(resolve, 20));
      await redis.kill();
      crashed = true;
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await redis.restart();
    })();
    await Promise.all([load, fault]);

    const executed: string[] = [];
    for (const instance of instances)
      executed.push(...((await (await fetch(`${instance.url}/executions`)).json()) as string[]));
    const perKey = new Map<string, number>();
    for (const key of executed) perKey.set(key, (perKey.get(key) ?? 0) + 1);
    console.log(`redis faults: ${orders} orders, answers ${JSON.stringify(Object.fromEntries(answers))}`);

    expect(crashed).toBe(true);
    expect(created).toBe(orders);
    expect(answers.get(201)).toBe(orders);
    expect(answers.get(503) ?? 0).toBeGreaterThan(0);
    expect(answers.get(500)).toBeUndefined();
    expect(perKey.size).toBe(orders);
    expect([...perKey.values()].every((n) => n === 1)).toBe(true);
    for (const instance of instances) expect(instance.alive()).toBe(true);
  });
});
