import { type ApiError, type CatalogError, type CodeOf, defineErrors } from 'faultline';
import { describe, expectTypeOf, it } from 'vitest';
import * as z from 'zod';

const errors = defineErrors(
  {
    SESSION_NOT_FOUND: {
      status: 404,
      message: 'Session {sessionId} not found',
      details: z.object({ sessionId: z.string() }),
    },
    QUOTA_WINDOW: { status: 429, message: 'Quota', details: z.object({ resetAt: z.string() }).optional() },
    PLAIN: { status: 400, message: 'Plain' },
  },
  { rename: { VALIDATION_FAILED: 'SCHEMA_VALIDATION_FAILED' } },
);

describe('catalog types', () => {
  it('requires details exactly when the schema requires them', () => {
    errors.create('SESSION_NOT_FOUND', { sessionId: 'x' });
    // @ts-expect-error details are required
    errors.create('SESSION_NOT_FOUND');
    // @ts-expect-error details have the wrong type
    errors.create('SESSION_NOT_FOUND', { sessionId: 1 });
    errors.create('QUOTA_WINDOW');
    errors.create('QUOTA_WINDOW', { resetAt: 'soon' });
    errors.create('PLAIN');
    // @ts-expect-error a code without a schema takes no details
    errors.create('PLAIN', { any: 1 });
  });

  it('does not compile an unknown code', () => {
    // @ts-expect-error unknown code
    errors.create('NOPE');
    errors.create('NOT_FOUND');
  });

  it('replaces a renamed standard code by its new name', () => {
    errors.create('SCHEMA_VALIDATION_FAILED');
    // @ts-expect-error the old name is gone
    errors.create('VALIDATION_FAILED');
    expectTypeOf<CodeOf<typeof errors>>().toEqualTypeOf<
      | 'SESSION_NOT_FOUND'
      | 'QUOTA_WINDOW'
      | 'PLAIN'
      | 'SCHEMA_VALIDATION_FAILED'
      | Exclude<
          CodeOf<typeof errors>,
          'SESSION_NOT_FOUND' | 'QUOTA_WINDOW' | 'PLAIN' | 'SCHEMA_VALIDATION_FAILED'
        >
    >();
    expectTypeOf<'VALIDATION_FAILED'>().not.toExtend<CodeOf<typeof errors>>();
    expectTypeOf<'RATE_LIMITED'>().toExtend<CodeOf<typeof errors>>();
  });

  it('narrows a caught value to one code with its details', () => {
    const caught: unknown = null;
    if (errors.is(caught, 'SESSION_NOT_FOUND')) {
      expectTypeOf(caught.code).toEqualTypeOf<'SESSION_NOT_FOUND'>();
      expectTypeOf(caught.details).toEqualTypeOf<{ sessionId: string }>();
    }
    if (errors.is(caught)) {
      expectTypeOf(caught).toEqualTypeOf<CatalogError<NonNullable<(typeof errors)['~definitions']>>>();
      if (caught.code === 'SESSION_NOT_FOUND')
        expectTypeOf(caught.details).toEqualTypeOf<{ sessionId: string }>();
    }
  });

  it('types the created error', () => {
    expectTypeOf(errors.create('SESSION_NOT_FOUND', { sessionId: 'x' })).toEqualTypeOf<
      ApiError<'SESSION_NOT_FOUND', { sessionId: string }>
    >();
    expectTypeOf(errors.create('PLAIN').details).toEqualTypeOf<undefined>();
  });
});

describe('builtins', () => {
  it('names the code of each mechanism: renamed, claimed, standard, or the HTTP twin of a WebSocket one', () => {
    expectTypeOf(errors.builtins.validationFailed).toEqualTypeOf<'SCHEMA_VALIDATION_FAILED'>();
    expectTypeOf(errors.builtins.notFound).toEqualTypeOf<'NOT_FOUND'>();
    expectTypeOf(errors.builtins.messageInvalid).toEqualTypeOf<'SCHEMA_VALIDATION_FAILED'>();
    expectTypeOf(errors.builtins.messageMalformed).toEqualTypeOf<'MALFORMED_JSON'>();
    const claimed = defineErrors(
      {
        PLAN_RATE_LIMITED: {
          status: 429,
          message: 'Plan limit',
          roles: ['rateLimited', 'messageRateLimited'],
        },
        FRAME_INVALID: { status: 400, message: 'Frame invalid', roles: ['messageMalformed'] },
      },
      { omit: ['PAYMENT_REQUIRED'] },
    );
    expectTypeOf(claimed.builtins.rateLimited).toEqualTypeOf<'PLAN_RATE_LIMITED'>();
    expectTypeOf(claimed.builtins.messageRateLimited).toEqualTypeOf<'PLAN_RATE_LIMITED'>();
    expectTypeOf(claimed.builtins.messageMalformed).toEqualTypeOf<'FRAME_INVALID'>();
    expectTypeOf(claimed.builtins.malformedJson).toEqualTypeOf<'MALFORMED_JSON'>();
    // An omitted code's mechanism is answered by a code chosen at definition: one of the catalog's.
    expectTypeOf(claimed.builtins.paymentRequired).toEqualTypeOf<(typeof claimed.codes)[number]>();
    // @ts-expect-error the code of a mechanism is that code only
    const wrong: 'NOT_FOUND' = errors.builtins.validationFailed;
    void wrong;
  });
});
