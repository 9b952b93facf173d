export { RetryBudget, type RetryBudgetOptions } from './budget.js';
export { createClient } from './client.js';
export { type ParseErrorResponseOptions, parseErrorResponse } from './parse-response.js';
export { parseRateLimitReset, parseRetryAfter } from './retry-after.js';
export type {
  Client,
  ClientCatalogError,
  ClientError,
  ClientErrorOf,
  ClientIs,
  ClientOptions,
  DetailsCarriageOf,
  DetailsSeen,
  RequestOptions,
  RetryContext,
  RetryOptions,
  SafeResult,
  UnknownApiError,
  UnknownCode,
} from './types.js';
