import { ioredisSend, memoryStore, redisStore } from 'faultline/stores';
import { Redis } from 'ioredis';
import { createDemo } from './app.js';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
// REDIS_URL=redis://… moves the guards' state to Redis, shared by every instance of the demo.
const redis = process.env.REDIS_URL ? new Redis(process.env.REDIS_URL) : undefined;
const store = redis ? redisStore({ send: ioredisSend(redis), prefix: 'demo:' }) : memoryStore();
const { server, state, nodeErrors } = createDemo({ store });
// A request node's parser refuses (a bad request line, a bare CR or a control character in a header, a
// body that cannot be framed) gets the catalog's 400 in the demo's format, from the demo's own handler.
server.on('clientError', nodeErrors.clientError);
// One call session to try the WebSocket with (any session created with POST /v1/sessions works too).
const session = state.createSession('demo-app', '+15550100', '+15550199');
server.listen(port, host, () => {
  console.log(`faultline demo API listening on http://${host}:${port}`);
  console.log(
    `  guards:   ${redis ? 'Redis' : 'memory'} store (rate limits, daily quota, media cooldown, idempotent POSTs)`,
  );
  console.log(`  catalog:  GET http://${host}:${port}/errors`);
  console.log(
    `  socket:   ws://${host}:${port}/v1/ws?session_id=${session.id}&app_id=demo-app&api_key=demo-key`,
  );
  console.log(
    `  try:      curl -H 'x-app-id: demo-app' -H 'x-api-key: demo-key' http://${host}:${port}/v1/sessions/nope`,
  );
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () =>
    server.close(() => {
      redis?.disconnect();
      process.exit(0);
    }),
  );
}
