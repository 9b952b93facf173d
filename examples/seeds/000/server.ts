/**
 * `PORT=3000 npx tsx examples/seeds/000/server.ts` — seed 000 with a demo account (`demo`), its admin
 * and a project (`support-bot`); the variables of `config.ts` configure the rest. The admin's API key
 * comes from `SEED_000_ADMIN_KEY` (16 characters at least), or is generated at start and printed: no key
 * in the repository opens it. On SIGTERM or SIGINT the server answers 503 for `SEED_000_DRAIN_GRACE_MS`,
 * then closes.
 */
import { start } from './app.js';
import { optionsFromEnv } from './config.js';

const { port, drainGrace, adminKey, ...options } = optionsFromEnv(process.env);
const { url, seed, close } = await start(port, options);
seed.platform.createAccount('demo');
seed.platform.createProject('demo', 'support-bot');
const { key } = seed.auth.addUser({ account: 'demo', role: 'admin', realtime: true }, adminKey);
console.log(`seed 000 (voice-agent platform) listening on ${url}`);
console.log(`  account demo, project support-bot, admin key ${adminKey ? '(from SEED_000_ADMIN_KEY)' : key}`);
console.log(`  curl -H 'x-api-key: <admin key>' ${url}/v1/projects/support-bot/conversations`);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    seed.drain();
    setTimeout(() => void close().then(() => process.exit(0)), drainGrace).unref();
  });
