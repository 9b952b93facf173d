/**
 * `PORT=3001 npx tsx examples/seeds/001/server.ts` — seed 001 on node:http with its WebSocket at
 * /api/v1/ws, configured by the variables of `config.ts`. It starts with one connector (host
 * example.com); the admin routes add, change and remove others and manage the signing keys. The admin
 * key and the demo connector's token come from the environment or are made at start and printed: a
 * secret written in the repository would open every copy of it.
 */
import { randomBytes } from 'node:crypto';
import { redisSend } from 'faultline/stores';
import { connectRedis } from '../shared/redis-client.js';
import { start } from './app.js';
import { optionsFromEnv } from './config.js';
import { redisSessions } from './redis-sessions.js';

const { port, redisUrl, demoToken, ...options } = optionsFromEnv(process.env);
const redis = redisUrl
  ? // Bounded: a Redis down or frozen costs a request its 500, never a hang.
    await connectRedis(redisUrl)
  : undefined;
const adminKey = options.adminKey ?? randomBytes(24).toString('base64url');
const { url, seed } = await start(port, {
  ...options,
  adminKey,
  ...(redis
    ? {
        sessions: redisSessions(redisSend(redis), {
          ...(options.maxSessionsPerOwner === undefined
            ? {}
            : { maxSessionsPerOwner: options.maxSessionsPerOwner }),
          ...(options.maxHistoryBytesPerSession === undefined
            ? {}
            : { maxHistoryBytesPerSession: options.maxHistoryBytesPerSession }),
        }),
      }
    : {}),
});
const { connector, token } = seed.messaging.addConnector({
  host: 'example.com',
  token: demoToken ?? `ct_${randomBytes(16).toString('hex')}`,
});
const ws = `ws://127.0.0.1:${new URL(url).port}/api/v1/ws`;
// One write, so that whoever waits for the URL also has the credentials.
console.log(
  [
    `seed 001 (messaging) listening on ${url} — sessions in ${redis ? 'Redis' : 'memory'}`,
    `  demo connector ${connector.id} (host example.com):`,
    `  curl -X POST -H 'X-Token: ${token}' -H 'X-Host: app.example.com' ${url}/api/v1/access-token`,
    `  then POST ${url}/api/v1/sessions with Authorization: Bearer <access_token>,`,
    `  and connect ${ws}?session_id=…&access_token=…`,
    `  admin key ${options.adminKey ? '(from ADMIN_API_KEY)' : adminKey}: X-Admin-API-Key on /admin/connectors and /admin/signing-keys`,
  ].join('\n'),
);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    void seed.ws.close({ timeout: 1000 }).then(() =>
      seed.server.close(() => {
        redis?.disconnect();
        process.exit(0);
      }),
    );
  });
