/** `PORT=3001 npx tsx examples/seeds/001/server.ts` — seed 001 on node:http with its WebSocket at /api/v1/ws. */
import { randomBytes } from 'node:crypto';
import { start } from './app.js';

// SESSION_IDLE_MS: how long a session lives without activity (the page's ~10 minutes by default).
const idle = Number(process.env.SESSION_IDLE_MS);
const { url, seed } = await start(Number(process.env.PORT ?? 3001), {
  ...(Number.isSafeInteger(idle) && idle > 0 ? { sessionIdleMs: idle } : {}),
  ...(process.env.AGENT_URL ? { agentUrl: process.env.AGENT_URL } : {}),
  ...(process.env.HANDOFF_URL ? { handoffUrl: process.env.HANDOFF_URL } : {}),
});
// The demo connector's token is DEMO_CONNECTOR_TOKEN, or one made at start: a token written in the
// repository would open every copy of it.
const connector = seed.messaging.addConnector({
  host: 'example.com',
  token: process.env.DEMO_CONNECTOR_TOKEN || `ct_${randomBytes(16).toString('hex')}`,
});
// One write, so that whoever waits for the URL also has the token.
console.log(
  [
    `seed 001 (messaging) listening on ${url}`,
    `  curl -X POST -H 'X-Token: ${connector.token}' -H 'X-Host: app.example.com' ${url}/api/v1/access-token`,
    `  then POST ${url}/api/v1/sessions with Authorization: Bearer <access_token>,`,
    `  and connect ws://127.0.0.1:${new URL(url).port}/api/v1/ws?session_id=…&access_token=…`,
  ].join('\n'),
);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(
    signal,
    () => void seed.ws.close({ timeout: 1000 }).then(() => seed.server.close(() => process.exit(0))),
  );
