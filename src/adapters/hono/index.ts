export type { GuardOptions } from '../kit/read-body.js';
export type { IpSource } from './client-ip.js';
export {
  createHonoErrors,
  type HonoErrors,
  type HonoErrorsOptions,
  type HonoRaw,
} from './create-hono-errors.js';
export { guard } from './guard.js';
export { failStream } from './sent.js';
