import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import express from 'express';
import { createExpressErrors } from 'faultline/express';
import { type ExampleOptions, echoBody, errors, legacy } from './catalog.js';

/** The conformance routes on Express 5: its router, faultline's JSON reader, zod in the handler. */
export function createApp(options: ExampleOptions = {}): Server {
  const handlers = createExpressErrors({
    catalog: errors,
    correlation: { header: 'x-request-id' },
    onError: options.onError,
  });
  const app = express();
  app.disable('x-powered-by');
  app.use(handlers.checkPath);
  app.post('/echo', handlers.json({ limit: '1mb', readTimeout: options.readTimeout }), (req, res) => {
    res.json(echoBody.parse(req.body));
  });
  app.get('/sessions/:id', (req) => {
    throw errors.create('SESSION_NOT_FOUND', { sessionId: req.params.id! });
  });
  app.get('/limited', () => {
    throw errors.create('RATE_LIMITED', undefined, { headers: { 'retry-after': '1' } });
  });
  app.get('/boom', async () => {
    throw new Error('db-password-123');
  });
  app.get('/throw-string', () => {
    throw 'db-password-123';
  });
  app.get('/foreign', () => {
    throw legacy.create('LEGACY_QUOTA');
  });
  app.use(handlers.notFound);
  app.use(handlers.handler);
  return createServer(handlers.serve(app))
    .on('clientError', handlers.clientError)
    .on('checkContinue', handlers.checkContinue)
    .on('checkExpectation', handlers.checkExpectation);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 3002);
  createApp().listen(port, '127.0.0.1', () =>
    console.log(`express example listening on http://127.0.0.1:${port}`),
  );
}
