import { checkTimeZone, type Period, periodEdges } from './calendar.js';
import { toCount } from './duration.js';
import { admitted, compileFailure, storeOf } from './failure.js';
import { addHeader, raise, seconds, sfString } from './raise.js';
import type { Guard, KeyOf, StoreOptions } from './types.js';

/** Options of `quota`. */
export interface QuotaOptions extends StoreOptions {
  /**
   * The policy's name in `RateLimit-Policy` and `RateLimit`.
   * @default `${limit}-per-${per}`
   */
  name?: string;
  /** The key the quota counts under (a workspace, an API key); `undefined` skips the guard. */
  key: KeyOf;
  /** Requests per period. */
  limit: number;
  /** The calendar period. */
  per: Period;
  /**
   * The IANA time zone whose midnight (or first of the month) resets the quota.
   * @default 'UTC'
   */
  timeZone?: string;
  /**
   * Whether admitted responses carry `RateLimit-Policy` and `RateLimit` (denials always do).
   * @default true
   */
  headers?: boolean;
}

/**
 * A quota of requests per calendar day or month per key, reset at the period's boundary in a time zone;
 * a denial answers the catalog's `QUOTA_EXCEEDED` (429, apart from the burst limit) with `Retry-After`
 * pointing at the reset, and uses nothing.
 * @example
 * const daily = quota({ key: byHeader('x-api-key'), limit: 10_000, per: 'day', timeZone: 'Europe/Paris' });
 */
export function quota(options: QuotaOptions): Guard {
  const limit = toCount(options.limit, 'quota limit');
  if (options.per !== 'day' && options.per !== 'month') {
    throw new TypeError(`quota per must be 'day' or 'month', got ${String(options.per)}`);
  }
  const timeZone = options.timeZone ?? 'UTC';
  checkTimeZone(timeZone);
  const name = options.name ?? `${limit}-per-${options.per}`;
  const store = storeOf(options);
  const decide = compileFailure(options, store);
  const headers = options.headers ?? true;
  const label = sfString(name);
  let cached: { edges: number[]; until: number } | undefined;

  function edges(now: number): number[] {
    // The edges change once a period; recomputing them (Intl) on every request would dominate.
    if (cached === undefined || now >= cached.until || now < cached.edges[1]!) {
      const next = periodEdges(now, options.per, timeZone);
      cached = { edges: next, until: next[2]! };
    }
    return cached.edges;
  }

  return {
    kind: 'quota',
    check(context) {
      const key = options.key(context.request);
      if (key === undefined) return undefined;
      const bounds = edges(Date.now());
      const input = { limit, cost: 1, bounds };
      const conclude = (decision: Awaited<ReturnType<typeof store.quota>> | typeof admitted) => {
        if (decision === admitted) return undefined;
        const window = Math.max(1, Math.round((bounds[2]! - bounds[1]!) / 1000));
        const policyField = `${label};q=${limit};w=${window}`;
        const rateField = `${label};r=${Math.max(0, limit - decision.used)};t=${seconds(decision.reset)}`;
        if (!decision.allowed) {
          throw raise(
            'quotaExceeded',
            { policies: [name] },
            {
              'retry-after': String(seconds(decision.reset)),
              'ratelimit-policy': policyField,
              ratelimit: rateField,
            },
          );
        }
        if (headers) {
          addHeader(context.headers, 'ratelimit-policy', policyField);
          addHeader(context.headers, 'ratelimit', rateField);
        }
        return undefined;
      };
      const decision = decide(context.request, (deadline) => store.quota(`${name}:${key}`, input, deadline));
      return decision instanceof Promise ? decision.then(conclude) : conclude(decision);
    },
  };
}
