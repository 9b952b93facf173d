import { defineErrors, FaultlineConfigError } from 'faultline';
import { renderMarkdown } from 'faultline/docs';
import { describe, expect, it } from 'vitest';
import { catalog } from './ws-fixtures.js';
import { type Served, serve, watch } from './ws-helpers.js';

describe('the close-code table', () => {
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
