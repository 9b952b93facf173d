import type { Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { createAdaptorServer } from '@hono/node-server';
import { sValidator } from '@hono/standard-validator';
import { createHonoErrors, methodNotAllowed, requireJson, validationHook } from 'faultline/hono';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { echoBody, errors } from './catalog.js';

/** The conformance routes on Hono 4: its router, its body-limit middleware, `sValidator` with zod. */
export function createHonoApp(): Hono {
  const handlers = createHonoErrors({ catalog: errors, correlation: { header: 'x-request-id' } });
  const app = new Hono();
  app.use(handlers.middleware);
  app.post(
    '/echo',
    requireJson(),
    bodyLimit({ maxSize: 1024 * 1024 }),
    sValidator('json', echoBody, validationHook),
    (c) => c.json(c.req.valid('json')),
  );
  app.on(['GET', 'PUT', 'PATCH', 'DELETE'], '/echo', methodNotAllowed(['POST']));
  app.get('/sessions/:id', (c) => {
    throw errors.create('SESSION_NOT_FOUND', { sessionId: c.req.param('id') });
  });
  app.get('/limited', () => {
    throw errors.create('RATE_LIMITED', undefined, { headers: { 'retry-after': '1' } });
  });
  app.get('/boom', () => {
    throw new Error('db-password-123');
  });
  app.get('/throw-string', () => {
    throw 'db-password-123';
  });
  app.onError(handlers.onError);
  app.notFound(handlers.notFound);
  return app;
}

/** The Hono app on `@hono/node-server`. */
export function createApp(): Server {
  return createAdaptorServer({ fetch: createHonoApp().fetch }) as Server;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 3004);
  createApp().listen(port, '127.0.0.1', () =>
    console.log(`hono example listening on http://127.0.0.1:${port}`),
  );
}
