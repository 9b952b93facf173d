import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { memoryStore } from 'faultline/stores';
import { describe, expect, it } from 'vitest';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('memoryStore', { timeout: 60_000 }, () => {
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
});
