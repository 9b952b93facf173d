import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { defineErrors, wsDefinitions } from 'faultline';
import { wsBehaviourOf } from 'faultline/ws';
import { describe, expect, it } from 'vitest';
import { closeCodeKind } from '../catalog/ws-codes.js';
import { clampReason } from './reason.js';

const require = createRequire(import.meta.url);
const { isValidStatusCode } = require(join(dirname(require.resolve('ws')), 'lib/validation.js')) as {
  isValidStatusCode(code: number): boolean;
};

const catalog = defineErrors({
  ...wsDefinitions,
  AUTHENTICATION_FAILED: { status: 401, message: 'authentication failed' },
  SESSION_NOT_FOUND: { status: 404, message: 'session not found' },
  AGENT_BUSY: { status: 503, message: 'Our system is experiencing high load.' },
});

describe('closeCodeKind', () => {
  it('classifies every integer 0–65535 exactly as ws accepts codes in a close frame', () => {
    for (let code = 0; code <= 65535; code++) {
      const kind = closeCodeKind(code);
      expect(kind === 'sendable', `code ${code}`).toBe(isValidStatusCode(code));
      if (kind === 'observed') expect([1005, 1006, 1015]).toContain(code);
    }
  });
});

describe('wsBehaviourOf', () => {
  it('derives RFC codes for roles and 4000 + status otherwise', () => {
    expect(wsBehaviourOf(catalog.entries.MESSAGE_TOO_LARGE).closeCode).toBe(1009);
    expect(wsBehaviourOf(catalog.entries.INTERNAL_ERROR).closeCode).toBe(1011);
    expect(wsBehaviourOf(catalog.entries.GOING_AWAY).closeCode).toBe(1001);
    expect(wsBehaviourOf(catalog.entries.SERVICE_RESTART).closeCode).toBe(1012);
    expect(wsBehaviourOf(catalog.entries.AUTHENTICATION_FAILED)).toMatchObject({
      closeCode: 4401,
      reconnect: 'afterAuth',
    });
    expect(wsBehaviourOf(catalog.entries.SESSION_NOT_FOUND)).toMatchObject({
      closeCode: 4404,
      reconnect: 'never',
    });
    expect(wsBehaviourOf(catalog.entries.AGENT_BUSY)).toMatchObject({
      closeCode: 4503,
      reconnect: 'backoff',
    });
  });
});

describe('clampReason', () => {
  it('are cut to 123 bytes of valid UTF-8 on a code-point boundary, a prefix of the text, for 10 000 inputs', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 1000 }),
      fc.string({ unit: 'grapheme', maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc
        .array(fc.integer({ min: 0xd800, max: 0xdfff }), { maxLength: 80 })
        .map((u) => String.fromCharCode(...u)),
    );
    fc.assert(
      fc.property(text, (input) => {
        const reason = clampReason(input);
        const bytes = Buffer.from(reason, 'utf8');
        expect(bytes.length).toBeLessThanOrEqual(123);
        expect(new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toBe(reason);
        expect((input as unknown as { toWellFormed(): string }).toWellFormed().startsWith(reason)).toBe(true);
      }),
      { numRuns: 10_000 },
    );
  });
});
