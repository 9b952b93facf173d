export {
  createExpressErrors,
  type ExpressErrors,
  type ExpressErrorsOptions,
} from './create-express-errors.js';
export { guard } from './guard.js';
