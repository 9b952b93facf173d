import { Readable } from 'node:stream';
import { idempotency } from 'faultline/guards';
import { createHonoErrors, guard as honoGuard } from 'faultline/hono';
import { memoryStore } from 'faultline/stores';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  catalog,
  closeAll,
  keyedTwice,
  onHono,
  pieces,
  problem,
  type Send,
  send,
} from './koa-hono-outsider.js';

// An outsider against real Hono apps, on @hono/node-server on 127.0.0.1 and off node through app.request:
// every answer is a catalog problem with a correct status, or a cut connection once the answer had begun.
afterAll(closeAll);

/** 1 GB in 64 KiB pieces, made as it is read. */
function* gigabyte(): Generator<Buffer> {
  for (let i = 0; i < 16_384; i++) yield Buffer.alloc(65_536);
}

describe('Hono under an outsider', () => {
  let base = '';
  let honoRuns = 0;
  let endlessCancelled = false;
  let app: Hono;
  beforeAll(async () => {
    const errors = createHonoErrors({ catalog, logger: false }, { body: { limit: 64 } });
    app = new Hono();
    errors.install(app);
    const echo = async (c: { req: { json(): Promise<unknown> }; json(v: unknown): Response }) =>
      c.json(await c.req.json());
    app.post('/limited-json', bodyLimit({ maxSize: 16 }), errors.json(), echo);
    app.post(
      '/limited-guard',
      bodyLimit({ maxSize: 32 }),
      honoGuard(idempotency({ tenant: () => 't', store: memoryStore() })),
      errors.json(),
      echo,
    );
    app.post('/json', errors.json(), echo);
    // A 1 GB download, a stream that fails, and a whole one, each under an idempotency guard.
    const keyed = honoGuard(idempotency({ tenant: () => 't', store: memoryStore() }));
    app.post(
      '/idem-stream',
      keyed,
      () => new Response(Readable.toWeb(Readable.from(gigabyte())) as ReadableStream),
    );
    // An endless stream (SSE's pattern): a tick at a time, cancelled when no one reads it any more.
    app.post(
      '/idem-endless',
      keyed,
      () =>
        new Response(
          new ReadableStream({
            pull: async (controller) => {
              await new Promise((resolve) => setTimeout(resolve, 20));
              controller.enqueue(new TextEncoder().encode('data: tick\n\n'));
            },
            cancel: () => {
              endlessCancelled = true;
            },
          }),
        ),
    );
    app.post('/idem/:kind', keyed, (c) => {
      honoRuns++;
      return new Response(Readable.toWeb(pieces(3, c.req.param('kind') === 'cut')) as ReadableStream);
    });
    base = await onHono(app);
  });

  const chunked = (body: string, key?: string): Send => ({
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'transfer-encoding': 'chunked',
      ...(key ? { 'idempotency-key': key } : {}),
    },
    body,
  });

  it('reads through hono/body-limit before json(): a chunked body within both limits is the app’s, one over is 413', async () => {
    expect(await send(base, '/limited-json', chunked('{"a":1}'))).toMatchObject({
      status: 200,
      body: '{"a":1}',
    });
    expect(
      problem(await send(base, '/limited-json', chunked(JSON.stringify({ a: 'x'.repeat(40) }))), 413).code,
    ).toBe('BODY_TOO_LARGE');
    const guarded = await send(base, '/limited-guard', chunked('{"a":2}', 'k-limit'));
    expect(guarded).toMatchObject({ status: 200, body: '{"a":2}' });
  });

  it('sends a streamed response under an idempotency guard at once, never holding a large stream whole', async () => {
    const first = await send(base, '/idem-stream', {
      method: 'POST',
      headers: { 'idempotency-key': 'k-big' },
      firstByte: true,
    });
    expect(first).toMatchObject({ status: 200 });
  });

  it('under an idempotency guard, stops an endless response stream once its client has left', async () => {
    const init = { method: 'POST', headers: { 'idempotency-key': 'k-endless' }, firstByte: true };
    expect(await send(base, '/idem-endless', init)).toMatchObject({ status: 200 });
    for (let i = 0; i < 80 && !endlessCancelled; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(endlessCancelled).toBe(true);
  });

  it('under an idempotency guard, a response stream that fails is run again, a whole one replayed', async () => {
    expect(await keyedTwice(base, '/idem/cut', 'k-cut')).toEqual(['cut', 'cut']);
    expect(honoRuns).toBe(2);
    const [first, again] = await keyedTwice(base, '/idem/whole', 'k-whole');
    expect(first).toMatchObject({ status: 200, body: 'chunk chunk chunk ' });
    expect(again).toMatchObject({ status: 200, body: 'chunk chunk chunk ' });
    expect(honoRuns).toBe(3);
  });

  it('off node: a body without Content-Length past the limit is 413, one that fails midway is a catalog error', async () => {
    // 'chunk ' pieces: 12 of them pass the 64-byte limit; 3 and a failure are an aborted upload.
    const init = (chunks: number, fail: boolean) =>
      ({
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: Readable.toWeb(pieces(chunks, fail)),
        duplex: 'half',
      }) as RequestInit;
    const big = await app.request('/json', init(12, false));
    expect(big.status).toBe(413);
    expect((await big.json()).code).toBe('BODY_TOO_LARGE');
    // The aborted request node's reader answers, not a server fault.
    const failed = await app.request('/json', init(3, true));
    expect(failed.status).toBe(400);
    expect(failed.headers.get('content-type')).toBe('application/problem+json');
    expect(await failed.json()).toMatchObject({ code: 'BAD_REQUEST', detail: 'The request was aborted.' });
  });

  it('answers 405 with Allow for every app one layer was installed on, a parent and its app.route() sub-app', async () => {
    const errors = createHonoErrors({ catalog, logger: false });
    const parent = new Hono();
    errors.install(parent);
    parent.get('/top', (c) => c.text('top'));
    const sub = new Hono();
    errors.install(sub);
    sub.post('/items', (c) => c.json({}));
    parent.route('/v2', sub);
    for (const [path, allow] of [
      ['/top', 'GET, HEAD, OPTIONS'],
      ['/v2/items', 'POST, OPTIONS'],
    ]) {
      const wrong = await parent.request(path!, { method: 'DELETE' });
      expect(wrong.status, path).toBe(405);
      expect(wrong.headers.get('allow')).toBe(allow);
    }
    expect((await sub.request('/items', { method: 'PUT' })).status).toBe(405);
  });

  it('reads a body twice, an app-wide json() then a route’s stricter one, on node and off it', async () => {
    const errors = createHonoErrors({ catalog, logger: false });
    const twice = new Hono();
    errors.install(twice);
    twice.use(errors.json({ limit: '1kb' }));
    twice.post('/', errors.json({ limit: 16 }), async (c) => c.json(await c.req.json()));
    const onNode = await onHono(twice);
    const big = JSON.stringify({ a: 'x'.repeat(40) });
    const post = (body: string) => ({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(await send(onNode, '/', post('{"a":1}'))).toMatchObject({ status: 200, body: '{"a":1}' });
    expect(problem(await send(onNode, '/', post(big)), 413).code).toBe('BODY_TOO_LARGE');
    const small = await twice.request('/', post('{"a":1}'));
    expect([small.status, await small.text()]).toEqual([200, '{"a":1}']);
    expect((await twice.request('/', post(big))).status).toBe(413);
  });
});
