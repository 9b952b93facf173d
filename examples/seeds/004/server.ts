/**
 * `PORT=3004 npx tsx examples/seeds/004/server.ts` — seed 004 on Hono, with a demo workspace, its owner, a
 * platform admin and a support ticket; the variables of `config.ts` configure the rest. The passwords come
 * from OWNER_PASSWORD and ADMIN_PASSWORD, or are made at start and printed: a password written in the
 * repository would open every copy of it.
 */
import { randomBytes } from 'node:crypto';
import { start } from './app.js';
import { optionsFromEnv } from './config.js';

const { port, ...options } = optionsFromEnv(process.env);
const { url, seed } = await start(port, options);
const ownerPassword = process.env.OWNER_PASSWORD || randomBytes(12).toString('base64url');
const adminPassword = process.env.ADMIN_PASSWORD || randomBytes(12).toString('base64url');
const owner = await seed.identity.addUser('owner@example.com', ownerPassword);
await seed.identity.addUser('admin@example.com', adminPassword, { platformAdmin: true });
const workspace = seed.workspaces.create(owner.id, {
  name: 'Demo',
  plan: 'active',
  provider: { id: 'twilio', credential: process.env.PROVIDER_CREDENTIAL || undefined },
});
seed.workspaces.addNumber(workspace, '+14155550001');
seed.workspaces.addAgent(workspace, 'Receptionist', 'alloy');
const { ref } = seed.support.open('customer@example.com', 'Cannot dial out');
const off = [
  ...(options.google ? [] : ['Google sign-in (GOOGLE_CLIENT_ID and GOOGLE_JWKS_URL or GOOGLE_PUBLIC_KEY)']),
  ...(options.mailUrl ? [] : ['mail (MAIL_URL): no verification link or tracking code is sent']),
  ...(options.licenseSigningKey ? [] : ['license issuing (LICENSE_SIGNING_KEY)']),
  ...(options.draftService ? [] : ['reply drafts (DRAFT_SERVICE_URL)']),
];
// One write, so that whoever waits for the URL also has the credentials.
console.log(
  [
    `seed 004 (voice SaaS) listening on ${url}`,
    `  owner@example.com signs in with password ${process.env.OWNER_PASSWORD ? '(from OWNER_PASSWORD)' : ownerPassword}`,
    `  admin@example.com (platform admin) signs in with password ${process.env.ADMIN_PASSWORD ? '(from ADMIN_PASSWORD)' : adminPassword}`,
    `  workspace ${workspace.id} (plan active, number +14155550001, agent agt_1), support ticket ${ref}`,
    ...off.map((what) => `  off: ${what}`),
    `  curl -X POST ${url}/auth/login -H 'content-type: application/json' -d '{"email":"owner@example.com","password":"<password>"}'`,
  ].join('\n'),
);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => seed.server.close(() => process.exit(0)));
