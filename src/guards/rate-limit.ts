import { invalidOption } from '../catalog/config-error.js';
import type { RoleError } from '../catalog/role-error.js';
import type { RateDecision, RateStore, WindowStore } from '../stores/types.js';
import { claimNames, type NameClaim } from './claims.js';
import { admitted, compileFailure, storeOf } from './failure.js';
import { errorCodeOf, type GuardError } from './guard-error.js';
import { addRateFields, seconds } from './raise.js';
import { banning, type RateBan } from './rate-ban.js';
import {
  costOf,
  countingOf,
  formatOf,
  notify,
  type RateCount,
  type RateDenial,
  type RateHeaders,
  refundUnless,
  setTrio,
  skipping,
  trioOf,
} from './rate-options.js';
import { algorithmOf, type Compiled, compile, type RatePolicy } from './rate-policy.js';
import { checkSeveral } from './rate-several.js';
import { refundOf, type Shape, weigh } from './rate-shape.js';
import { type RateLimitGuard, withState } from './rate-state.js';
import type { GuardContext, GuardRequest, StoreOptions } from './types.js';

export type { RateBan } from './rate-ban.js';
export type { RateCount, RateDenial, RateHeaders } from './rate-options.js';
export type { RateAlgorithm, RatePolicy } from './rate-policy.js';
export type { RateKeyOptions, RateLimitGuard, RateLimitState } from './rate-state.js';

/** Options of `rateLimit`: one policy, or several that each request must pass. */
export interface RateLimitOptions extends StoreOptions<RateStore | WindowStore> {
  /** The policies; a request is admitted only when every policy admits it. */
  policies: readonly RatePolicy[];
  /**
   * The fields that show the limit: the IETF draft's `RateLimit` and `RateLimit-Policy` (`'draft-10'`,
   * or `true`), the older drafts' `RateLimit-Limit` / `-Remaining` / `-Reset` with `RateLimit-Policy`
   * (`'draft-6'`), `X-RateLimit-Limit` / `-Remaining` / `-Reset` (`'legacy'`, reset in seconds from
   * now), or none on admitted responses (`false`; denials then carry the draft's fields). A trio shows one
   * policy: the one with the fewest units left (on a denial, the one whose wait answered).
   * @default 'draft-10'
   */
  headers?: RateHeaders;
  /**
   * Requests not to count, e.g. health checks: `true` admits the request untouched (nothing spent, no
   * fields). It may return a promise: one that rejects or outlasts `storeTimeout` is answered by
   * `onStoreError`. An answer that is not a boolean answers the catalog's 500 and logs a configuration error.
   */
  skip?: (request: GuardRequest) => boolean | Promise<boolean>;
  /**
   * The units a request spends under every policy (a weighted request, as rate-limiter-flexible's
   * `consume(key, points)`), or a function of the request giving them. A whole number above 0: a function's
   * other answer is a configuration error (500, logged), never an admission. A denied request spends
   * nothing; a cost above a policy's burst (GCRA) or limit (fixed window) is always denied.
   * @default 1
   */
  cost?: number | ((request: GuardRequest) => number);
  /**
   * Called once per denied request (for logs, metrics or a ban list of one's own), after the decision:
   * what it throws or rejects with is ignored and never changes the answer.
   */
  onDenied?: (request: GuardRequest, denial: RateDenial) => unknown;
  /**
   * Refuses a key for `for` after `after` denials under one policy within `within` (default `for`),
   * without consulting the policy: 429 with `Retry-After` to the end of the ban, nothing spent. Its state
   * is two more GCRA keys per policy and key, on the guard's store; each request reads the ban first.
   * @example ban: { after: 5, for: '15m' }
   */
  ban?: RateBan;
  /**
   * Which admitted requests spend: `'all'`, only those whose response succeeded (`'succeeded'`, status
   * below 400), or only those that failed (`'failed'`, status 400 and above: failed logins). The others
   * give their units back when their response is sent; a request whose connection closes before the
   * answer keeps them spent.
   * @default 'all'
   */
  count?: RateCount;
  /**
   * The catalog error a denial answers instead of `RATE_LIMITED` (a plan's own code): the catalog's entry,
   * checked now (an error status; its message names only `{policies}`), or its code. Its details are
   * `{ policies }` and its headers the limit's fields, as for the built-in code.
   * @example error: errors.entries.PLAN_RATE_LIMITED
   */
  error?: GuardError;
}

