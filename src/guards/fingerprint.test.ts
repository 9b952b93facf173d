import { describe, expect, it } from 'vitest';
import { fingerprintOf } from './fingerprint.js';

// Fingerprints are kept in stores (Redis records outlive a deploy): these pin the values the node:crypto
// implementation gave, so that the Web Crypto one keeps every stored key replayable.
const pinned: [string, string, unknown, string][] = [
  ['POST', '/orders', undefined, 'dN9jYit6yTdds6FxU2OJk1Vp_9CnB6xHVNXh4gFwK8I'],
  ['POST', '/orders', null, 'dN9jYit6yTdds6FxU2OJk1Vp_9CnB6xHVNXh4gFwK8I'],
  ['POST', '/orders', { b: [1, { d: 'é', c: null }], a: 'x' }, 'rLDr_R7joiHoUMvwLo7cGDOrZ9V7XdKcsvMqX-YyL6s'],
  ['POST', '/orders', '{ "a": "x",  "b": [1] }', 'D5CHfsgoqSHoQ0J5fxm2fsIs6YK36d_aTjRtfCOB85c'],
  ['PATCH', '/o/1', 'plain text ✓', 'vGXcMfwydhhprOsKD5T1kSpWxY-QzKQwseAN4EK1Kbk'],
  [
    'POST',
    '/bytes',
    new TextEncoder().encode('{"z":1,"a":2}'),
    'LbhU9HBJnQdiAHPB_KMjXujwiic0qEWV4AiVg9OUS08',
  ],
  ['POST', '/bytes', new Uint8Array([0xff, 0x00, 0x61]), 'xaG6pOKQGpJkSVE3EIWZNhyPXYGXWjduacWEzEpcV2s'],
];

describe('fingerprintOf', () => {
  it.each(pinned)('%s %s gives the fingerprint stores already hold', async (method, path, body, expected) => {
    expect(await fingerprintOf(method, path, body)).toBe(expected);
  });

  it('is the same for the same JSON whatever its key order, spacing or form (text, bytes, parsed)', async () => {
    const forms = [
      { a: 1, b: [true, 'x'] },
      '{"b":[true,"x"],"a":1}',
      ' { "a" : 1 , "b" : [ true , "x" ] } ',
      new TextEncoder().encode('{"b": [true, "x"], "a": 1}'),
    ];
    const prints = new Set(await Promise.all(forms.map((body) => fingerprintOf('POST', '/p', body))));
    expect(prints.size).toBe(1);
  });

  it('differs by method, path and body', async () => {
    const prints = await Promise.all([
      fingerprintOf('POST', '/p', { a: 1 }),
      fingerprintOf('PATCH', '/p', { a: 1 }),
      fingerprintOf('POST', '/q', { a: 1 }),
      fingerprintOf('POST', '/p', { a: 2 }),
    ]);
    expect(new Set(prints).size).toBe(4);
  });

  it('refuses a body nested past 64 levels with a RangeError, never a stack overflow', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    await expect(async () => fingerprintOf('POST', '/p', deep)).rejects.toThrow(RangeError);
  });
});
