import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { defineErrors } from 'faultline';
import { idempotency } from 'faultline/guards';
import { createHonoErrors, failStream, guard } from 'faultline/hono';
import { memoryStore } from 'faultline/stores';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { afterAll, expect, it } from 'vitest';
import { close, listen } from '../helpers/http.js';

// A streamed answer that fails after its head went out: Hono ends the stream as if it had completed, with
// its 200 already sent. An idempotency guard kept that cut-short answer and replayed it to the retry, so the
// operation never ran to its end. Marked failed from the stream's `onError`, it is not kept.
const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

it('runs a retry again after a stream marked failed, where it replayed the cut-short answer', async () => {
  let runs = 0;
  const errors = createHonoErrors({ catalog: defineErrors({}), logger: false });
  const app = new Hono();
  errors.install(app);
  app.post('/export', guard(idempotency({ store: memoryStore(), tenant: () => 'shop' })), (c) =>
    streamSSE(
      c,
      async (stream) => {
        runs++;
        await stream.writeSSE({ data: `run ${runs}` });
        if (runs === 1) throw new Error('upstream failed');
        await stream.writeSSE({ data: 'done' });
      },
      async (_error, stream) => {
        failStream(c);
        await stream.writeSSE({ event: 'error', data: 'failed' });
      },
    ),
  );
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  servers.push(server);
  const url = await listen(server);
  const post = async () => {
    const res = await fetch(`${url}/export`, {
      method: 'POST',
      headers: { 'idempotency-key': '"export-1"' },
      signal: AbortSignal.timeout(5_000),
    });
    return { status: res.status, replayed: res.headers.get('idempotent-replayed'), text: await res.text() };
  };
  const first = await post();
  expect(first.text).toContain('event: error');
  // Bounded: the failed capture settles within ticks of the stream's end; the key is freed then (a retry
  // before it is 409). A replay would never stop: it is looked for once the key is free.
  let retry = await post();
  for (let i = 0; i < 20 && retry.status === 409; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    retry = await post();
  }
  expect(retry.replayed).toBeNull();
  expect(retry.text).toContain('data: done');
  expect(runs).toBe(2);
});
