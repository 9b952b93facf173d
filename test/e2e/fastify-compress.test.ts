/**
 * An idempotent Fastify route behind `@fastify/compress`: the replay is the answer as the route made it, and
 * the compression plugin codes it again for the retry's own `Accept-Encoding`, as `compression()` and
 * koa-compress do on Express and Koa, whichever of the two plugins is registered first. Where the answer is
 * coded before any hook of faultline's sees it (a stream, a route registered before the plugin), the replay is
 * the coded answer under its own head.
 */
import { randomUUID } from 'node:crypto';
import { type IncomingHttpHeaders, request } from 'node:http';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import compress from '@fastify/compress';
import Fastify, { type FastifyInstance, type onSendHookHandler } from 'fastify';
import { createFastifyErrors, guard } from 'faultline/fastify';
import { idempotency } from 'faultline/guards';
import { memoryStore } from 'faultline/stores';
import { afterEach, describe, expect, it } from 'vitest';

// Over @fastify/compress's 1 KiB threshold, so that a `gzip` request gets a coded answer.
const items = Array.from({ length: 100 }, (_, i) => ({ i, name: `item ${i}` }));

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

type Layout =
  | 'compress first'
  | 'faultline first'
  | 'compress in a scope made before faultline'
  | 'no faultline plugin'
  | 'a gzip onSend hook of its own before faultline';

/** Codes a JSON answer for a request that accepts gzip, as a shared `onSend` hook added before faultline. */
const gzipHook: onSendHookHandler = (request, reply, payload, done) => {
  const accepted = String(request.headers['accept-encoding'] ?? '').includes('gzip');
  if (!accepted || reply.hasHeader('content-encoding') || typeof payload !== 'string')
    return done(null, payload);
  reply.header('content-encoding', 'gzip').header('vary', 'accept-encoding');
  done(null, gzipSync(payload));
};

/**
 * An idempotent POST /orders answering 201 and a JSON body over 1 KiB (as a stream if asked), its plugins
 * laid out as `layout` says; `runs` counts its runs.
 */
async function serve(layout: Layout, stream = false) {
  const app = Fastify();
  apps.push(app);
  const runs = { count: 0 };
  const once = idempotency({ store: memoryStore(), tenant: () => 'tenant' });
  const routes = async (scope: FastifyInstance) => {
    scope.post('/orders', { preHandler: guard(once) }, async (_request, reply) => {
      const body = JSON.stringify({ run: ++runs.count, items });
      reply.code(201).type('application/json');
      return stream ? Readable.from([body]) : body;
    });
  };
  const faultline = createFastifyErrors({ logger: false });
  switch (layout) {
    case 'compress first':
      await app.register(compress);
      await app.register(faultline);
      await routes(app);
      break;
    case 'faultline first':
      await app.register(faultline);
      await app.register(compress);
      await routes(app);
      break;
    case 'compress in a scope made before faultline':
      await app.register(async (scope) => {
        await scope.register(compress);
        await routes(scope);
      });
      await app.register(faultline);
      break;
    case 'no faultline plugin':
      await app.register(compress);
      await routes(app);
      break;
    case 'a gzip onSend hook of its own before faultline':
      app.addHook('onSend', gzipHook);
      await app.register(faultline);
      await routes(app);
      break;
  }
  return { base: await app.listen({ port: 0, host: '127.0.0.1' }), runs };
}

interface Answer {
  status: number | undefined;
  headers: IncomingHttpHeaders;
  bytes: Buffer;
}

/** POSTs of one body under one fresh key, each with the `Accept-Encoding` given (none for `undefined`). */
function keyedPost(base: string) {
  const key = randomUUID();
  return (encoding: string | undefined) =>
    new Promise<Answer>((resolve, reject) => {
      const headers = {
        'content-type': 'application/json',
        'idempotency-key': key,
        ...(encoding === undefined ? {} : { 'accept-encoding': encoding }),
      };
      const sent = request(`${base}/orders`, { method: 'POST', headers, timeout: 5_000 }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({ status: response.statusCode, headers: response.headers, bytes: Buffer.concat(chunks) }),
        );
      });
      sent.on('timeout', () => sent.destroy(new Error('no answer within 5 s')));
      sent.on('error', reject);
      sent.end('{"a":1}');
    });
}

/** The body as its own `Content-Encoding` says to read it. */
function decoded({ headers, bytes }: Answer): unknown {
  const coding = headers['content-encoding'];
  expect([undefined, 'gzip']).toContain(coding);
  return JSON.parse((coding === 'gzip' ? gunzipSync(bytes) : bytes).toString('utf8'));
}

describe.each<Layout>(['compress first', 'faultline first'])(
  'guard(idempotency) with @fastify/compress registered %s',
  (layout) => {
    it.each([
      ['gzip', [undefined, 'identity', 'gzip']],
      [undefined, ['gzip', 'identity', undefined]],
    ])(
      'replays the first answer (Accept-Encoding: %s) uncoded, coded again for each retry’s own %j',
      async (firstEncoding, retries) => {
        const { base, runs } = await serve(layout);
        const post = keyedPost(base);
        const first = await post(firstEncoding);
        expect(first.status).toBe(201);
        expect(first.headers['content-encoding']).toBe(firstEncoding);
        const expected = decoded(first);
        for (const encoding of retries) {
          const replay = await post(encoding);
          expect(replay.status).toBe(201);
          expect(replay.headers['idempotent-replayed']).toBe('true');
          expect(replay.headers['content-encoding']).toBe(encoding === 'gzip' ? 'gzip' : undefined);
          expect(replay.headers['content-type']).toBe(first.headers['content-type']);
          expect(decoded(replay)).toEqual(expected);
        }
        expect(runs.count).toBe(1);
      },
    );
  },
);

// Where no hook sees the answer before it is coded, the bytes kept are the coded ones, under their own head.
describe('guard(idempotency) where the answer is kept as coded', () => {
  it.each<[string, Layout, boolean]>([
    ['a streamed answer', 'faultline first', true],
    ['an answer with no faultline plugin', 'no faultline plugin', false],
    [
      'an answer an onSend hook before faultline coded',
      'a gzip onSend hook of its own before faultline',
      false,
    ],
    // The plugin gives its hook to the routes registered after it: register it first.
    ['a route registered before the faultline plugin', 'compress in a scope made before faultline', false],
  ])(
    'replays %s under its own Content-Encoding: never coded bytes as identity',
    async (_case, layout, stream) => {
      const { base, runs } = await serve(layout, stream);
      const post = keyedPost(base);
      const first = await post('gzip');
      expect(first.headers['content-encoding']).toBe('gzip');
      const expected = decoded(first);
      for (const encoding of [undefined, 'identity', 'gzip']) {
        const replay = await post(encoding);
        expect(replay.status).toBe(201);
        expect(replay.headers['idempotent-replayed']).toBe('true');
        expect(decoded(replay)).toEqual(expected);
      }
      expect(runs.count).toBe(1);
    },
  );
});
