export type { GuardOptions } from '../kit/read-body.js';
export {
  createKoaErrors,
  type KoaErrors,
  type KoaErrorsOptions,
  type KoaRaw,
} from './create-koa-errors.js';
export { guard } from './guard.js';
