import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { defineErrors, FaultlineConfigError } from 'faultline';
import { renderMarkdown } from 'faultline/docs';
import { clampReason, closeCodeKind, wsBehaviourOf } from 'faultline/ws';
import { describe, expect, it } from 'vitest';
import { catalog } from './ws-fixtures.js';
import { type Served, serve, watch } from './ws-helpers.js';

const require = createRequire(import.meta.url);
const { isValidStatusCode } = require(join(dirname(require.resolve('ws')), 'lib/validation.js')) as {
  isValidStatusCode(code: number): boolean;
};

describe('the close-code table', () => {
  it('classifies every integer 0–65535 exactly as ws accepts codes in a close frame', () => {
    for (let code = 0; code <= 65535; code++) {
      const kind = closeCodeKind(code);
      expect(kind === 'sendable', `code ${code}`).toBe(isValidStatusCode(code));
      if (kind === 'observed') expect([1005, 1006, 1015]).toContain(code);
    }
  });

  it.each([408, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535])(
    'defineErrors rejects ws.close %i with the fix',
    (code) => {
      let error: unknown;
      try {
        defineErrors({ PONG_TIMEOUT: { status: 408, message: 'Pong timeout', ws: { close: code } } });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(FaultlineConfigError);
      expect((error as FaultlineConfigError).code).toBe('FAULTLINE_INVALID_CLOSE_CODE');
      expect((error as Error).message).toContain('PONG_TIMEOUT');
      if (code === 408) expect((error as Error).message).toContain('use 4408');
      if (code === 1006) expect((error as Error).message).toContain('closeCodes');
    },
  );

  it('rejects one explicit close code with two different reconnect advices', () => {
    expect(() =>
      defineErrors({
        A: { status: 400, message: 'a', ws: { close: 4000, reconnect: 'never' } },
        B: { status: 400, message: 'b', ws: { close: 4000, reconnect: 'backoff' } },
      }),
    ).toThrow(/A and B close with 4000/);
  });

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

  it("documents page 000's three close codes from closeCodes, observed-only ones marked", () => {
    expect(catalog.closeCodes.map((c) => [c.code, c.name, c.kind])).toEqual([
      [408, 'Pong timeout', 'observed'],
      [1000, 'Normal closure', 'sendable'],
      [1006, 'Abnormal closure', 'observed'],
    ]);
    const page = renderMarkdown(catalog);
    expect(page).toMatch(/\| 1006 \| Abnormal closure \|/);
    expect(page).toMatch(/\| 408 \| Pong timeout \|/);
  });
});

describe('close reasons', () => {
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

  it('never make close throw on a real socket, whatever the catalog code', async () => {
    const long = 'É'.repeat(200);
    const fuzz = defineErrors({ [`${long}_X`]: { status: 409, message: 'x', ws: { close: 4409 } } });
    const served: Served = await serve({
      errors: { catalog: fuzz, logger: false },
      on: {
        go: () => {
          throw fuzz.create(`${long}_X` as never);
        },
      },
    });
    try {
      const client = watch(served.url);
      await client.opened;
      client.socket.send(JSON.stringify({ type: 'go' }));
      const { code, reason } = await client.closed;
      expect(code).toBe(4409);
      expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(123);
      expect(`${long}_X`.startsWith(reason)).toBe(true);
    } finally {
      await served.close();
    }
  });
});
