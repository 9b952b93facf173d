import { describe, expect, it } from 'vitest';
import { utf8Length } from './records.js';

describe('utf8Length', () => {
  it.each([
    '',
    'ascii {"s":200}',
    'é ü ß',
    '✓ €',
    '😀 a 👍🏽',
    '\ud800 lone high',
    'lone low \udc00',
    '\udc00\ud800 reversed',
    'x'.repeat(5000),
  ])('counts %j as Buffer.byteLength does', (text) => {
    expect(utf8Length(text)).toBe(Buffer.byteLength(text));
  });
});
