export {
  createKoaErrors,
  type KoaErrors,
  type KoaErrorsOptions,
  type KoaRaw,
} from './create-koa-errors.js';
export type { GuardOptions } from '../kit/read-body.js';
export { guard } from './guard.js';
