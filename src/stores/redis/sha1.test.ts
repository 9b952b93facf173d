import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { luaSources } from './scripts.js';
import { sha1Hex } from './sha1.js';

const node = (text: string) => createHash('sha1').update(text).digest('hex');

describe('sha1Hex', () => {
  it('names every Lua script as Redis does (the SHA-1 node:crypto gives)', () => {
    for (const [name, source] of Object.entries(luaSources)) expect(sha1Hex(source), name).toBe(node(source));
  });

  it('gives the FIPS 180 test vectors and node:crypto’s digest at every padding boundary', () => {
    expect(sha1Hex('')).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
    expect(sha1Hex('abc')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    for (let length = 0; length <= 200; length++) {
      const text = 'é✓a'.repeat(length).slice(0, length);
      expect(sha1Hex(text), `length ${length}`).toBe(node(text));
    }
  });
});