/**
 * Limits the rate of requests per key with GCRA (exact, smooth, one timestamp per key) or, per policy, a
 * fixed window (`algorithm: 'fixed-window'`: at most `limit` per window), under one or several policies;
 * a denial answers the catalog's `RATE_LIMITED` (429) with `Retry-After` and the IETF
 * `RateLimit-Policy` / `RateLimit` fields, which admitted responses carry too, showing the limit that
 * applied. A policy's `limit` and `period` may be functions of the request (a tenant's own limit).
 * It spends at admission: an admitted request counts whatever its response (as express-rate-limit by
 * default; `count` keeps only successes or only failures); a denied one, or one another policy denies,
 * costs nothing. `skip`, a policy's `allow`, `cost`, `onDenied`, `headers` and `ban` are the options
 * users of express-rate-limit, @fastify/rate-limit and rate-limiter-flexible set; with none of them,
 * a request does no more work.
 * @example
 * const limit = rateLimit({
 *   policies: [
 *     { name: 'per-app', key: byHeader('x-app-id'), limit: (r) => planOf(r).perMinute, period: '1m' },
 *     { name: 'per-ip', key: byIp, limit: 100, period: '1m', burst: 20 },
 *   ],
 * });
 */
export function rateLimit(
  options: RateLimitOptions | (RatePolicy & Omit<RateLimitOptions, 'policies'>),
): RateLimitGuard {
  const list = 'policies' in options ? options.policies : [options as RatePolicy];
  if (list.length === 0) throw invalidOption('rateLimit needs at least one policy');
  const names = new Set<string>();
  // A store is refused when the guard is made, not on the first request that meets a missing method: GCRA
  // policies and a ban keep their state with rate(), fixed-window policies with window().
  const algorithms = list.map(algorithmOf);
  const needsWindows = algorithms.includes('fixed-window');
  const needsRates = options.ban !== undefined || algorithms.includes('gcra');
  const banOnly = options.ban !== undefined && !algorithms.includes('gcra');
  const why = banOnly ? 'a ban keeps GCRA state, so its store needs rate() as well as window()' : undefined;
  const store = storeOf(options, 'rateLimit', needsRates ? 'RateStore' : 'WindowStore', why);
  if (needsWindows && needsRates && options.store != null) storeOf(options, 'rateLimit', 'WindowStore');
  const decide = compileFailure(options, store);
  // An async limit is a lookup of the application's: its failures are not the store's outage.
  const lookup = compileFailure(options, 'lookup');
  const format = formatOf(options.headers);
  const headers = format === 'draft-10';
  // The trio formats build their own fields; the draft's are built on the fast path.
  const trio = format === 'draft-6' || format === 'legacy' ? format : undefined;
  const cost = costOf(options.cost);
  const costFn = typeof cost === 'function' ? cost : undefined;
  const { onDenied } = options;
  const counting = countingOf(options.count);
  const fixedCost = typeof cost === 'number' ? cost : 1;
  const code = errorCodeOf(options, 'rateLimit', ['policies']);
  const policies = list.map((policy, index) => compile(policy, index, names, store, lookup, fixedCost, code));
  // Claimed once every policy is valid: a definition refused halfway leaves no name taken.
  claimNames(
    store,
    'rateLimit',
    policies.flatMap((policy, index): NameClaim[] => {
      const space = algorithms[index] === 'fixed-window' ? 'window' : 'rate';
      const explicit = list[index]!.name !== undefined;
      const own: NameClaim = { space, name: policy.name, explicit };
      // A ban keeps its state under the policy's name whatever the policy's algorithm.
      return options.ban === undefined ? [own] : [own, { space: 'ban', name: policy.name, explicit }];
    }),
  );

  // The last denial of the one policy, by its shape and wait: a flood of denials within one second, over
  // any number of keys, answers with the same descriptor instead of building headers for each.
  let deniedShape: Shape | undefined;
  let deniedWait = -1;
  let denial: RoleError | undefined;

  // One policy (the common case): no arrays, no closures per request.
  function concludeOne(
    context: GuardContext,
    policy: Compiled,
    key: string,
    shape: Shape,
    decision: RateDecision | typeof admitted,
  ): RoleError | undefined {
    if (decision === admitted) return undefined;
    if (!decision.allowed) {
      const wait = seconds(decision.retryAfterMs);
      if (onDenied !== undefined) {
        const denial = { policy: policy.name, policies: [policy.name], key, retryAfter: wait };
        notify(onDenied, context.request, denial);
      }
      // The denial is returned, not thrown: unwinding a throw costs more than the rest of the decision.
      if (wait === deniedWait && shape === deniedShape) return denial;
      denial = trio
        ? policy.deny(trioOf(trio, shape.limit, shape.window, 0, wait, { 'retry-after': String(wait) }))
        : policy.deny({
            'retry-after': String(wait),
            'ratelimit-policy': shape.policyField,
            ratelimit: `${policy.label};r=0;t=${wait}`,
          });
      deniedShape = shape;
      deniedWait = wait;
      return denial;
    }
    if (counting !== undefined) {
      // No deadline: a refund that runs late still gives the units back (to the window they were spent in).
      const refund = refundOf(shape, decision);
      refundUnless(context, counting, () => decide.giveBack(context.request, () => policy.rate(key, refund)));
    }
    if (headers) {
      const rate = `${policy.remainingPrefix}${decision.remaining};t=${seconds(decision.reset)}`;
      addRateFields(context.headers, shape.policyField, rate);
    } else if (trio) {
      const t = seconds(decision.reset);
      setTrio(context.headers, trioOf(trio, shape.limit, shape.window, decision.remaining, t));
    }
    return undefined;
  }

  function decideOne(context: GuardContext, policy: Compiled, key: string, given: Shape) {
    const shape = costFn === undefined ? given : weigh(given, costFn(context.request));
    const shut = decide.refused(context.request);
    if (shut !== undefined)
      return concludeOne(context, policy, key, shape, decide.fail(shut, context.request));
    const deadline = decide.deadline();
    let decision: RateDecision | typeof admitted | Promise<RateDecision>;
    try {
      decision = policy.rate(key, shape.input, deadline);
    } catch (error) {
      decision = decide.fail(error, context.request);
    }
    if (decision instanceof Promise) {
      return decide
        .settle(decision, context.request, deadline)
        .then((settled) => concludeOne(context, policy, key, shape, settled));
    }
    if (decision !== admitted) decide.answered();
    return concludeOne(context, policy, key, shape, decision);
  }

  function checkOne(context: GuardContext, policy: Compiled) {
    const key = policy.key(context.request);
    if (key === undefined) return undefined;
    const fixed = policy.fixed;
    if (fixed !== undefined) return decideOne(context, policy, key, fixed);
    const shape = policy.shapeOf(context.request);
    if (shape instanceof Promise) {
      return shape.then((settled) =>
        settled === admitted ? undefined : decideOne(context, policy, key, settled),
      );
    }
    return decideOne(context, policy, key, shape);
  }

  const single = policies.length === 1 ? policies[0] : undefined;
  const checkAll = single
    ? undefined
    : checkSeveral({ policies, decide, headers, trio, costFn, onDenied, counting, code });
  const plain = (context: GuardContext) => (single ? checkOne(context, single) : checkAll!(context));
  // A ban's state is GCRA's: with a ban, the store was checked as a RateStore.
  const banStore = store as RateStore;
  const check =
    options.ban === undefined
      ? plain
      : banning(options.ban, policies, banStore, decide, onDenied, plain, code);
  if (options.skip !== undefined && typeof options.skip !== 'function') {
    throw invalidOption('rateLimit skip must be a function');
  }
  const guard = { kind: 'rateLimit', check: options.skip ? skipping(options.skip, lookup, check) : check };
  return withState(guard, policies, banStore, options.ban, options.storeTimeout ?? 1000);
}
