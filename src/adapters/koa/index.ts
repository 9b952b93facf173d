export type { Adapter, AdapterCore, ClientErrorListener } from '../kit/adapter.js';
export type { LingerOptions } from '../kit/linger.js';
export {
  createKoaErrors,
  type KoaErrors,
  type KoaErrorsOptions,
  type KoaParts,
  type KoaRaw,
} from './create-koa-errors.js';
export { guard } from './guard.js';
