export {
  createExpressErrors,
  type ExpressErrors,
  type ExpressErrorsOptions,
  type ExpressRaw,
} from './create-express-errors.js';
export type { GuardOptions } from '../kit/read-body.js';
export { guard } from './guard.js';
