import { isIP as nodeIsIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isIP } from './is-ip.js';

const samples = [
  '127.0.0.1',
  '0.0.0.0',
  '255.255.255.255',
  '256.0.0.1',
  '01.2.3.4',
  '1.2.3',
  '1.2.3.4.5',
  '1.2.3.4 ',
  ' 1.2.3.4',
  '::',
  '::1',
  '::ffff:10.0.0.1',
  '::FFFF:a00:1',
  '2001:db8::1',
  '2001:db8:1:2:3:4:5:6',
  '2001:db8:1:2:3:4:5:6:7',
  '2001:db8:::1',
  '1::2::3',
  'fe80::1%eth0',
  'fe80::1%',
  '[::1]',
  '[::1]:443',
  '203.0.113.7:51234',
  '64:ff9b::192.0.2.33',
  '1:2:3:4:5:6:1.2.3.4',
  '1:2:3:4:5:6:7:1.2.3.4',
  'g::1',
  '12345::1',
  '',
  'localhost',
  'x'.repeat(1000),
  `${'1:'.repeat(60)}1`,
];

describe('isIP', () => {
  it.each(samples)('%j is what node:net says it is', (sample) => {
    expect(isIP(sample)).toBe(nodeIsIP(sample));
  });

  it('agrees with node:net over 2000 generated values of address characters', () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    const alphabet = '0123456789abcdefABCDEF:.%';
    for (let n = 0; n < 2000; n++) {
      let text = '';
      const length = 2 + (next() % 40);
      for (let i = 0; i < length; i++) text += alphabet[next() % alphabet.length];
      expect(isIP(text), text).toBe(nodeIsIP(text));
    }
  });
});
