import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FaultlineConfigError } from 'faultline';
import { memoryStore } from 'faultline/stores';
import { describe, expect, it } from 'vitest';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('memoryStore', { timeout: 60_000 }, () => {
  // Cloudflare refuses a timer at a Worker's global scope, where a store is made once for every request.
  it('sets no timer when it is made: its sweep starts with its first decision', () => {
    const setInterval = globalThis.setInterval;
    let timers = 0;
    globalThis.setInterval = ((...args: Parameters<typeof setInterval>) => {
      timers++;
      return setInterval(...args);
    }) as typeof setInterval;
    try {
      const store = memoryStore();
      expect(timers).toBe(0);
      const input = { interval: 30_000, tolerance: 30_000, cost: 1 };
      store.rate('k', input);
      store.rate('k', input);
      expect(timers).toBe(1);
      store.close();
      store.rate('k', input);
      expect(timers).toBe(1);
    } finally {
      globalThis.setInterval = setInterval;
    }
  });

  it('keeps 1 000 000 distinct keys under 64 MB of heap (default 100 000 keys per kind)', () => {
    const store = memoryStore();
    const input = { interval: 60, tolerance: 60_000, cost: 1 };
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1_000_000; i++) store.rate(`caller-${i}`, input);
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(store.size().rate).toBeLessThanOrEqual(100_000);
    expect(grown).toBeLessThan(64 * 1024 * 1024);
    store.close();
  });

  it('never counts a quota below zero: a refund for a key it no longer holds grants no extra unit', () => {
    const now = 1_000_000;
    const store = memoryStore({ now: () => now });
    const bounds = [now - 1000, now + 60_000];
    store.quota('q', { limit: 1, cost: -1, bounds });
    expect(store.quota('q', { limit: 1, cost: 1, bounds })).toMatchObject({ allowed: true, used: 1 });
    expect(store.quota('q', { limit: 1, cost: 1, bounds })).toMatchObject({ allowed: false });
    store.close();
  });

  it('evicts the oldest key past maxKeys and sweeps expired keys without a timer per key', async () => {
    let now = 1_000_000;
    const store = memoryStore({ maxKeys: 4, sweepInterval: 10, now: () => now });
    const input = { interval: 1000, tolerance: 1000, cost: 1 };
    for (const key of ['a', 'b', 'c', 'd']) store.rate(key, input);
    // 'a' is read again, so it survives; 'b' is the oldest untouched key when 'e' arrives.
    expect((store.rate('a', input) as { allowed: boolean }).allowed).toBe(false);
    store.rate('e', input);
    expect(store.size().rate).toBeLessThanOrEqual(4);
    expect((store.rate('b', input) as { allowed: boolean }).allowed).toBe(true);
    expect((store.rate('e', input) as { allowed: boolean }).allowed).toBe(false);
    now += 5000;
    await new Promise((r) => setTimeout(r, 50));
    expect(store.size().rate).toBe(0);
    store.close();
  });

  it('counts the bytes of stored answers down again when they expire, are evicted or released', async () => {
    let now = 1_000_000;
    const store = memoryStore({ maxKeys: 3, sweepInterval: 10, now: () => now });
    const answer = (n: number) => 'é'.repeat(n); // two UTF-8 bytes per character
    store.claim('a', 'fp', 'ta', 1000);
    store.complete('a', 'ta', answer(50), 10_000);
    store.claim('b', 'fp', 'tb', 1000);
    store.complete('b', 'tb', answer(100), 60_000);
    expect(store.size()).toMatchObject({ idempotency: 2, idempotencyBytes: 300 });
    // A second completion by the same request changes nothing; another request's token is ignored.
    store.complete('b', 'tb', answer(1000), 60_000);
    store.complete('a', 'other', answer(1000), 60_000);
    expect(store.size().idempotencyBytes).toBe(300);
    // Past maxKeys the oldest record goes, with its bytes.
    store.claim('c', 'fp', 'tc', 1000);
    store.claim('d', 'fp', 'td', 1000);
    expect(store.size()).toMatchObject({ idempotency: 3, idempotencyBytes: 200 });
    // A pending claim abandoned holds nothing; an expired answer is swept with its bytes.
    store.abandon('d', 'td');
    now += 30_000;
    await new Promise((r) => setTimeout(r, 50));
    expect(store.size()).toMatchObject({ idempotency: 1, idempotencyBytes: 200 });
    now += 60_000;
    await new Promise((r) => setTimeout(r, 50));
    expect(store.size()).toMatchObject({ idempotency: 0, idempotencyBytes: 0 });
    store.close();
  });

  it('refuses bounds that are not positive integers', () => {
    expect(() => memoryStore({ maxRecordBytes: 0 })).toThrow(FaultlineConfigError);
    expect(() => memoryStore({ maxTotalRecordBytes: Number.NaN })).toThrow(FaultlineConfigError);
  });
});

describe('memoryStore idempotency records at the key bound', () => {
  it('drops an answered record before a pending one: a request still running keeps its claim', () => {
    const store = memoryStore({ maxKeys: 3 });
    const lock = 60_000;
    // One tenant's keys, as the idempotency guard scopes them.
    const key = (name: string) => `4:shop:${name}`;
    expect(store.claim(key('running'), 'f', 't0', lock)).toEqual({ state: 'claimed' });
    for (const name of ['a', 'b']) {
      store.claim(key(name), 'f', `t-${name}`, lock);
      store.complete(key(name), `t-${name}`, 'answer', 60_000);
    }
    expect(store.claim(key('new'), 'f', 't-new', lock)).toEqual({ state: 'claimed' });
    // Before: the oldest record went, the pending one, and its retry was claimed and ran a second time.
    expect(store.claim(key('running'), 'f', 't-retry', lock)).toMatchObject({ state: 'pending' });
    expect(store.claim(key('a'), 'f', 't-again', lock)).toEqual({ state: 'claimed' });
    store.close();
  });
});
