import { defineErrors, FaultlineConfigError } from 'faultline';
import { createErrorHandler } from 'faultline/server';
import { describe, expect, it } from 'vitest';

const standardErrors = defineErrors({});

function configError(fn: () => unknown): FaultlineConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FaultlineConfigError) return error;
    throw error;
  }
  throw new Error('expected a FaultlineConfigError');
}

// Page 003's "Invalid request body" answers both a body that is not JSON and one that fails validation.
const errors = defineErrors(
  { INVALID_REQUEST_BODY: { status: 400, message: 'Invalid request body' } },
  { rename: { MALFORMED_JSON: 'INVALID_REQUEST_BODY', VALIDATION_FAILED: 'INVALID_REQUEST_BODY' } },
);

describe('one public code for several built-in roles', () => {
  it('answers for every role renamed to it', () => {
    expect(errors.builtins.malformedJson).toBe('INVALID_REQUEST_BODY');
    expect(errors.builtins.validationFailed).toBe('INVALID_REQUEST_BODY');
    expect(errors.entries.INVALID_REQUEST_BODY.roles).toEqual(['validationFailed', 'malformedJson']);
    expect(errors.get('MALFORMED_JSON')).toBeUndefined();
    expect(errors.get('VALIDATION_FAILED')).toBeUndefined();
    expect(errors.codes.filter((code) => code === 'INVALID_REQUEST_BODY')).toHaveLength(1);
  });

  it('turns what either mechanism raises into the one code, on the server', () => {
    const handler = createErrorHandler({ catalog: errors });
    for (const role of ['malformedJson', 'validationFailed'] as const) {
      const { status, body } = handler.handle(standardErrors.builtin(role));
      expect(status).toBe(400);
      expect(JSON.parse(body)).toMatchObject({
        code: 'INVALID_REQUEST_BODY',
        detail: 'Invalid request body',
      });
    }
    expect(errors.builtin('malformedJson').code).toBe('INVALID_REQUEST_BODY');
  });

  it('merges a role into a standard code kept under its own name', () => {
    const merged = defineErrors({}, { rename: { MALFORMED_JSON: 'VALIDATION_FAILED' } });
    expect(merged.builtins.malformedJson).toBe('VALIDATION_FAILED');
    expect(merged.entries.VALIDATION_FAILED.roles).toEqual(['validationFailed', 'malformedJson']);
    expect(merged.entries.VALIDATION_FAILED.description).toMatch(/^Raised by two built-in checks\./);
  });

  it('lists every role in the catalog JSON', () => {
    const json = errors.toJSON().entries.find((e) => e.code === 'INVALID_REQUEST_BODY');
    expect(json).toMatchObject({
      builtin: 'validationFailed',
      builtins: ['validationFailed', 'malformedJson'],
    });
  });

  it('refuses roles of different statuses under one code, naming the roles and their statuses', () => {
    const error = configError(() =>
      defineErrors({}, { rename: { MALFORMED_JSON: 'INVALID_BODY', BODY_TOO_LARGE: 'INVALID_BODY' } }),
    );
    expect(error.code).toBe('FAULTLINE_INVALID_RENAME');
    expect(error.message).toContain(
      'MALFORMED_JSON (malformedJson, 400) and BODY_TOO_LARGE (bodyTooLarge, 413)',
    );
    expect(error.message).toContain('→ INVALID_BODY');
    expect(configError(() => defineErrors({}, { rename: { COOLDOWN: 'NOT_FOUND' } })).message).toContain(
      'NOT_FOUND (notFound, 404) and COOLDOWN (cooldown, 429)',
    );
  });
});
