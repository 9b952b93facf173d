import { randomUUID } from 'node:crypto';
import { memoryStore, redisSend, redisStore } from 'faultline/stores';
import { describeStore } from 'faultline/stores/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../helpers/redis.js';

// The suite third-party stores run, over both stores of faultline: the same cases, the same answers.

describeStore(
  'memoryStore, injected clock',
  (clock) => memoryStore({ now: clock.now }),
  { describe, it },
  {
    clock: 'injected',
  },
);

describeStore('memoryStore, real clock', () => memoryStore(), { describe, it });

let server: RedisServer;
let client: Redis;

beforeAll(async () => {
  server = await startRedis();
  client = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  client?.disconnect();
  await server?.stop();
});

// Each case's key prefix, by store: the reads that must change nothing are checked against the case's own
// live keys (SCAN skips expired ones) and the server's change counter, which any write moves.
const prefixes = new WeakMap<object, string>();

async function liveKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  for (let i = 0; i < 1000; i++) {
    const [next, found] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    keys.push(...found);
    cursor = next;
    if (cursor === '0') return keys.sort();
  }
  throw new Error('SCAN did not finish within 1000 pages');
}

describeStore(
  'redisStore',
  () => {
    const prefix = `conformance-${randomUUID()}:`;
    const store = redisStore({ send: redisSend(client), prefix });
    prefixes.set(store, prefix);
    return store;
  },
  { describe, it },
  {
    footprint: async (store) => ({
      keys: await liveKeys(prefixes.get(store)!),
      changes: /rdb_changes_since_last_save:(\d+)/.exec(await client.info('persistence'))?.[1],
    }),
  },
);

describe('describeStore on a store without a capability it is told to run', () => {
  it('fails each case of that capability naming the missing methods and the option', async () => {
    const cases: { name: string; body: () => Promise<void> }[] = [];
    const memory = memoryStore();
    const rateOnly = { kind: 'rate-only', rate: memory.rate, close: () => undefined };
    describeStore(
      'rate only',
      () => rateOnly,
      { describe: (_name, body) => body(), it: (name, body) => cases.push({ name, body }) },
      { capabilities: ['rate', 'window'] },
    );
    const windowCase = cases.find((c) => c.name.includes('anchored'))!;
    await expect(windowCase.body()).rejects.toThrow(
      /the store has no window\(\), which the "window" cases need; pass \{ capabilities: \[\.\.\.\] \}/,
    );
    memory.close();
  });
});
