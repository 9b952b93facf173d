import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import { createFastifyErrors } from 'faultline/fastify';
import { type ExampleOptions, echoBody, errors, legacy } from './catalog.js';

/** The conformance routes on Fastify 5: its router, its body limit, zod route schemas through faultline's compiler. */
export async function createApp(options: ExampleOptions = {}): Promise<Server> {
  const faultline = createFastifyErrors(
    { catalog: errors, correlation: { header: 'x-request-id' }, onError: options.onError },
    { body: { readTimeout: options.readTimeout } },
  );
  // The request id is the correlation id faultline answers with: keep a gateway's X-Request-Id (faultline
  // refuses an unsafe one) and make the others unique across instances, not Fastify's per-process req-N.
  // `frameworkErrors` hands what Fastify's router refuses (a malformed path) to faultline.
  const app = Fastify({
    bodyLimit: 1024 * 1024,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    frameworkErrors: faultline.frameworkErrors,
  });
  await app.register(faultline);
  // Route schemas are zod schemas (any Standard Schema): a failure is the catalog's validation error.
  app.setValidatorCompiler(faultline.validatorCompiler);
  await app.register(async (routes) => {
    routes.post('/echo', { schema: { body: echoBody } }, async (request) => request.body);
    routes.get<{ Params: { id: string } }>('/sessions/:id', async (request) => {
      throw errors.create('SESSION_NOT_FOUND', { sessionId: request.params.id });
    });
    routes.get('/limited', async () => {
      throw errors.create('RATE_LIMITED', undefined, { headers: { 'retry-after': '1' } });
    });
    routes.get('/boom', async () => {
      throw new Error('db-password-123');
    });
    routes.get('/throw-string', async () => {
      throw 'db-password-123';
    });
    routes.get('/foreign', async () => {
      throw legacy.create('LEGACY_QUOTA');
    });
  });
  await app.ready();
  return app.server;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 3003);
  const server = await createApp();
  server.listen(port, '127.0.0.1', () =>
    console.log(`fastify example listening on http://127.0.0.1:${port}`),
  );
}
