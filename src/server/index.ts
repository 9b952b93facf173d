// The contract every adapter returns, and the options they share: one place for all five adapters.
export type {
  Adapter,
  AdapterCore,
  CheckContinueListener,
  CheckExpectationListener,
  ClientErrorListener,
} from '../adapters/kit/adapter.js';
export type { LingerOptions } from '../adapters/kit/linger.js';
export type { TrustProxy } from './client-ip.js';
export type { CorrelationOptions, CorrelationSource } from './correlation.js';
export {
  createErrorHandler,
  type ErrorEvent,
  type ErrorHandler,
  type ErrorHandlerOptions,
  type ErrorResponse,
} from './handle-error.js';
export type { LocaleMessages, LocaleOptions } from './locale.js';
export type { ErrorLogger } from './log.js';
export type { OtelApi, OtelMeter, OtelOptions, OtelSpan } from './otel.js';
export type { RenderedError } from './render.js';
export type { HeadersLike, RequestView } from './request.js';
export { toResponse } from './to-response.js';
export { validate } from './validate.js';
