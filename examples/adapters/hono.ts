import type { Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { createAdaptorServer } from '@hono/node-server';
import { sValidator } from '@hono/standard-validator';
import { createHonoErrors } from 'faultline/hono';
import { Hono } from 'hono';
import { type ExampleOptions, echoBody, errors, legacy } from './catalog.js';

/** The conformance routes on Hono 4: its router, faultline's JSON reader, `sValidator` with zod. */
export function createHonoApp(options: ExampleOptions = {}): Hono {
  return build(options).app;
}

function build(options: ExampleOptions) {
  const handlers = createHonoErrors({
    catalog: errors,
    correlation: { header: 'x-request-id' },
    onError: options.onError,
  });
  const app = new Hono();
  handlers.install(app);
  app.post(
    '/echo',
    handlers.json({ limit: '1mb', readTimeout: options.readTimeout }),
    sValidator('json', echoBody, handlers.validationHook),
    (c) => c.json(c.req.valid('json')),
  );
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
  app.get('/foreign', () => {
    throw legacy.create('LEGACY_QUOTA');
  });
  return { app, handlers };
}

/** The Hono app on `@hono/node-server`; requests node's parser refuses get the catalog's 400 too. */
export function createApp(options: ExampleOptions = {}): Server {
  const { app, handlers } = build(options);
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  return server
    .on('clientError', handlers.clientError)
    .on('checkContinue', handlers.checkContinue)
    .on('checkExpectation', handlers.checkExpectation);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 3004);
  createApp().listen(port, '127.0.0.1', () =>
    console.log(`hono example listening on http://127.0.0.1:${port}`),
  );
}
