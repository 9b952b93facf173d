// Servers for bench/guards-http.ts: a rate-limited route (1 per hour per IP, so every measured request
// is a 429) with faultline's guard and with each framework's own rate limiter.
// Usage: node --import tsx bench/guards-http-servers.ts <kind> <port>
import rateLimitPlugin from '@fastify/rate-limit';
import express from 'express';
import { rateLimit as expressRateLimit } from 'express-rate-limit';
import Fastify from 'fastify';
import { createExpressErrors, guard as expressGuard } from 'faultline/express';
import { createFastifyErrors, guard as fastifyGuard } from 'faultline/fastify';
import { byIp, rateLimit } from 'faultline/guards';

const [kind, portText] = process.argv.slice(2);
const port = Number(portText);
const limited = () => rateLimit({ name: 'per-ip', key: byIp, limit: 1, period: '1h' });
const ready = () => console.log('ready');

if (kind === 'fastify-faultline' || kind === 'fastify-rate-limit') {
  const app = Fastify();
  if (kind === 'fastify-faultline') {
    await app.register(createFastifyErrors({ onError: false }));
    app.addHook('onRequest', fastifyGuard(limited()));
  } else {
    await app.register(rateLimitPlugin, { max: 1, timeWindow: '1 hour' });
  }
  app.get('/limited', async () => ({ ok: true }));
  await app.listen({ port, host: '127.0.0.1' });
  ready();
} else if (kind === 'express-faultline' || kind === 'express-rate-limit') {
  const app = express();
  const errors = createExpressErrors({ onError: false });
  if (kind === 'express-faultline') app.use(expressGuard(limited()));
  else
    app.use(
      expressRateLimit({ windowMs: 3_600_000, limit: 1, standardHeaders: 'draft-8', legacyHeaders: false }),
    );
  app.get('/limited', (_req, res) => {
    res.json({ ok: true });
  });
  app.use(errors.handler);
  app.listen(port, '127.0.0.1', ready);
} else {
  throw new Error(`unknown server kind ${kind}`);
}
