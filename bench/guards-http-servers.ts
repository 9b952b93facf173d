// Servers for bench/guards-http.ts: a rate-limited route (1 per hour per IP, so every measured request
// is a 429) with faultline's guard and with each framework's own rate limiter.
// Usage (bundled by bench/guards-http.ts): node bench/.built/guards-http-servers.mjs <kind> <port>
import rateLimitPlugin from '@fastify/rate-limit';
import express from 'express';
import { rateLimit as expressRateLimit } from 'express-rate-limit';
import Fastify from 'fastify';
import { byIp, rateLimit } from 'faultline/guards';
import { adapters } from '../test/helpers/adapters.js';

const [kind, portText] = process.argv.slice(2);
const port = Number(portText);
const limited = () => rateLimit({ name: 'per-ip', key: byIp, limit: 1, period: '1h' });
const ready = () => console.log('ready');

// faultline's guard on each adapter of the one list (test/helpers/adapters.ts): `<adapter>-faultline`.
const faultline = adapters.find((adapter) => kind === `${adapter.name}-faultline`);

if (faultline) {
  const server = await faultline.build({
    options: { onError: false },
    routes: [
      { method: 'GET', path: '/limited', guards: [limited()], handle: () => ({ body: { ok: true } }) },
    ],
  });
  server.listen(port, '127.0.0.1', ready);
} else if (kind === 'fastify-rate-limit') {
  const app = Fastify();
  await app.register(rateLimitPlugin, { max: 1, timeWindow: '1 hour' });
  app.get('/limited', async () => ({ ok: true }));
  await app.listen({ port, host: '127.0.0.1' });
  ready();
} else if (kind === 'express-rate-limit') {
  const app = express();
  app.use(
    expressRateLimit({ windowMs: 3_600_000, limit: 1, standardHeaders: 'draft-8', legacyHeaders: false }),
  );
  app.get('/limited', (_req, res) => {
    res.json({ ok: true });
  });
  app.listen(port, '127.0.0.1', ready);
} else {
  throw new Error(`unknown server kind ${kind}`);
}
