/** `PORT=3002 npx tsx examples/seeds/002/server.ts` — seed 002 on Fastify. */
import { start } from './app.js';

const { url, seed } = await start(Number(process.env.PORT ?? 3002));
const { tenant } = seed.tours.register('owner@example.com', 'correct horse battery', 'Example Co');
const key = seed.tours.createApiKey(tenant);
console.log(`seed 002 (product tours) listening on ${url}`);
console.log(
  `  curl -H 'x-api-key: ${key}' -H 'content-type: application/json' -d '{"events":[{"type":"nope"}]}' ${url}/api/sdk/events`,
);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void seed.app.close().then(() => process.exit(0)));
