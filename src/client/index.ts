export { RetryBudget, type RetryBudgetOptions } from './budget.js';
export { createClient } from './client.js';
export { type ParseErrorResponseOptions, parseErrorResponse } from './parse-response.js';
export { parseRateLimitReset, parseRetryAfter } from './retry-after.js';
export type {
  Client,
  ClientError,
  ClientOptions,
  RequestOptions,
  RetryContext,
  RetryOptions,
  SafeResult,
  UnknownApiError,
  UnknownCode,
} from './types.js';
