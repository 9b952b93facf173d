/**
 * `PORT=3000 npx tsx examples/seeds/000/server.ts` — seed 000 with a demo account, admin and project.
 * The admin's API key comes from `SEED_000_ADMIN_KEY`, or is generated at start and printed: no key
 * in the repository opens it.
 */
import { randomBytes } from 'node:crypto';
import { start } from './app.js';

const allowed = (process.env.SEED_000_UPSTREAMS ?? '').split(',').filter((origin) => origin.trim() !== '');
const { url, seed } = await start(Number(process.env.PORT ?? 3000), {
  upstreams: allowed.map((origin) => new URL(origin.trim()).origin),
  ...(process.env.SEED_000_FUNCTION_RUNNER_URL
    ? { runner: { url: process.env.SEED_000_FUNCTION_RUNNER_URL, timeoutMs: 5000 } }
    : {}),
});
seed.platform.createAccount('demo');
seed.platform.createProject('demo', 'support-bot');
const key = seed.auth.addUser(
  { id: 'u-admin', account: 'demo', role: 'admin', realtime: true },
  process.env.SEED_000_ADMIN_KEY || `key_${randomBytes(24).toString('base64url')}`,
);
console.log(`seed 000 (voice-agent platform) listening on ${url}`);
console.log(`  curl -H 'x-api-key: ${key}' ${url}/v1/projects/support-bot/conversations/nope`);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    seed.drain();
    seed.server.close(() => process.exit(0));
  });
