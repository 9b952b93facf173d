import { describe, expect, it } from 'vitest';
import { fingerprintOf } from './fingerprint.js';

// Fingerprints are kept in stores (Redis records outlive a deploy): these pin the values the node:crypto
// implementation gave, so that the Web Crypto one keeps every stored key replayable.
const pinned: [string, string, unknown, string][] = [
  ['POST', '/orders', undefined, 'dN9jYit6yTdds6FxU2OJk1Vp_9CnB6xHVNXh4gFwK8I'],
  ['POST', '/orders', null, 'dN9jYit6yTdds6FxU2OJk1Vp_9CnB6xHVNXh4gFwK8I'],
  ['POST', '/orders', { b: [1, { d: 'é', c: null }], a: 'x' }, 'rLDr_R7joiHoUMvwLo7cGDOrZ9V7XdKcsvMqX-YyL6s'],
  ['PATCH', '/o/1', 'plain text ✓', 'vGXcMfwydhhprOsKD5T1kSpWxY-QzKQwseAN4EK1Kbk'],
];

describe('fingerprintOf', () => {
  it.each(pinned)('%s %s gives the fingerprint stores already hold', async (method, path, body, expected) => {
    expect(await fingerprintOf(method, path, body)).toBe(expected);
  });

  it('is the same for a parsed body whatever its key order', async () => {
    const forms = [
      { a: 1, b: [true, 'x'] },
      { b: [true, 'x'], a: 1 },
    ];
    const prints = new Set(await Promise.all(forms.map((body) => fingerprintOf('POST', '/p', body))));
    expect(prints.size).toBe(1);
  });

  it('hashes text and bytes as they came, JSON-looking or not: [1.0] and [1] are two payloads', async () => {
    const forms = ['[1.0]', '[1]', new TextEncoder().encode('[1.0]'), new TextEncoder().encode('[1]')];
    const prints = await Promise.all(forms.map((body) => fingerprintOf('POST', '/p', body)));
    expect(prints[0]).not.toBe(prints[1]);
    expect(prints[2]).toBe(prints[0]);
    expect(prints[3]).toBe(prints[1]);
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

  it('hashes bytes that are not UTF-8 as bytes: ff 01 and fe 01 differ', async () => {
    const [ff, fe] = await Promise.all([
      fingerprintOf('POST', '/p', new Uint8Array([0xff, 1])),
      fingerprintOf('POST', '/p', new Uint8Array([0xfe, 1])),
    ]);
    expect(ff).not.toBe(fe);
  });

  it('hashes UTF-8 bytes that are not JSON as their text', async () => {
    const text = 'plain text ✓';
    expect(await fingerprintOf('PATCH', '/o/1', new TextEncoder().encode(text))).toBe(
      await fingerprintOf('PATCH', '/o/1', text),
    );
  });

  it('differs by query', async () => {
    const prints = await Promise.all([
      fingerprintOf('POST', '/p?amount=100', { a: 1 }),
      fingerprintOf('POST', '/p?amount=999', { a: 1 }),
      fingerprintOf('POST', '/p', { a: 1 }),
    ]);
    expect(new Set(prints).size).toBe(3);
  });

  it('tells a number JSON cannot spell (1e400, parsed to Infinity) from null', async () => {
    const prints = await Promise.all(
      ['{"amount":1e400}', '{"amount":-1e400}', '{"amount":null}'].map((text) =>
        fingerprintOf('POST', '/p', JSON.parse(text)),
      ),
    );
    expect(new Set(prints).size).toBe(3);
  });

  it('fingerprints a parsed body at any depth a reader accepts (100 000 levels), without a stack overflow', async () => {
    const nest = (levels: number) => {
      let deep: unknown = 1;
      for (let i = 0; i < levels; i++) deep = [deep];
      return deep;
    };
    const print = (levels: number) => fingerprintOf('POST', '/p', nest(levels));
    expect(await print(100_000)).toBe(await print(100_000));
    expect(await print(100_000)).not.toBe(await print(100_001));
  });

  it('refuses a body with a cycle (one set by hand) with a TypeError', async () => {
    const looped: Record<string, unknown> = {};
    looped.self = looped;
    await expect(async () => fingerprintOf('POST', '/p', looped)).rejects.toThrow(TypeError);
  });
});
