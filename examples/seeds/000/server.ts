/** `PORT=3000 npx tsx examples/seeds/000/server.ts` — seed 000 with a demo account, user and project. */
import { start } from './app.js';

const { url, seed } = await start(Number(process.env.PORT ?? 3000));
seed.platform.createAccount('demo');
seed.platform.createProject('demo', 'support-bot');
const key = seed.auth.addUser({ id: 'u-admin', account: 'demo', role: 'admin', realtime: true }, 'demo-key');
console.log(`seed 000 (voice-agent platform) listening on ${url}`);
console.log(`  curl -H 'x-api-key: ${key}' ${url}/v1/projects/support-bot/conversations/nope`);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    seed.drain();
    seed.server.close(() => process.exit(0));
  });
