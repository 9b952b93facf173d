/** `PORT=3004 npx tsx examples/seeds/004/server.ts` — seed 004 on Hono, with a demo workspace and ticket. */
import { googleSignInFromEnv } from '../shared/google-id-token.js';
import { start } from './app.js';

// Google sign-in: GOOGLE_CLIENT_ID and GOOGLE_JWKS_URL (or GOOGLE_PUBLIC_KEY); off without them.
const google = googleSignInFromEnv();
const { url, seed } = await start(Number(process.env.PORT ?? 3004), google ? { google } : {});
const owner = seed.identity.addUser('owner@example.com', 'correct horse battery');
const workspace = seed.workspaces.create(owner.id, { plan: 'active' });
workspace.numbers.set('+14155550001', { status: 'active' });
const { ref } = seed.support.open('customer@example.com', 'Cannot dial out');
console.log(`seed 004 (voice SaaS) listening on ${url}`);
console.log(`  no existence oracle: compare`);
console.log(`    curl ${url}/support/tickets/${ref}?token=wrong`);
console.log(`    curl ${url}/support/tickets/T-00000000?token=wrong`);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => seed.server.close(() => process.exit(0)));
