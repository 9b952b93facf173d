// A guarded API in its own process, for the multi-process tests: `node --import tsx
// --conditions=faultline-source test/e2e/guards-server.ts`. Env: STORE=redis|memory, REDIS_PORT,
// PREFIX, POLICY=open|closed, STORE_TIMEOUT (ms). Prints its URL.
import { createServer } from 'node:http';
import { idempotency, rateLimit } from 'faultline/guards';
import { createNodeErrors, guard, sendJson } from 'faultline/node';
import { memoryStore, redisSend, redisStore } from 'faultline/stores';
import { Redis } from 'ioredis';

const useRedis = process.env.STORE === 'redis';
const redis = useRedis
  ? new Redis(Number(process.env.REDIS_PORT), '127.0.0.1', {
      maxRetriesPerRequest: 1,
      retryStrategy: () => 200,
    })
  : undefined;
redis?.on('error', () => {
  // Reconnects on its own; the guards' failure policy answers meanwhile.
});
const prefix = process.env.PREFIX ?? 'e2e:';
const store = redis ? redisStore({ send: redisSend(redis), prefix }) : memoryStore();
const policy = process.env.POLICY === 'open' ? 'open' : 'closed';

const limited = guard(
  rateLimit({
    key: () => 'shared',
    limit: 1000,
    period: '7d',
    store,
    onStoreError: policy,
    storeTimeout: Number(process.env.STORE_TIMEOUT ?? 5000),
  }),
);
const once = guard(idempotency({ tenant: () => 'tenant', store }));
const errors = createNodeErrors({ onError: false });

const server = createServer(
  errors((req, res) => {
    if (req.url === '/limited') return limited(() => sendJson(res, 200, { ok: true }))(req, res);
    return once(async () => {
      // Counted in Redis, so that executions across both processes add up.
      const executions = redis ? await redis.incr(`${prefix}executions`) : 1;
      await new Promise((r) => setTimeout(r, 200));
      sendJson(res, 201, { executions, pid: process.pid });
    })(req, res);
  }),
);
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`http://127.0.0.1:${port}\n`);
});
