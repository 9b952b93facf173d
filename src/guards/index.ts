export { type ConcurrencyGuard, type ConcurrencyOptions, concurrency, type Lease } from './concurrency.js';
export { type CooldownOptions, cooldown } from './cooldown.js';
export type { GuardError } from './guard-error.js';
export { type RequireHeaderOptions, requireHeader } from './header.js';
export { type IdempotencyOptions, idempotency } from './idempotency.js';
export { byHeader, byIp } from './key-of.js';
export { type AdminKeyOptions, type ApiKeyOptions, adminKey, apiKey } from './keys.js';
export { checkMessage, type MessageVerdict } from './message.js';
export { type QuotaOptions, quota } from './quota.js';
export {
  type RateAlgorithm,
  type RateBan,
  type RateCount,
  type RateDenial,
  type RateHeaders,
  type RateKeyOptions,
  type RateLimitGuard,
  type RateLimitOptions,
  type RateLimitState,
  type RatePolicy,
  rateLimit,
} from './rate-limit.js';
export type {
  CapturedResponse,
  Count,
  Duration,
  FailurePolicy,
  Guard,
  GuardContext,
  GuardRequest,
  KeyOf,
  PerRequest,
  Replay,
  StoreOptions,
} from './types.js';
