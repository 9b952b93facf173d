/**
 * `PORT=3003 npx tsx examples/seeds/003/server.ts` — seed 003 on Express, configured by environment only:
 *
 * - `ADMIN_API_KEY`: the admin key (16 characters or more: visible ASCII, no comma or space). Unset, one is
 *   made at start and printed; set empty, the admin API is not configured and its routes answer 503 "Admin
 *   API not configured".
 * - `DEMO_API_KEY`: the key of the seeded app `demo-app` (made and printed when unset; as the admin key).
 * - `REDIS_URL=redis://127.0.0.1:6379`: apps, limits, sessions and rooms live in Redis (memory otherwise).
 * - `RECORDING_ENABLED=1`: the recording service is on (off by default: record commands answer 503).
 * - `COMMAND_COOLDOWN_MS` (1000), `IP_RATE_LIMIT` per minute (1200), `SESSION_IDLE_TIMEOUT_MS` (3 600 000)
 *   `MAX_SESSIONS_PER_APP` (1000) and `MAX_ROOMS_PER_APP` (1000).
 *
 * No key is written in the repository: a key written here would open every copy of it.
 */
import { randomBytes } from 'node:crypto';
import { redisSend } from 'faultline/stores';
import { connectRedis } from '../shared/redis-client.js';
import { presentableKey, start } from './app.js';

function fail(message: string): never {
  console.error(`seed 003: ${message}`);
  process.exit(1);
}

/** A positive whole number from the environment, or `fallback` when unset. */
function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^[1-9]\d{0,9}$/.test(raw))
    fail(`${name} must be a positive whole number, not ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** A key from the environment (16 characters or more, that a header can carry), or one made now. */
function keyFrom(name: string): { key: string; made: boolean } {
  const given = process.env[name];
  if (given === undefined) return { key: randomBytes(16).toString('hex'), made: true };
  if (given !== '' && given.length < 16) fail(`${name} must be 16 characters or more`);
  if (given !== '' && !presentableKey.test(given))
    fail(`${name} must be visible ASCII characters without a comma or space: no request could present it`);
  return { key: given, made: false };
}

const admin = keyFrom('ADMIN_API_KEY');
const demo = keyFrom('DEMO_API_KEY');
if (demo.key === '') fail('DEMO_API_KEY must not be empty');
const options = {
  adminApiKey: admin.key,
  recording: process.env.RECORDING_ENABLED === '1',
  commandCooldown: positive('COMMAND_COOLDOWN_MS', 1000),
  ipRate: positive('IP_RATE_LIMIT', 1200),
  bounds: {
    idleTimeout: positive('SESSION_IDLE_TIMEOUT_MS', 60 * 60 * 1000),
    maxSessionsPerApp: positive('MAX_SESSIONS_PER_APP', 1000),
    maxRoomsPerApp: positive('MAX_ROOMS_PER_APP', 1000),
  },
};

const redis = process.env.REDIS_URL
  ? // Bounded: a Redis down or frozen costs a request the gateway's 500, never a hang.
    await connectRedis(process.env.REDIS_URL)
  : undefined;
const { url, seed } = await start(Number(process.env.PORT ?? 3003), {
  ...options,
  ...(redis ? { redis: redisSend(redis) } : {}),
});
// The seeded app, so that the gateway answers without an admin call first.
await seed.apps.set('demo-app', { apiKey: demo.key, rateLimit: 600 });
const shown = (made: boolean, key: string) => (made ? key : '(from the environment)');
// One write, so that whoever waits for the URL also has the keys.
console.log(
  [
    `seed 003 (call-control gateway) listening on ${url} — state in ${redis ? 'Redis' : 'memory'}`,
    `  admin key:        ${admin.key === '' ? 'none: the admin API is not configured' : shown(admin.made, admin.key)}`,
    `  app demo-app key: ${shown(demo.made, demo.key)}`,
    `  curl -X POST -H 'X-App-ID: demo-app' -H 'X-API-Key: ${demo.made ? demo.key : '<DEMO_API_KEY>'}' ${url}/api/v1/sessions`,
  ].join('\n'),
);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    seed.server.close(() => {
      redis?.disconnect();
      process.exit(0);
    });
  });
