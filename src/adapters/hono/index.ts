export type { IpSource } from './client-ip.js';
export {
  createHonoErrors,
  type HonoErrors,
  type HonoErrorsOptions,
  type HonoRaw,
} from './create-hono-errors.js';
export { guard } from './guard.js';
