import { defineErrors } from './define-errors.js';

/**
 * The standard catalog: one code per common error status, plus the codes faultline's own mechanisms raise.
 * Every catalog made by `defineErrors` extends it.
 */
export const standardErrors = defineErrors({});
