/** `PORT=3002 npx tsx examples/seeds/002/server.ts` — seed 002 on Fastify. */
import { randomBytes } from 'node:crypto';
import { googleSignInFromEnv } from '../shared/google-id-token.js';
import { start } from './app.js';

// SDK_EVENT_BUFFER: how many SDK events are held for the pipeline (the oldest evicted past it).
const buffer = Number(process.env.SDK_EVENT_BUFFER);
const google = googleSignInFromEnv();
const { url, seed } = await start(Number(process.env.PORT ?? 3002), {
  ...(Number.isSafeInteger(buffer) && buffer > 0 ? { eventBuffer: buffer } : {}),
  ...(google ? { google } : {}),
});
// The owner's password is OWNER_PASSWORD, or one made at start: a password written in the repository
// would open every copy of it.
const password = process.env.OWNER_PASSWORD || randomBytes(12).toString('base64url');
const { tenant } = seed.tours.register('owner@example.com', password, 'Example Co');
const { key } = seed.tours.createApiKey(tenant);
// One write, so that whoever waits for the URL also has the credentials.
console.log(
  [
    `seed 002 (product tours) listening on ${url}`,
    `  owner@example.com signs in with password ${password}`,
    `  curl -H 'x-api-key: ${key}' -H 'content-type: application/json' -d '{"events":[{"type":"nope"}]}' ${url}/api/sdk/events`,
    ...(google
      ? []
      : ['  Google sign-in is off: set GOOGLE_CLIENT_ID and GOOGLE_JWKS_URL (or GOOGLE_PUBLIC_KEY)']),
  ].join('\n'),
);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void seed.app.close().then(() => process.exit(0)));
