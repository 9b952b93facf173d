import { defineErrors, FaultlineConfigError } from 'faultline';
import { createErrorHandler } from 'faultline/server';
import createHttpError from 'http-errors';
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

const errors = defineErrors({}, { omit: ['GONE', 'PAYMENT_REQUIRED', 'COOLDOWN'] });

describe('omit: standard codes the API never sends', () => {
  it('leaves the omitted codes out of the catalog', () => {
    expect(errors.get('GONE')).toBeUndefined();
    expect(errors.codes).not.toContain('PAYMENT_REQUIRED');
    expect(errors.codes).toHaveLength(standardErrors.codes.length - 3);
    expect(errors.toJSON().entries.map((e) => e.code)).not.toContain('COOLDOWN');
  });

  it('answers an omitted role raised anyway with the generic code of its status', () => {
    const handler = createErrorHandler({ catalog: errors });
    const cooled = handler.handle(
      standardErrors.builtin('cooldown', undefined, { headers: { 'retry-after': '3' } }),
    );
    expect(cooled.status).toBe(429);
    expect(JSON.parse(cooled.body).code).toBe('RATE_LIMITED');
    expect(cooled.headers['retry-after']).toBe('3');
  });

  it('answers a role whose status has no code left under the class code, keeping its status, never crashing', () => {
    const handler = createErrorHandler({ catalog: errors });
    const gone = handler.handle(standardErrors.builtin('gone'));
    expect(gone.status).toBe(410);
    expect(JSON.parse(gone.body)).toMatchObject({ code: 'BAD_REQUEST', status: 410 });
    expect(errors.builtin('paymentRequired')).toMatchObject({ code: 'BAD_REQUEST', status: 402 });
    const thrown = handler.handle(createHttpError(410, 'Gone for good'));
    expect(thrown.status).toBe(410);
    expect(JSON.parse(thrown.body).code).toBe('BAD_REQUEST');
  });

  it('refuses to omit a code the server core raises for every API', () => {
    for (const code of [
      'NOT_FOUND',
      'VALIDATION_FAILED',
      'MALFORMED_JSON',
      'INTERNAL_ERROR',
      'BODY_TOO_LARGE',
    ] as const) {
      const error = configError(() => defineErrors({}, { omit: [code] }));
      expect(error.code).toBe('FAULTLINE_INVALID_OMIT');
      expect(error.message).toContain('the server core raises for every API');
    }
  });

  it("omits a core code whose role an entry of the API claims: the API's own code answers for it", () => {
    const own = defineErrors(
      { INVALID_BODY: { status: 400, message: 'Error parsing request', roles: ['unsupportedMediaType'] } },
      { omit: ['UNSUPPORTED_MEDIA_TYPE'] },
    );
    expect(own.get('UNSUPPORTED_MEDIA_TYPE')).toBeUndefined();
    expect(own.builtins.unsupportedMediaType).toBe('INVALID_BODY');
    const answer = createErrorHandler({ catalog: own }).handle(
      standardErrors.builtin('unsupportedMediaType'),
    );
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'INVALID_BODY', detail: 'Error parsing request' });
    // Claimed for another role only, the core role would be left without a code: still refused.
    const error = configError(() =>
      defineErrors(
        { INVALID_BODY: { status: 400, message: 'x', roles: ['badRequest'] } },
        { omit: ['UNSUPPORTED_MEDIA_TYPE'] },
      ),
    );
    expect(error.message).toContain('the server core raises for every API');
  });

  it('refuses to omit an unknown, renamed or defined code', () => {
    expect(configError(() => defineErrors({}, { omit: ['NOPE' as never] })).message).toContain(
      'NOPE is not a standard code',
    );
    expect(
      configError(() =>
        defineErrors({}, { omit: ['COOLDOWN'], rename: { COOLDOWN: 'COMMAND_RATE_LIMITED' } }),
      ).message,
    ).toContain('COOLDOWN is renamed');
    expect(
      configError(() => defineErrors({ GONE: { status: 410, message: 'Gone' } }, { omit: ['GONE'] })).message,
    ).toContain('GONE is omitted, yet the catalog defines it');
  });
});
