import { ApiError, FaultlineConfigError } from 'faultline';
import { concurrency, cooldown, type GuardContext, idempotency, quota, rateLimit } from 'faultline/guards';
import { createErrorHandler } from 'faultline/server';
import { memoryStore, type RateDecision, type RateInput, type RateStore, redisStore } from 'faultline/stores';
import { describe, expect, it } from 'vitest';
import { runGuards } from './run.js';

function contextOf(): GuardContext {
  return {
    request: { method: 'GET', url: '/' },
    headers: new Map(),
    onFinish() {},
    body: () => undefined,
    capture() {},
  };
}

/** A store of rate decisions alone, as a third-party one on another database would be. */
function rateOnlyStore(): RateStore & { calls: number } {
  const tats = new Map<string, number>();
  return {
    kind: 'rate-only',
    calls: 0,
    rate(key: string, { interval, tolerance, cost }: RateInput): RateDecision {
      this.calls++;
      const now = Date.now();
      const tat = Math.max(tats.get(key) ?? now, now);
      const next = tat + interval * cost;
      if (next - now > tolerance)
        return { allowed: false, remaining: 0, retryAfterMs: Math.ceil(next - now - tolerance), reset: 0 };
      tats.set(key, next);
      return { allowed: true, remaining: 0, retryAfterMs: 0, reset: Math.ceil(next - now) };
    },
    close() {},
  };
}

describe('a guard asks its store for one capability', () => {
  it('rateLimit runs on a store that has rate decisions alone', () => {
    const store = rateOnlyStore();
    const guard = rateLimit({ key: () => 'k', limit: 1, period: '1h', store });
    expect(runGuards([guard], contextOf())).toBeUndefined();
    // The denial is returned, not thrown.
    const denied = runGuards([guard], contextOf());
    expect(denied).toBeDefined();
    const answered = createErrorHandler({ logger: false }).normalize(denied);
    expect(denied instanceof ApiError).toBe(false);
    expect(answered.status).toBe(429);
    expect(store.calls).toBe(2);
  });

  it('a store lacking the method a guard needs is refused when the guard is created, naming both', () => {
    const store = rateOnlyStore();
    const cases: [string, () => unknown, string][] = [
      // @ts-expect-error a RateStore is not a QuotaStore
      ['quota', () => quota({ key: () => 'k', limit: 1, per: 'day', store }), 'quota()'],
      [
        'concurrency',
        // @ts-expect-error a RateStore is not a LeaseStore
        () => concurrency({ key: () => 'k', limit: 1, store }),
        'acquire(), renew(), release()',
      ],
      // @ts-expect-error a RateStore is not an IdempotencyStore
      ['idempotency', () => idempotency({ tenant: () => 't', store }), 'claim(), complete(), abandon()'],
    ];
    for (const [guard, create, missing] of cases) {
      let thrown: unknown;
      try {
        create();
      } catch (error) {
        thrown = error;
      }
      expect(thrown, guard).toBeInstanceOf(FaultlineConfigError);
      expect((thrown as Error).message).toContain(`${guard}({ store })`);
      expect((thrown as Error).message).toContain(missing);
    }
    const quotaOnly = { kind: 'quota-only', quota: () => ({ allowed: true, used: 1, reset: 1 }), close() {} };
    // @ts-expect-error a QuotaStore is not a RateStore
    expect(() => rateLimit({ key: () => 'k', limit: 1, period: '1m', store: quotaOnly })).toThrow(
      /lacks rate\(\)/,
    );
    // @ts-expect-error a QuotaStore is not a RateStore
    expect(() => cooldown({ key: () => 'k', group: 'g', interval: '1s', store: quotaOnly })).toThrow(
      /cooldown/,
    );
  });

  it('memoryStore and redisStore fit every guard', () => {
    const stores = [memoryStore(), redisStore({ send: async () => null })];
    for (const store of stores) {
      rateLimit({ key: () => 'k', limit: 1, period: '1m', store });
      cooldown({ key: () => 'k', group: 'g', interval: '1s', store });
      quota({ key: () => 'k', limit: 1, per: 'day', store });
      concurrency({ key: () => 'k', limit: 1, store });
      idempotency({ tenant: () => 't', store });
      store.close();
    }
  });

  it('a wrapper spreading the memory store keeps its own rate: the synchronous shortcut is not copied', () => {
    const memory = memoryStore();
    let calls = 0;
    const wrapped: RateStore = {
      ...memory,
      kind: 'counted',
      rate(key, input, deadline) {
        calls++;
        return memory.rate(key, input, deadline);
      },
    };
    expect('rateIn' in wrapped || 'synchronous' in wrapped).toBe(false);
    runGuards([rateLimit({ key: () => 'k', limit: 5, period: '1m', store: wrapped })], contextOf());
    expect(calls).toBe(1);
    memory.close();
  });
});
