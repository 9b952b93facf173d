import { describe, expect, it } from 'vitest';
import { BoundedMap } from './bounded-map.js';

// Values are their own expiry (epoch ms), as the memory store's rate state is.
const filled = () => {
  const map = new BoundedMap<number>(4, (until) => until);
  map.set('a', 100);
  map.set('b', 100);
  map.set('c', 100); // The current generation was full: a and b are now the previous one.
  return map;
};

describe('BoundedMap.peek', () => {
  it('reads a live value, and nothing for an expired or unknown key', () => {
    const map = filled();
    expect(map.peek('a', 50)).toBe(100);
    expect(map.peek('c', 50)).toBe(100);
    expect(map.peek('a', 100)).toBeUndefined();
    expect(map.peek('nope', 50)).toBeUndefined();
  });

  it('changes nothing: no entry created, dropped or moved back from the previous generation', () => {
    const map = filled();
    map.peek('a', 50);
    map.peek('a', 500);
    map.peek('nope', 50);
    expect(map.size).toBe(3);
    map.set('d', 100);
    map.set('e', 100); // Rotates again: the previous generation, a and b with it, is dropped whole.
    expect(map.peek('a', 50)).toBeUndefined();
    // Where get moves a read key back to the current generation, so that it survives the rotation.
    const read = filled();
    read.get('a', 50);
    read.set('d', 100);
    read.set('e', 100);
    expect(read.peek('a', 50)).toBe(100);
  });
});

describe('BoundedMap under a flood of long keys', () => {
  it("rotates out long keys only: every short caller's state survives, and the long keys stay bounded", () => {
    const map = new BoundedMap<number>(
      1000,
      (until) => until,
      () => 0,
    );
    for (let i = 0; i < 400; i++) map.set(`10.0.${i >> 8}.${i & 255}`, 100);
    // 2 000 keys of 8 000 characters: before, about 800 of them dropped every short key.
    const long = 'x'.repeat(8000);
    for (let i = 0; i < 2000; i++) map.set(`${i}:${long}`, 100);
    for (let i = 0; i < 400; i++) expect(map.peek(`10.0.${i >> 8}.${i & 255}`, 50)).toBe(100);
    // At most the long keys' share of characters: 1 000 × 128 over two generations.
    expect(map.size - 400).toBeLessThanOrEqual(Math.ceil((1000 * 128) / 8000) + 2);
  });
});
