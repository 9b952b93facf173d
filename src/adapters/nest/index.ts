export {
  createNestErrors,
  FaultlineFilter,
  type NestErrors,
  type NestErrorsOptions,
  type NestHttpApp,
  type NestRaw,
  nestLogger,
} from './filter.js';
export { FaultlineGuard } from './guard.js';
export { FAULTLINE_ERRORS, FaultlineModule, type FaultlineModuleOptions } from './module.js';
export {
  type ClassValidatorError,
  type NestIssue,
  NestValidationError,
  validationExceptionFactory,
} from './validation.js';
