import { memoryStore, redisSend, redisStore } from 'faultline/stores';
import { Redis } from 'ioredis';
import { createDemo } from './app.js';
import { demoKeyFrom } from './keys.js';

// DEMO_API_KEY=… (16 characters or more) is the key of the app demo-app; unset, a random key is made and
// printed below. The demo takes no key written in the repository, and refuses to start on a short one.
let demo: { key: string; made: boolean };
try {
  demo = demoKeyFrom(process.env);
} catch (error) {
  console.error(`faultline demo: ${(error as Error).message}; unset it to get a random key printed at start`);
  process.exit(1);
}

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
// REDIS_URL=redis://… moves the guards' state to Redis, shared by every instance of the demo.
const redis = process.env.REDIS_URL ? new Redis(process.env.REDIS_URL) : undefined;
redis?.on('error', () => {
  // Connection errors surface as failed commands, answered per request; the client reconnects by itself.
});
const store = redis ? redisStore({ send: redisSend(redis), prefix: 'demo:' }) : memoryStore();
const { server, state, nodeErrors } = createDemo({ store, apps: { 'demo-app': demo.key } });
// A request node's parser refuses (a bad request line, a bare CR or a control character in a header, a
// body that cannot be framed) gets the catalog's 400 in the demo's format, from the demo's own handler.
server.on('clientError', nodeErrors.clientError);
// Expect: 100-continue is answered when a route reads the body: a body refused first is never uploaded.
server.on('checkContinue', nodeErrors.checkContinue);
server.on('checkExpectation', nodeErrors.checkExpectation);
// One call session to try the WebSocket with (any session created with POST /v1/sessions works too).
const session = state.createSession('demo-app', '+15550100', '+15550199');
// A key made here is printed, once, to try the demo with; a key from the environment stays out of the log
// (the lines name the variable, which a shell expands inside double quotes).
const shown = demo.made ? demo.key : '$DEMO_API_KEY';
const keyHeader = demo.made ? `'x-api-key: ${shown}'` : `"x-api-key: ${shown}"`;
server.listen(port, host, () => {
  console.log(`faultline demo API listening on http://${host}:${port}`);
  console.log(
    `  guards:   ${redis ? 'Redis' : 'memory'} store (rate limits, daily quota, media cooldown, idempotent POSTs)`,
  );
  console.log(`  catalog:  GET http://${host}:${port}/errors`);
  console.log(
    `  socket:   ws://${host}:${port}/v1/ws?session_id=${session.id}&app_id=demo-app&api_key=${shown}`,
  );
  console.log(
    `  try:      curl -H 'x-app-id: demo-app' -H ${keyHeader} http://${host}:${port}/v1/sessions/nope`,
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
