import { ApiError, defineErrors, FaultlineConfigError, RoleError } from 'faultline';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createErrorHandler } from '../server/handle-error.js';

const standardErrors = defineErrors({});

const errors = defineErrors(
  {
    SESSION_NOT_FOUND: {
      status: 404,
      id: 4001,
      group: 'sessions',
      message: 'Session {sessionId} not found',
      details: z.object({ sessionId: z.string() }),
      cause: 'No active session has this UUID.',
      fix: 'Verify the session UUID.',
    },
    SCHEMA_VALIDATION_FAILED: { status: 400, id: 1, message: 'Request body failed schema validation.' },
    ChatConversationEnded: { status: 410, message: 'The conversation has ended.' },
  },
  {
    rename: { VALIDATION_FAILED: 'SCHEMA_VALIDATION_FAILED' },
    groups: { sessions: { title: 'Sessions' } },
    docsUrl: 'https://api.example.com/docs/errors#{code}',
  },
);

function configError(fn: () => unknown): FaultlineConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FaultlineConfigError) return error;
    throw error;
  }
  throw new Error('expected a FaultlineConfigError');
}

describe('defineErrors', () => {
  it('derives category, retryable, title and the docs URL of each entry', () => {
    const entry = errors.entries.SESSION_NOT_FOUND;
    expect(entry).toMatchObject({
      code: 'SESSION_NOT_FOUND',
      status: 404,
      id: 4001,
      category: 'NOT_FOUND',
      retryable: false,
      title: 'Not Found',
      type: 'https://api.example.com/docs/errors#SESSION_NOT_FOUND',
    });
    expect(errors.entries.INTERNAL_ERROR.retryable).toBe(true);
    expect(errors.entries.NOT_IMPLEMENTED.retryable).toBe(false);
    expect(errors.entries.RATE_LIMITED.category).toBe('RATE_LIMIT');
  });

  it('interpolates details into the message', () => {
    const error = errors.create('SESSION_NOT_FOUND', { sessionId: 'abc' });
    expect(error.message).toBe('Session abc not found');
    expect(error.details).toEqual({ sessionId: 'abc' });
    expect(error.status).toBe(404);
  });

  it('loads PascalCase and message-only codes', () => {
    expect(errors.create('ChatConversationEnded').code).toBe('ChatConversationEnded');
    expect(errors.byMessage('The conversation has ended.')?.code).toBe('ChatConversationEnded');
  });

  it('raises the renamed code with the catalog message from every built-in mechanism', () => {
    const handler = createErrorHandler({ catalog: errors });
    const fromRole = handler.normalize(new RoleError('validationFailed'));
    expect(fromRole.code).toBe('SCHEMA_VALIDATION_FAILED');
    expect(fromRole.message).toBe('Request body failed schema validation.');
    expect(fromRole.id).toBe(1);
    // The standard catalog's error of the same mechanism is answered alike.
    const standard = standardErrors.builtin('validationFailed');
    expect(standard.code).toBe('VALIDATION_FAILED');
    expect(handler.normalize(standard)).toMatchObject({ code: 'SCHEMA_VALIDATION_FAILED', id: 1 });
    expect(errors.builtin('validationFailed').code).toBe('SCHEMA_VALIDATION_FAILED');
    expect(errors.get('VALIDATION_FAILED')).toBeUndefined();
  });

  it('fails at definition on a duplicate id, naming both codes', () => {
    const error = configError(() =>
      defineErrors({
        A_ONE: { status: 400, id: 7, message: 'a' },
        B_TWO: { status: 400, id: 7, message: 'b' },
      }),
    );
    expect(error.code).toBe('FAULTLINE_DUPLICATE_ID');
    expect(error.message).toContain('A_ONE and B_TWO');
    expect(error.fix).toMatch(/\S/);
  });

  it('fails at definition on an invalid status', () => {
    for (const status of [302, 600, 99]) {
      expect(configError(() => defineErrors({ WRONG: { status, message: 'ok' } })).code).toBe(
        'FAULTLINE_INVALID_STATUS',
      );
    }
    expect(configError(() => defineErrors({ WRONG: { status: 404.5, message: 'x' } })).message).toContain(
      'WRONG',
    );
  });

  it('accepts a 2xx outcome code, with the NOTICE category', () => {
    const outcome = defineErrors({
      ALREADY_PUBLISHED: { status: 200, id: 6002, message: 'Already has this version' },
    });
    expect(outcome.entries.ALREADY_PUBLISHED).toMatchObject({
      status: 200,
      category: 'NOTICE',
      retryable: false,
      title: 'OK',
    });
    expect(outcome.create('ALREADY_PUBLISHED').status).toBe(200);
  });

  it('fails at definition on an unknown group', () => {
    const error = configError(() =>
      defineErrors({ X: { status: 400, message: 'x', group: 'nope' } }, { groups: ['a'] }),
    );
    expect(error.code).toBe('FAULTLINE_UNKNOWN_GROUP');
    expect(error.message).toContain('X');
  });

  it('fails at definition on a placeholder with no details field', () => {
    expect(configError(() => defineErrors({ X: { status: 400, message: 'bad {field}' } })).code).toBe(
      'FAULTLINE_PLACEHOLDER_WITHOUT_FIELD',
    );
    const error = configError(() =>
      defineErrors({ Y: { status: 400, message: 'bad {other}', details: z.object({ field: z.string() }) } }),
    );
    expect(error.message).toContain('Y uses {other}');
  });

  it('fails at definition when a retired code or id is reused', () => {
    expect(
      configError(() => defineErrors({ OLD: { status: 400, message: 'x' } }, { retired: { codes: ['OLD'] } }))
        .code,
    ).toBe('FAULTLINE_RETIRED_CODE');
    expect(
      configError(() =>
        defineErrors({ NEW: { status: 400, id: 9, message: 'x' } }, { retired: { ids: [9] } }),
      ).code,
    ).toBe('FAULTLINE_RETIRED_CODE');
  });

  it('rejects a rename of a code the standard catalog does not have', () => {
    expect(configError(() => defineErrors({}, { rename: { NOPE: 'X' } as never })).code).toBe(
      'FAULTLINE_INVALID_RENAME',
    );
  });

  it('rejects an unknown code at run time when types were bypassed', () => {
    expect(configError(() => (errors.create as (code: string) => unknown)('NOPE')).code).toBe(
      'FAULTLINE_UNKNOWN_CODE',
    );
  });

  it('narrows a caught value to one code', () => {
    const caught: unknown = errors.create('SESSION_NOT_FOUND', { sessionId: 's1' });
    expect(errors.is(caught, 'SESSION_NOT_FOUND') && caught.details.sessionId).toBe('s1');
    expect(errors.is(caught, 'RATE_LIMITED')).toBe(false);
    expect(errors.is(new Error('x'))).toBe(false);
  });

  it('captures stacks for 5xx errors only by default', () => {
    expect(errors.create('RATE_LIMITED').stack).not.toContain('define-errors.test');
    expect(errors.create('INTERNAL_ERROR').stack).toContain('define-errors.test');
    const always = defineErrors({}, { stack: 'always' });
    expect(always.create('NOT_FOUND').stack).toContain('define-errors.test');
  });

  it('passes cause through ErrorOptions', () => {
    const cause = new Error('root');
    const error = errors.create('INTERNAL_ERROR', undefined, { cause });
    expect(error.cause).toBe(cause);
    expect(JSON.stringify(error)).not.toContain('root');
    expect(error instanceof ApiError && error.code === 'INTERNAL_ERROR').toBe(true);
    expect(error).toBeInstanceOf(ApiError);
  });
});
