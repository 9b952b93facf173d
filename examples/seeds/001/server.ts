/** `PORT=3001 npx tsx examples/seeds/001/server.ts` — seed 001 on node:http with its WebSocket at /api/v1/ws. */
import { start } from './app.js';

const { url, seed } = await start(Number(process.env.PORT ?? 3001), {
  ...(process.env.AGENT_URL ? { agentUrl: process.env.AGENT_URL } : {}),
  ...(process.env.HANDOFF_URL ? { handoffUrl: process.env.HANDOFF_URL } : {}),
});
const connector = seed.messaging.addConnector({ host: 'example.com', token: 'ct_demo_connector_token' });
console.log(`seed 001 (messaging) listening on ${url}`);
console.log(
  `  curl -X POST -H 'X-Token: ${connector.token}' -H 'X-Host: app.example.com' ${url}/api/v1/access-token`,
);
console.log(`  then POST ${url}/api/v1/sessions with Authorization: Bearer <access_token>,`);
console.log(`  and connect ws://127.0.0.1:${new URL(url).port}/api/v1/ws?session_id=…&access_token=…`);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(
    signal,
    () => void seed.ws.close({ timeout: 1000 }).then(() => seed.server.close(() => process.exit(0))),
  );
