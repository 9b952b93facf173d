import { type GuardContext, rateLimit } from 'faultline/guards';
import { createErrorHandler } from 'faultline/server';
import { redisStore } from 'faultline/stores';
import { describe, expect, it } from 'vitest';

// A server (or a proxy in front of it) that answers something else than the script's reply: every
// decision rejects with a store failure, never a decision made of garbage, never a crash.
const malformed: Record<string, unknown[]> = {
  rate: [
    null,
    'OK',
    [],
    [1],
    [1, 2, 3, 4],
    ['yes', 2, 0, 0, 1],
    [2, 0, 0, 0, 1],
    [1, -1, 0, 0, 1],
    [1, 0.5, 0, 0, 1],
    [1, 0, 'NaN', 0, 1],
  ],
  quota: [null, [1, 2], [7, 1, 0, 1], [1, -3, 0, 1], [1, 'x', 0, 1]],
  acquire: [null, [1, 1, 0], [3, 1, 0, 1], [1, -1, 0, 1], [1, 1, 'soon', 1]],
  claim: [null, ['claimed'], ['pending', 1], ['pending', -5, 1], ['done', 1, 2, 3], ['other', 1]],
  renew: [null, 'OK', 2, -1, []],
  release: [null, 'OK', 2, []],
  complete: [null, 'OK', 2, []],
  abandon: [null, 'OK', 2, []],
};

function storeAnswering(reply: unknown) {
  return redisStore({ send: async () => reply });
}

const calls: Record<string, (store: ReturnType<typeof storeAnswering>) => unknown> = {
  rate: (s) => s.rate('k', { interval: 10, tolerance: 10, cost: 1 }),
  quota: (s) => s.quota('k', { limit: 1, cost: 1, bounds: [0, Date.now() + 60_000] }),
  acquire: (s) => s.acquire('k', 'l', 1, 1000),
  claim: (s) => s.claim('k', 'f', 't', 1000),
  renew: (s) => s.renew('k', 'l', 1000),
  release: (s) => s.release('k', 'l'),
  complete: (s) => s.complete('k', 't', 'r', 1000),
  abandon: (s) => s.abandon('k', 't'),
};

describe('redisStore replies', () => {
  for (const [method, replies] of Object.entries(malformed)) {
    it.each(replies.map((reply) => [JSON.stringify(reply), reply]))(
      `${method}: a malformed reply %s rejects as a store failure`,
      async (_, reply) => {
        await expect(Promise.resolve().then(() => calls[method]!(storeAnswering(reply)))).rejects.toThrow(
          /redisStore/,
        );
      },
    );
  }

  it('a malformed reply reaches the guard as an outage: its failure policy answers 503', async () => {
    const guard = rateLimit({
      key: () => 'k',
      limit: 5,
      period: '1m',
      store: storeAnswering([1, -1, 0, 0, 1]),
    });
    const context: GuardContext = {
      request: { method: 'GET', url: '/' },
      headers: new Map(),
      onFinish() {},
      body: () => undefined,
      capture() {},
    };
    const error = await Promise.resolve(guard.check(context)).then(
      () => undefined,
      (e: unknown) => e,
    );
    // The guard raises the store-failure role; the handler answers it as the catalog's 503.
    expect(error).toMatchObject({ role: 'storeUnavailable' });
    expect(createErrorHandler({ logger: false }).normalize(error).status).toBe(503);
  });
});
