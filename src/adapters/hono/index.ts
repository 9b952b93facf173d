export { createHonoErrors, type HonoErrors, type HonoErrorsOptions } from './create-hono-errors.js';
export { guard } from './guard.js';
