/**
 * `PORT=3003 ADMIN_API_KEY=… npx tsx examples/seeds/003/server.ts` — seed 003 on Express; with
 * `REDIS_URL=redis://127.0.0.1:6379` app configuration and limits live in Redis (memory otherwise);
 * `DEMO_API_KEY` sets the key of the demo app (one is made and printed otherwise).
 */
import { randomBytes } from 'node:crypto';
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
// A demo app, so that the gateway answers without an admin call first. Its key is DEMO_API_KEY, or one
// made at start: a key written in the repository would open every copy of it.
const demoKey = process.env.DEMO_API_KEY || randomBytes(16).toString('hex');
await seed.apps.set('demo-app', { apiKey: demoKey, rateLimit: 600 }).catch(() => {});
// One write, so that whoever waits for the URL also has the key.
console.log(
  `seed 003 (call-control gateway) listening on ${url} — state in ${redis ? 'Redis' : 'memory'}\n` +
    `  curl -H 'X-App-ID: demo-app' -H 'X-API-Key: ${demoKey}' ${url}/api/v1/sessions/nope`,
);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    seed.server.close(() => {
      redis?.disconnect();
      process.exit(0);
    });
  });
