import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { defineErrors } from 'faultline';
import { concurrency } from 'faultline/guards';
import { createHonoErrors, guard } from 'faultline/hono';
import { memoryStore } from 'faultline/stores';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { afterAll, describe, expect, it } from 'vitest';
import { close, listen } from '../helpers/http.js';

// Attack: `concurrency` bounds the streams open at once per key (SSE, downloads). On Hono the handler
// returns its streaming Response at once: a lease given back then counted no stream, and a second caller
// opened a second stream under a limit of one.
const catalog = defineErrors({});
const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

/** Resolves when `check` holds, polled every 10 ms for at most 5 s; rejects past that. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function streamingApp() {
  const store = memoryStore();
  const seen = { open: 0 };
  const errors = createHonoErrors({ catalog, logger: false });
  const app = new Hono();
  errors.install(app);
  app.get('/events', guard(concurrency({ store, key: () => 'one', limit: 1, ttl: '1m' })), (c) =>
    streamSSE(c, async (stream) => {
      seen.open++;
      let left = false;
      stream.onAbort(() => {
        left = true;
      });
      // Bounded: 500 ticks of 10 ms at most, then the stream ends by itself.
      for (let i = 0; i < 500 && !left; i++) {
        await stream.writeSSE({ data: String(i) });
        await stream.sleep(10);
      }
      seen.open--;
    }),
  );
  return { app, store, seen };
}

describe('hono: a lease is held while its answer streams', () => {
  it('a second caller is refused while the first stream is open, and admitted once its client left', async () => {
    const { app, store, seen } = streamingApp();
    const server = createAdaptorServer({ fetch: app.fetch }) as Server;
    servers.push(server);
    const url = await listen(server);
    const leaving = new AbortController();
    const first = await fetch(`${url}/events`, { signal: leaving.signal });
    expect(first.status).toBe(200);
    const reader = first.body!.getReader();
    await reader.read();
    // Before: the lease went back when the handler returned its Response, and this was a second stream.
    const second = await fetch(`${url}/events`, { signal: AbortSignal.timeout(5_000) });
    expect(second.status).toBe(429);
    expect((await second.json()).code).toBe('CONCURRENCY_LIMITED');
    leaving.abort();
    await until(() => seen.open === 0, 'the stream to end');
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      const again = await fetch(`${url}/events`, { signal: AbortSignal.timeout(5_000) });
      status = again.status;
      await again.body?.cancel();
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status).toBe(200);
    store.close();
  });

  it('without a node server, a HEAD answer gives the lease back at once: Hono drops its body unread', async () => {
    const { app, store } = streamingApp();
    for (let i = 0; i < 3; i++) expect((await app.request('/events', { method: 'HEAD' })).status).toBe(200);
    const after = await app.request('/events');
    expect(after.status).toBe(200);
    await after.body!.cancel();
    store.close();
  });

  it('without a node server, a body dropped unread holds the lease for one ttl, not for ever', async () => {
    const store = memoryStore();
    const errors = createHonoErrors({ catalog, logger: false });
    const app = new Hono();
    errors.install(app);
    app.get('/item', guard(concurrency({ store, key: () => 'one', limit: 1, ttl: 200 })), (c) =>
      c.json({ item: 1 }),
    );
    // The status read, the body never: a runtime that drops such a Response never pulls or cancels it.
    expect((await app.request('/item')).status).toBe(200);
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const again = await app.request('/item');
      status = again.status;
      if (status === 200) await again.arrayBuffer();
    }
    // Before: the relay was never pulled, the lease renewed for ever, and every later request got 429.
    expect(status).toBe(200);
    store.close();
  });

  it('without a node server (app.request), the lease goes back when the body is read to its end or cancelled', async () => {
    const { app, store } = streamingApp();
    const first = await app.request('/events');
    expect(first.status).toBe(200);
    expect((await app.request('/events')).status).toBe(429);
    await first.body!.cancel();
    const second = await app.request('/events');
    expect(second.status).toBe(200);
    await second.body!.cancel();
    store.close();
  });
});
