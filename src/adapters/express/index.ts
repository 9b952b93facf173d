export type { GuardOptions } from '../kit/read-body.js';
export {
  createExpressErrors,
  type ExpressApp,
  type ExpressErrors,
  type ExpressErrorsOptions,
  type ExpressRaw,
} from './create-express-errors.js';
export { guard } from './guard.js';
