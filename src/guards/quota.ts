import { invalidOption } from '../catalog/config-error.js';
import { roleError } from '../catalog/role-error.js';
import type { QuotaDecision, QuotaStore } from '../stores/types.js';
import { checkTimeZone, type Period, periodEdges } from './calendar.js';
import { claimNames } from './claims.js';
import { toCount } from './duration.js';
import { admitted, compileFailure, storeOf } from './failure.js';
import { errorCodeOf, type GuardError } from './guard-error.js';
import { countOf, refundOnFailure, valueFor } from './per-request.js';
import { addRateFields, seconds, sfString } from './raise.js';
import type { Count, Guard, GuardContext, KeyOf, PerRequest, StoreOptions } from './types.js';

/** Options of `quota`. */
export interface QuotaOptions extends StoreOptions<QuotaStore> {
  /**
   * The catalog error a denial answers instead of `QUOTA_EXCEEDED`: the catalog's entry, checked now (an error
   * status; its message names only `{policies}`), or its code, checked when the handler answers.
   * @example error: errors.entries.PLAN_QUOTA_EXCEEDED
   */
  error?: GuardError;
  /**
   * The policy's name in `RateLimit-Policy` and `RateLimit`; the quota's state is kept under it.
   * Required when `limit` is a function.
   * @default `${limit}-per-${per}`
   */
  name?: string;
  /** The key the quota counts under (a workspace, an API key); `undefined` skips the guard. */
  key: KeyOf;
  /**
   * Requests per period, or a function of the request giving them (a plan's quota), checked on each
   * call: one that is not a whole number above 0 answers the catalog's 500 and logs a configuration
   * error. A changed limit applies from the next decision, against what the period has used so far.
   */
  limit: PerRequest<number>;
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
  /**
   * Which admitted requests use the quota: every one (`'all'`), or only those whose response succeeded
   * (`'succeeded'`, status below 400: a request the handler refuses, 4xx, or that fails, 5xx, gives its
   * unit back when its response is sent; one whose connection closes before the answer keeps it spent).
   * @default 'all'
   */
  count?: Count;
}

/**
 * A quota of requests per calendar day or month per key, reset at the period's boundary in a time zone;
 * a denial answers the catalog's `QUOTA_EXCEEDED` (429, apart from the burst limit) with `Retry-After`
 * pointing at the reset, and uses nothing. It spends at admission: by default every admitted request
 * counts, whatever its response, as on most metered APIs; `count: 'succeeded'` gives a failed one back.
 * @example
 * const daily = quota({ key: byHeader('x-api-key'), limit: 10_000, per: 'day', timeZone: 'Europe/Paris' });
 */
export function quota(options: QuotaOptions): Guard {
  const dynamic = typeof options.limit === 'function';
  const fixed = dynamic ? undefined : toCount(options.limit as number, 'quota limit');
  if (options.per !== 'day' && options.per !== 'month') {
    throw invalidOption(`quota per must be 'day' or 'month', got ${String(options.per)}`);
  }
  if (dynamic && options.name === undefined) {
    throw invalidOption('quota needs a name when its limit is a function: its state is kept under the name');
  }
  const count = options.count ?? 'all';
  if (count !== 'succeeded' && count !== 'all') {
    throw invalidOption(`quota count must be 'succeeded' or 'all', got ${String(count)}`);
  }
  const timeZone = options.timeZone ?? 'UTC';
  checkTimeZone(timeZone);
  const name = options.name ?? `${fixed}-per-${options.per}`;
  const store = storeOf(options, 'quota', 'QuotaStore');
  const code = errorCodeOf(options, 'quota', ['policies']);
  claimNames(store, 'quota', [{ space: 'quota', name, explicit: options.name !== undefined }]);
  const decide = compileFailure(options, store);
  // An async limit is a lookup of the application's: its failures are not the store's outage.
  const lookup = compileFailure(options, 'lookup');
  const headers = options.headers ?? true;
  const label = sfString(name);
  const what = `quota "${name}": limit(request)`;
  let cached: { edges: number[]; until: number } | undefined;

  function edges(now: number): number[] {
    // The edges change once a period; recomputing them (Intl) on every request would dominate.
    if (cached === undefined || now >= cached.until || now < cached.edges[1]!) {
      const next = periodEdges(now, options.per, timeZone);
      cached = { edges: next, until: next[2]! };
    }
    return cached.edges;
  }

  function run(context: GuardContext, key: string, limit: number) {
    const bounds = edges(Date.now());
    const storeKey = `${name}:${key}`;
    const input = { limit, cost: 1, bounds };
    const conclude = (decision: QuotaDecision | typeof admitted) => {
      if (decision === admitted) return undefined;
      const window = Math.max(1, Math.round((bounds[2]! - bounds[1]!) / 1000));
      const policyField = `${label};q=${limit};w=${window}`;
      const rateField = `${label};r=${Math.max(0, limit - decision.used)};t=${seconds(decision.reset)}`;
      // The denial is returned, as `rateLimit`'s is: a result, not a throw.
      if (!decision.allowed) {
        return roleError('quotaExceeded', {
          details: { policies: [name] },
          headers: {
            'retry-after': String(seconds(decision.reset)),
            'ratelimit-policy': policyField,
            ratelimit: rateField,
          },
          code,
        });
      }
      if (count === 'succeeded') {
        refundOnFailure(context, () => {
          // A unit of a period that has ended is not given back to the next one.
          if (Date.now() >= bounds[2]!) return;
          const refund = { limit, cost: -1, bounds };
          decide.giveBack(context.request, () => store.quota(storeKey, refund));
        });
      }
      if (headers) {
        addRateFields(context.headers, policyField, rateField);
      }
      return undefined;
    };
    const decision = decide(context.request, (deadline) => store.quota(storeKey, input, deadline));
    return decision instanceof Promise ? decision.then(conclude) : conclude(decision);
  }

  return {
    kind: 'quota',
    check(context) {
      const key = options.key(context.request);
      if (key === undefined) return undefined;
      if (fixed !== undefined) return run(context, key, fixed);
      const limit = valueFor(options.limit, context.request);
      if (limit instanceof Promise) {
        return lookup
          .settle(limit, context.request)
          .then((given) => (given === admitted ? undefined : run(context, key, countOf(given, what))));
      }
      return run(context, key, countOf(limit, what));
    },
  };
}
