export type { IpSource, TrustProxy } from './client-ip.js';
export { createHonoErrors, type HonoErrors, type HonoErrorsOptions } from './create-hono-errors.js';
export { guard } from './guard.js';
