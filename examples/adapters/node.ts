import { createServer, type Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { createNodeErrors, createRouter, readJson } from 'faultline/node';
import { type ExampleOptions, echoBody, errors, legacy } from './catalog.js';

/** The conformance routes on plain node:http. */
export function createApp(options: ExampleOptions = {}): Server {
  const router = createRouter()
    .post('/echo', (req) =>
      readJson(req, { limit: '1mb', readTimeout: options.readTimeout, schema: echoBody }),
    )
    .get('/sessions/:id', (_req, _res, { params }) => {
      throw errors.create('SESSION_NOT_FOUND', { sessionId: params.id! });
    })
    .get('/limited', () => {
      throw errors.create('RATE_LIMITED', undefined, { headers: { 'retry-after': '1' } });
    })
    .get('/boom', () => {
      throw new Error('db-password-123');
    })
    .get('/throw-string', () => {
      throw 'db-password-123';
    })
    .get('/foreign', () => {
      throw legacy.create('LEGACY_QUOTA');
    });
  const handle = createNodeErrors({
    catalog: errors,
    correlation: { header: 'x-request-id' },
    onError: options.onError,
  });
  return createServer(handle(router.handle))
    .on('clientError', handle.clientError)
    .on('checkContinue', handle.checkContinue)
    .on('checkExpectation', handle.checkExpectation);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 3001);
  createApp().listen(port, '127.0.0.1', () =>
    console.log(`node example listening on http://127.0.0.1:${port}`),
  );
}
