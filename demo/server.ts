import { createDemo } from './app.js';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const { server } = createDemo();
server.listen(port, host, () => {
  console.log(`faultline demo API listening on http://${host}:${port}`);
  console.log(`  catalog:  GET http://${host}:${port}/errors`);
  console.log(`  socket:   ws://${host}:${port}/v1/ws?session_id=demo&access_token=demo-token`);
  console.log(
    `  try:      curl -H 'x-app-id: demo-app' -H 'x-api-key: demo-key' http://${host}:${port}/v1/sessions/nope`,
  );
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => server.close(() => process.exit(0)));
}
