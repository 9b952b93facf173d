import { defineErrors } from 'faultline';
import { describe, expectTypeOf, it } from 'vitest';

const errors = defineErrors({
  TICKET_NOT_FOUND: { status: 404, message: 'Ticket not found', collapses: ['unknown-ref', 'wrong-token'] },
});

describe('collapsed codes', () => {
  it('require one of the declared reasons and take no details', () => {
    errors.create('TICKET_NOT_FOUND', undefined, { reason: 'wrong-token' });
    // @ts-expect-error: the reason is required
    errors.create('TICKET_NOT_FOUND');
    // @ts-expect-error: not a declared reason
    errors.create('TICKET_NOT_FOUND', undefined, { reason: 'expired' });
    // @ts-expect-error: a message override would make the answers differ
    errors.create('TICKET_NOT_FOUND', undefined, { reason: 'unknown-ref', message: 'Token wrong' });
    expectTypeOf(
      errors.create('TICKET_NOT_FOUND', undefined, { reason: 'unknown-ref' }).reason,
    ).toEqualTypeOf<string | undefined>();
  });
});
