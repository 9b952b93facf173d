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
