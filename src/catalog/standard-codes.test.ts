import { describe, expect, it } from 'vitest';
import { roleOfStatus } from './role-tables.js';
import { standardCodeOfStatus, standardInFlightCode } from './standard-codes.js';
import { standardErrors } from './standard-errors.js';

describe('the standard codes a client names bare statuses by', () => {
  it('are the standard catalog’s, for every error status', () => {
    for (let status = 400; status <= 599; status++) {
      const role = roleOfStatus[status] ?? (status >= 500 ? 'internalError' : 'badRequest');
      expect(standardCodeOfStatus(status), String(status)).toBe(standardErrors.builtins[role]);
    }
    expect(standardInFlightCode).toBe(standardErrors.builtins.idempotencyInFlight);
  });
});
