export {
  createKoaErrors,
  type KoaErrors,
  type KoaErrorsOptions,
  type KoaRaw,
} from './create-koa-errors.js';
export { guard } from './guard.js';
