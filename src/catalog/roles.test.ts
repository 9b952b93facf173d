import { defineErrors, FaultlineConfigError, wsDefinitions } from 'faultline';
import { describe, expect, it } from 'vitest';

const standardErrors = defineErrors({});

// One role table for HTTP and WebSocket: any entry may claim roles, the last claim wins.
describe('roles', () => {
  it('an entry claims an HTTP role from the standard code that had it', () => {
    const errors = defineErrors({
      PLAN_LIMITED: { status: 429, message: 'Plan limit.', roles: ['rateLimited'] },
    });
    expect(errors.builtins.rateLimited).toBe('PLAN_LIMITED');
    expect(errors.get('PLAN_LIMITED')!.roles).toEqual(['rateLimited']);
    // The standard code stays in the catalog (the API may throw it) but answers for no mechanism.
    expect(errors.get('RATE_LIMITED')!.roles).toEqual([]);
    expect(errors.builtin('rateLimited').code).toBe('PLAN_LIMITED');
  });

  it('an entry claims WebSocket roles, over a spread built-in', () => {
    const errors = defineErrors({
      ...wsDefinitions,
      BAD_EVENT: { status: 400, message: 'Bad event.', roles: ['messageMalformed', 'messageTypeUnknown'] },
    });
    expect(errors.builtins.messageMalformed).toBe('BAD_EVENT');
    expect(errors.builtins.messageTypeUnknown).toBe('BAD_EVENT');
    expect(errors.get('MESSAGE_MALFORMED')!.roles).toEqual([]);
    expect(errors.builtins.messageTooLarge).toBe('MESSAGE_TOO_LARGE');
  });

  it('answers an unclaimed WebSocket role with its HTTP twin, a code of the catalog', () => {
    expect(standardErrors.builtins.messageMalformed).toBe('MALFORMED_JSON');
    expect(standardErrors.builtins.goingAway).toBe('SERVICE_UNAVAILABLE');
    expect(standardErrors.builtins.idleTimeout).toBe('REQUEST_TIMEOUT');
    expect(standardErrors.builtins.connectionLimit).toBe('CONCURRENCY_LIMITED');
    // A message its type's schema refuses: the validation code, renamed or not, until a code claims it.
    expect(standardErrors.builtins.messageInvalid).toBe('VALIDATION_FAILED');
    const renamed = defineErrors({}, { rename: { VALIDATION_FAILED: 'SCHEMA_VALIDATION_FAILED' } });
    expect(renamed.builtins.messageInvalid).toBe('SCHEMA_VALIDATION_FAILED');
    expect(defineErrors({ ...wsDefinitions }).builtins.messageInvalid).toBe('MESSAGE_INVALID');
    for (const code of Object.values(standardErrors.builtins)) expect(standardErrors.get(code)).toBeDefined();
  });

  it('refuses a role that is no mechanism, or roles that are not a list', () => {
    for (const roles of [['rateLimit'], ['__proto__'], [''], [42], 'rateLimited', null]) {
      expect(() => defineErrors({ X: { status: 400, message: 'x', roles: roles as never } })).toThrow(
        FaultlineConfigError,
      );
    }
    expect(() => defineErrors({ X: { status: 400, message: 'x', roles: ['rateLimit' as never] } })).toThrow(
      expect.objectContaining({
        code: 'FAULTLINE_UNKNOWN_ROLE',
        message: expect.stringContaining('"rateLimit"'),
      }),
    );
  });

  it('a claim repeated in one entry counts once', () => {
    const errors = defineErrors({ X: { status: 429, message: 'x', roles: ['cooldown', 'cooldown'] } });
    expect(errors.get('X')!.roles).toEqual(['cooldown']);
  });

  // The text a standard code carries is faultline's wording of its roles: moving a role rewords it.
  it('a role claimed onto a renamed built-in rewords its built-in text', () => {
    const errors = defineErrors(
      { INVALID: { status: 400, message: 'Invalid.', roles: ['expectationFailed'] } },
      { rename: { BAD_REQUEST: 'INVALID' } },
    );
    const { description, fix } = errors.get('INVALID')!;
    expect(description).toMatch(/^Raised by two built-in checks\./);
    expect(description).toContain('`Expect`');
    expect(fix).toBe(
      `${standardErrors.get('BAD_REQUEST')!.fix} ${standardErrors.get('EXPECTATION_FAILED')!.fix}`,
    );
  });

  it('a role claimed away from a merged built-in leaves the text of those it keeps', () => {
    const errors = defineErrors(
      { MINE: { status: 400, message: 'Mine.', roles: ['badRequest'] } },
      { rename: { MALFORMED_JSON: 'BAD', BAD_REQUEST: 'BAD' } },
    );
    expect(errors.get('BAD')!.roles).toEqual(['malformedJson']);
    expect(errors.get('BAD')!.description).toBe(standardErrors.get('MALFORMED_JSON')!.description);
    expect(errors.get('BAD')!.fix).toBe(standardErrors.get('MALFORMED_JSON')!.fix);
  });

  it("keeps an author's text when roles move", () => {
    const errors = defineErrors(
      {
        INVALID: { status: 400, message: 'Invalid.', description: 'Ours.', roles: ['expectationFailed'] },
      },
      { rename: { BAD_REQUEST: 'INVALID' } },
    );
    expect(errors.get('INVALID')!.description).toBe('Ours.');
  });
});
