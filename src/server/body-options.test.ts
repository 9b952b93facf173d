import { FaultlineConfigError } from 'faultline';
import { createExpressErrors } from 'faultline/express';
import { createFastifyErrors } from 'faultline/fastify';
import { createHonoErrors } from 'faultline/hono';
import { createNodeErrors } from 'faultline/node';
import { describe, expect, it } from 'vitest';

function configError(create: () => unknown): FaultlineConfigError {
  try {
    create();
  } catch (error) {
    if (error instanceof FaultlineConfigError) return error;
    throw error;
  }
  throw new Error('no configuration error was raised');
}

describe('body and linger options', () => {
  it.each([
    [
      'limit',
      { limit: '1 parsec' },
      'limit is "1 parsec"; it takes a whole number of bytes or a size such as \'64kb\'',
    ],
    ['limit', { limit: -1 }, 'limit is -1'],
    [
      'maxDepth',
      { maxDepth: 0 },
      'maxDepth is 0; it takes a whole number of levels from 1 to 100000 (default 256)',
    ],
    ['maxDepth', { maxDepth: 1.5 }, 'maxDepth is 1.5'],
    ['readTimeout', { readTimeout: Number.NaN }, 'readTimeout is null'],
    [
      'readTimeout',
      { readTimeout: 2 ** 31 },
      'readTimeout is 2147483648; it takes a whole number of milliseconds',
    ],
  ])('refuse a bad body %s at set-up on every adapter, naming it', (_, body, text) => {
    const errors = [
      configError(() => createExpressErrors({}, { body })),
      configError(() => createHonoErrors({}, { body })),
      configError(() => createExpressErrors().json(body)),
    ];
    if (!('limit' in body)) errors.push(configError(() => createFastifyErrors({}, { body })));
    for (const error of errors) {
      expect(error.code).toBe('FAULTLINE_INVALID_OPTION');
      expect(error.message).toContain(`body option ${text}`);
      expect(error.docsUrl).toMatch(/config-errors\.md#faultline_invalid_option$/);
    }
  });

  it.each([
    [{ maxBytes: -1 }, 'maxBytes is -1; it takes a whole number of bytes from 0'],
    [
      { maxTime: 2 ** 31 },
      'maxTime is 2147483648; it takes a whole number of milliseconds from 0 to 2147483647 (default 5000)',
    ],
    [{ idleTimeout: 0.5 }, 'idleTimeout is 0.5'],
  ])('refuse bad linger bounds %o at set-up on every adapter', (linger, text) => {
    for (const error of [
      configError(() => createNodeErrors({}, { linger })),
      configError(() => createExpressErrors({}, { linger })),
      configError(() => createFastifyErrors({}, { linger })),
      configError(() => createHonoErrors({}, { linger })),
    ]) {
      expect(error.code).toBe('FAULTLINE_INVALID_OPTION');
      expect(error.message).toContain(`linger option ${text}`);
    }
  });

  it('take the documented bounds, 0 included for linger', () => {
    expect(() =>
      createNodeErrors({}, { linger: { maxBytes: 0, maxTime: 0, idleTimeout: 2 ** 31 - 1 } }),
    ).not.toThrow();
    expect(() => createExpressErrors({}, { body: { limit: 0, maxDepth: 1, readTimeout: 1 } })).not.toThrow();
  });
});
