import { randomUUID } from 'node:crypto';
import { ioredisSend, memoryStore, redisStore } from 'faultline/stores';
import { describeStore } from 'faultline/stores/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, it } from 'vitest';
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

describeStore(
  'redisStore',
  () => redisStore({ send: ioredisSend(client), prefix: `conformance-${randomUUID()}:` }),
  { describe, it },
);
