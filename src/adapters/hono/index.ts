export { createHonoErrors, type HonoErrors, type HonoErrorsOptions } from './create-hono-errors.js';
