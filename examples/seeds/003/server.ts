/**
 * `PORT=3003 ADMIN_API_KEY=… npx tsx examples/seeds/003/server.ts` — seed 003 on Express; with
 * `REDIS_URL=redis://127.0.0.1:6379` app configuration and limits live in Redis (memory otherwise).
 */
import { ioredisSend } from 'faultline/stores';
import { Redis } from 'ioredis';
import { start } from './app.js';

const redis = process.env.REDIS_URL
  ? // A bounded offline queue: while Redis is down, commands fail fast and the gateway answers its 500.
    new Redis(process.env.REDIS_URL, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: false,
    })
  : undefined;
redis?.on('error', () => {
  // Connection errors surface as failed commands, answered per request; the client reconnects by itself.
});
if (redis && redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
const { url, seed } = await start(Number(process.env.PORT ?? 3003), {
  ...(redis ? { redis: ioredisSend(redis) } : {}),
});
// A demo app, so that the gateway answers without an admin call first.
await seed.apps.set('demo-app', { apiKey: 'demo-key-0123456789abcdef', rateLimit: 600 }).catch(() => {});
console.log(`seed 003 (call-control gateway) listening on ${url} — state in ${redis ? 'Redis' : 'memory'}`);
console.log(
  `  curl -H 'X-App-ID: demo-app' -H 'X-API-Key: demo-key-0123456789abcdef' ${url}/api/v1/sessions/nope`,
);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    seed.server.close(() => {
      redis?.disconnect();
      process.exit(0);
    });
  });
