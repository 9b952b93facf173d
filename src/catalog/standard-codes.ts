import { roleOfStatus } from './role-tables.js';

/**
 * The standard catalog's code for a bare status: the code of the status's role (`notFound` → `NOT_FOUND`),
 * else the internal or bad-request code of its class. What a client calls an error whose body names no
 * code, without loading the standard catalog and its prose; a test holds it equal to
 * `defineErrors({}).builtins[roleOfStatus[status]]`.
 */
export function standardCodeOfStatus(status: number): string {
  const role = roleOfStatus[status] ?? (status >= 500 ? 'internalError' : 'badRequest');
  // Every built-in role is named after its standard code, in camel case.
  return role.replace(/[A-Z]/g, '_$&').toUpperCase();
}

/** The standard catalog's code for the idempotency in-flight conflict, the one 409 a client retries. */
export const standardInFlightCode = 'IDEMPOTENCY_IN_FLIGHT';
