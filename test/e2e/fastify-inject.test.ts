/**
 * An idempotent route under Fastify's `inject()`, as a user's tests run it: light-my-request's response
 * writes the chunk of `end(chunk)` through its own `write`, and the kept answer once held that body twice.
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { createFastifyErrors, guard } from 'faultline/fastify';
import { idempotency } from 'faultline/guards';
import { memoryStore } from 'faultline/stores';
import { expect, it } from 'vitest';

it('replays a hijacked answer written with end(chunk) under inject() byte for byte', async () => {
  const app = Fastify();
  await app.register(createFastifyErrors({ logger: false }));
  let runs = 0;
  app.post(
    '/orders',
    { preHandler: guard(idempotency({ store: memoryStore(), tenant: () => 'tenant' })) },
    (_request, reply) => {
      // Written to the response itself: the plugin's onSend hook never sees it, the socket's copy is kept.
      reply.hijack();
      reply.raw.writeHead(201, { 'content-type': 'application/json' });
      reply.raw.end(JSON.stringify({ run: ++runs }));
    },
  );
  const key = randomUUID();
  const send = () =>
    app.inject({
      method: 'POST',
      url: '/orders',
      headers: { 'idempotency-key': `"${key}"`, 'content-type': 'application/json' },
      payload: '{"to":"alice"}',
    });
  const first = await send();
  const again = await send();
  expect(first.statusCode).toBe(201);
  expect(again.statusCode).toBe(201);
  expect(again.headers['idempotent-replayed']).toBe('true');
  expect(again.body).toBe(first.body);
  expect(runs).toBe(1);
  await app.close();
});
