import type { Server } from 'node:http';
import { defineErrors } from 'faultline';
import { idempotency } from 'faultline/guards';
import { type IdempotencyStore, memoryStore } from 'faultline/stores';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapters } from '../helpers/adapters.js';
import { close, listen } from '../helpers/http.js';

// Attack: a route keyed by tenant (one app's guest carts) sets a session cookie on its answer. A second
// browser of that tenant that sends the same key and payload gets the replay: it must not get the first
// browser's session with it, nor may the store keep the cookie.
const catalog = defineErrors({});

const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

describe.each(adapters.map((a) => [a.name, a] as const))('a replay on %s', (_name, adapter) => {
  let base = '';
  let carts = 0;
  beforeAll(async () => {
    const server = await adapter.build({
      options: { catalog, logger: false },
      routes: [
        {
          method: 'POST',
          path: '/carts',
          json: true,
          guards: [idempotency({ store: memoryStore(), tenant: () => 'app-1' })],
          handle: () => ({
            status: 201,
            headers: { 'set-cookie': `cart_session=secret-${++carts}; HttpOnly`, 'x-cart': String(carts) },
            body: { cart: carts },
          }),
        },
      ],
    });
    servers.push(server);
    base = await listen(server);
  });

  const post = () =>
    fetch(`${base}/carts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'cart-key-1' },
      body: '{"item":1}',
      signal: AbortSignal.timeout(5_000),
    });

  it('replays the answer without the first caller’s cookie', async () => {
    const first = await post();
    expect(first.status).toBe(201);
    expect(first.headers.getSetCookie()).toEqual(['cart_session=secret-1; HttpOnly']);
    await first.arrayBuffer();
    const replay = await post();
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.json()).toEqual({ cart: 1 });
    expect(replay.headers.get('x-cart')).toBe('1');
    expect(replay.headers.getSetCookie()).toEqual([]);
    expect(carts).toBe(1);
  });
});

describe('a replay of an answer kept before cookies were dropped', () => {
  it('leaves the cookie out as it replays', async () => {
    const memory = memoryStore();
    // A record as an earlier version kept it: with the Set-Cookie of the first answer.
    const store: IdempotencyStore = {
      kind: 'memory',
      claim: (...args) => memory.claim(...args),
      abandon: (...args) => memory.abandon(...args),
      close: () => memory.close(),
      complete(key, token, response, ttl) {
        const kept = JSON.parse(response) as { h: [string, string][] };
        kept.h.push(['set-cookie', 'cart_session=old-secret']);
        return memory.complete(key, token, JSON.stringify(kept), ttl);
      },
    };
    const server = await adapters[0]!.build({
      options: { catalog, logger: false },
      routes: [
        {
          method: 'POST',
          path: '/carts',
          json: true,
          guards: [idempotency({ store, tenant: () => 'app-1' })],
          handle: () => ({ status: 201, body: { cart: 1 } }),
        },
      ],
    });
    servers.push(server);
    const base = await listen(server);
    const post = () =>
      fetch(`${base}/carts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'old-1' },
        body: '{"item":1}',
        signal: AbortSignal.timeout(5_000),
      });
    await (await post()).arrayBuffer();
    const replay = await post();
    await replay.arrayBuffer();
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.headers.getSetCookie()).toEqual([]);
  });
});
