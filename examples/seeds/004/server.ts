/** `PORT=3004 npx tsx examples/seeds/004/server.ts` — seed 004 on Hono, with a demo workspace and ticket. */
import { randomBytes } from 'node:crypto';
import { googleSignInFromEnv } from '../shared/google-id-token.js';
import { start } from './app.js';

// Google sign-in: GOOGLE_CLIENT_ID and GOOGLE_JWKS_URL (or GOOGLE_PUBLIC_KEY); off without them.
const google = googleSignInFromEnv();
const { url, seed } = await start(Number(process.env.PORT ?? 3004), google ? { google } : {});
// The owner's password is OWNER_PASSWORD, or one made at start: a password written in the repository
// would open every copy of it.
const password = process.env.OWNER_PASSWORD || randomBytes(12).toString('base64url');
const owner = seed.identity.addUser('owner@example.com', password);
const workspace = seed.workspaces.create(owner.id, { plan: 'active' });
workspace.numbers.set('+14155550001', { status: 'active' });
const { ref } = seed.support.open('customer@example.com', 'Cannot dial out');
// One write, so that whoever waits for the URL also has the credentials.
console.log(
  [
    `seed 004 (voice SaaS) listening on ${url}`,
    `  owner@example.com signs in with password ${password} (workspace ${workspace.id})`,
    ...(google
      ? []
      : ['  Google sign-in is off: set GOOGLE_CLIENT_ID and GOOGLE_JWKS_URL (or GOOGLE_PUBLIC_KEY)']),
    `  no existence oracle: compare`,
    `    curl ${url}/support/tickets/${ref}?token=wrong`,
    `    curl ${url}/support/tickets/T-00000000?token=wrong`,
  ].join('\n'),
);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => seed.server.close(() => process.exit(0)));
