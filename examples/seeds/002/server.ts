/**
 * `PORT=3002 npx tsx examples/seeds/002/server.ts` — seed 002 on Fastify, configured by the variables of
 * `config.ts`. It starts with owner@example.com, owner of "Example Co", and one SDK key of that company;
 * everything else is made through the API. The owner's password comes from OWNER_PASSWORD or is made at
 * start and printed: a password written in the repository would open every copy of it.
 */
import { randomBytes } from 'node:crypto';
import { redisSend } from 'faultline/stores';
import { connectRedis } from '../shared/redis-client.js';
import { start } from './app.js';
import { optionsFromEnv } from './config.js';
import { redisEvents } from './events.js';
import { httpMailer } from './mail.js';

const { port, ownerPassword, mailUrl, redisUrl, ...options } = optionsFromEnv(process.env);
const redis = redisUrl
  ? // Bounded: a Redis down or frozen costs a request its 500, never a hang.
    await connectRedis(redisUrl)
  : undefined;
const { url, seed } = await start(port, {
  ...options,
  ...(mailUrl ? { mailer: httpMailer(mailUrl) } : {}),
  ...(redis
    ? { eventSink: redisEvents(redisSend(redis), 'tours:sdk-events', options.eventBuffer ?? 100_000) }
    : {}),
});
const password = ownerPassword ?? randomBytes(12).toString('base64url');
const { tenant } = await seed.tours.register('owner@example.com', password, 'Example Co');
const { key } = seed.tours.createApiKey(tenant);
const off = (what: string, variables: string) => `  ${what} is off: set ${variables}`;
// One write, so that whoever waits for the URL also has the credentials.
console.log(
  [
    `seed 002 (product tours) listening on ${url} — SDK events in ${redis ? 'Redis' : 'memory'}`,
    `  owner@example.com signs in with password ${ownerPassword ? '(from OWNER_PASSWORD)' : password}`,
    `  company Example Co (${tenant.id}), SDK key:`,
    `  curl -H 'x-api-key: ${key}' -H 'content-type: application/json' -d '{"events":[{"type":"nope"}]}' ${url}/api/sdk/events`,
    ...(options.google
      ? []
      : [off('Google sign-in', 'GOOGLE_CLIENT_ID and GOOGLE_JWKS_URL (or GOOGLE_PUBLIC_KEY)')]),
    ...(mailUrl ? [] : [off('Mail (invites, password resets)', 'MAIL_URL')]),
    ...(options.aiProvider ? [] : [off('The AI provider', 'AI_PROVIDER_URL')]),
  ].join('\n'),
);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(
    signal,
    () =>
      void seed.app.close().then(() => {
        redis?.disconnect();
        process.exit(0);
      }),
  );
