export { assertJsonBody, hasRequestBody, isJsonContentType } from './content-type.js';
export { type CorrelationOptions, isSafeCorrelationId } from './correlation.js';
export {
  createErrorHandler,
  type ErrorEvent,
  type ErrorHandler,
  type ErrorHandlerOptions,
  type ErrorResponse,
  handleError,
  toErrorHandler,
} from './handle-error.js';
export type { LocaleMessages, LocaleOptions } from './locale.js';
export { fieldErrorsOf, maxFieldErrors, normalizeError } from './normalize.js';
export { type HeadersLike, headerOf, pathOf, type RequestView } from './request.js';
export { toResponse } from './to-response.js';
export { validate } from './validate.js';
