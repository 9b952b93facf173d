import type { ApiError } from '../catalog/api-error.js';
import type { ReadableCatalog } from '../catalog/readable.js';
import { RetryBudget } from './budget.js';
import type { RetryOptions } from './types.js';

/** A retry policy with every default filled in. */
export interface RetryPolicy {
  readonly limit: number;
  readonly methods: ReadonlySet<string>;
  readonly statuses: ReadonlySet<number>;
  readonly idempotencyKeys: boolean;
  readonly idempotencyHeader: string;
  readonly base: number;
  readonly cap: number;
  readonly maxRetryAfter: number;
  readonly maxElapsed: number;
  readonly budget: RetryBudget | undefined;
  readonly shouldRetry: RetryOptions['shouldRetry'];
  readonly beforeRetry: RetryOptions['beforeRetry'];
  readonly random: () => number;
}

const noRetry: RetryOptions = { limit: 0 };

/** Fills in a policy; a request's options override its client's, the budget stays the client's. */
export function resolvePolicy(
  options: RetryOptions | false | undefined,
  inherited?: RetryPolicy,
): RetryPolicy {
  const o = options === false ? noRetry : (options ?? {});
  const budget =
    o.budget === false
      ? undefined
      : o.budget instanceof RetryBudget
        ? o.budget
        : o.budget !== undefined
          ? new RetryBudget(o.budget)
          : (inherited?.budget ?? (inherited ? undefined : new RetryBudget()));
  return {
    limit: o.limit ?? inherited?.limit ?? 2,
    methods: o.methods
      ? new Set(o.methods.map((m) => m.toUpperCase()))
      : (inherited?.methods ?? new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])),
    statuses: o.statuses
      ? new Set(o.statuses)
      : (inherited?.statuses ?? new Set([408, 429, 500, 502, 503, 504])),
    idempotencyKeys: o.idempotencyKeys ?? inherited?.idempotencyKeys ?? true,
    idempotencyHeader: o.idempotencyHeader ?? inherited?.idempotencyHeader ?? 'Idempotency-Key',
    base: o.backoff?.base ?? inherited?.base ?? 100,
    cap: o.backoff?.cap ?? inherited?.cap ?? 20_000,
    maxRetryAfter: o.maxRetryAfter ?? inherited?.maxRetryAfter ?? 60_000,
    maxElapsed: o.maxElapsed ?? inherited?.maxElapsed ?? 120_000,
    budget,
    shouldRetry: o.shouldRetry ?? inherited?.shouldRetry,
    beforeRetry: o.beforeRetry ?? inherited?.beforeRetry,
    random: o.random ?? inherited?.random ?? Math.random,
  };
}

/** Full jitter: a uniformly random wait up to `min(cap, base × 2^retry)` (retry counted from 0). */
export function backoffDelay(policy: RetryPolicy, retry: number): number {
  return Math.floor(policy.random() * Math.min(policy.cap, policy.base * 2 ** retry));
}

/** Whether an HTTP error's status and code allow a retry (methods, budget and time are checked elsewhere). */
export function isRetryableError(
  error: ApiError,
  policy: RetryPolicy,
  catalog: ReadableCatalog<any> | undefined,
): boolean {
  // 409 only for the idempotency in-flight code, 413 only when the server says when to come back.
  if (error.status === 409) {
    const inFlight = catalog ? catalog.builtins.idempotencyInFlight : 'IDEMPOTENCY_IN_FLIGHT';
    return error.code === inFlight;
  }
  if (error.status === 413) return error.retryAfter !== undefined;
  if (catalog?.get(error.code)?.retryable === false) return false;
  return policy.statuses.has(error.status);
}

/**
 * A delay a timer holds: Node and browsers fire a timer past 2^31 - 1 ms (about 24.8 days) at once, so a
 * longer wait, `Infinity` included, waits that long instead.
 */
export function timerDelay(ms: number): number {
  return Math.min(ms, 2 ** 31 - 1);
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, timerDelay(ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
