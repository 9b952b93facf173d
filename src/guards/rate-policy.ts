import { FaultlineConfigError, invalidOption } from '../catalog/config-error.js';
import type { RoleError } from '../catalog/role-error.js';
import type { Awaitable, RateStore, WindowStore } from '../stores/types.js';
import { toCount, toMs } from './duration.js';
import type { Decide } from './failure.js';
import { admitted } from './failure.js';
import { countOf, durationOf, valueFor } from './per-request.js';
import { denialOf, sfString } from './raise.js';
import { banSpaces } from './rate-ban.js';
import { decisionsOf, type PolicyRate, type Shape, shapeFor } from './rate-shape.js';
import type { Duration, GuardRequest, KeyOf, PerRequest } from './types.js';

/**
 * How a policy counts: GCRA (`'gcra'`: smooth, one request per `period / limit` once a burst is spent), or a
 * fixed window (`'fixed-window'`: `limit` requests per window of `period`, which starts at the key's first
 * counted request).
 */
export type RateAlgorithm = 'gcra' | 'fixed-window';

/**
 * One rate-limit policy: `limit` requests per `period` for each key, with GCRA's bursts up to `burst`, or in
 * fixed windows (`algorithm`).
 */
export interface RatePolicy {
  /**
   * The policy's name in `RateLimit-Policy` and `RateLimit`, and in the error's details; its state is
   * kept under it. Required when `limit` or `period` is a function.
   * @default `${limit}-per-${period in seconds}s`
   */
  name?: string;
  /** The key the policy counts under (an app id, an IP); `undefined` skips the policy. */
  key: KeyOf;
  /**
   * Requests per period, or a function of the request giving them (a tenant's own limit, called after
   * `key`, on every request the policy counts). Each answer is checked: one that is not a whole number
   * above 0 answers the catalog's 500 and logs a configuration error. A limit that changes for a key
   * applies from its next decision; the key's state (GCRA's theoretical arrival time) is read under the
   * new limit, so the share of the window already used carries over: after half of 4 per hour, a limit
   * raised to 8 leaves 4, and one lowered to 2 leaves 1.
   * @example limit: (request) => appsById.get(appIdOf(request))?.rateLimit ?? 600
   */
  limit: PerRequest<number>;
  /**
   * The period: ms or `'1m'`-style, or a function of the request giving it (checked like `limit`). A fixed
   * window's is rounded up to whole milliseconds; a period that changes ends a running window sooner, or
   * lengthens it from the next request it counts.
   */
  period: PerRequest<Duration>;
  /**
   * How many requests may arrive at once after a quiet spell (GCRA only).
   * @default limit (the limit that applies to the request)
   */
  burst?: number;
  /**
   * How the policy counts. GCRA (the default) spreads the limit evenly: after a burst of `burst` it admits
   * one request per `period / limit`, so any span of one period may admit up to `burst + limit`. A fixed
   * window admits `limit` requests in each window of `period` that starts at the key's first counted
   * request, then denies until the window ends: what an API documenting "600 requests per minute" promises
   * for the minute after a caller's first request (express-rate-limit's and @fastify/rate-limit's windows).
   * Two windows in a row may still admit `2 × limit` around their edge. It needs a store with `window()`
   * (a `WindowStore`: `memoryStore` and `redisStore` have it).
   * @default 'gcra'
   */
  algorithm?: RateAlgorithm;
  /**
   * Keys this policy never counts: a list (an internal monitor's app id), or a function of the key and
   * the request answering `true` to exempt it. An exempt key skips the policy, as an undefined key does:
   * it spends nothing and the policy adds no RateLimit field. Kept per policy, so that an allowlisted IP
   * never exempts an app id a caller could send with the same value.
   * @example allow: ['10.0.0.7']
   */
  allow?: readonly string[] | ((key: string, request: GuardRequest) => boolean);
}

/** One policy, compiled. */
export interface Compiled {
  readonly name: string;
  readonly key: KeyOf;
  readonly label: string;
  /** `label;r=`, the start of this policy's `RateLimit` item: one concatenation fewer per decision. */
  readonly remainingPrefix: string;
  /** The shape of a policy with a fixed limit and period; undefined when they are given per request. */
  readonly fixed: Shape | undefined;
  /**
   * The shape for one request (dynamic policies); `admitted` when an async limit failed and the failure
   * policy admits the request without this policy.
   */
  shapeOf(request: GuardRequest): Awaitable<Shape> | Promise<Shape | typeof admitted>;
  /** One decision under the caller's key (unprefixed): the memory store's namespace, or the prefixed key. */
  readonly rate: PolicyRate;
  /** The denial of this policy alone, prebuilt. */
  deny(headers: Record<string, string>): RoleError;
}

/** The policy's algorithm, checked. */
export function algorithmOf(policy: RatePolicy, index: number): RateAlgorithm {
  const algorithm = policy.algorithm ?? 'gcra';
  if (algorithm !== 'gcra' && algorithm !== 'fixed-window') {
    throw invalidOption(
      `rateLimit policy ${index} algorithm must be 'gcra' or 'fixed-window', got ${String(algorithm)}`,
    );
  }
  return algorithm;
}

/** The key function of a policy with an allowlist: an allowed key reads as undefined (the policy skips). */
function allowing(key: KeyOf, allow: RatePolicy['allow'], what: string): KeyOf {
  if (allow === undefined) return key;
  if (typeof allow === 'function') {
    return (request) => {
      const found = key(request);
      if (found === undefined) return undefined;
      const verdict = allow(found, request);
      if (typeof verdict !== 'boolean') {
        throw new FaultlineConfigError(
          'FAULTLINE_INVALID_OPTION',
          `${what} allow(key, request) gave ${typeof verdict}; it takes true or false`,
        );
      }
      return verdict ? undefined : found;
    };
  }
  if (!Array.isArray(allow) || allow.some((item) => typeof item !== 'string')) {
    throw invalidOption(`${what} allow must be a list of keys or a function`);
  }
  const allowed = new Set(allow);
  return (request) => {
    const found = key(request);
    return found === undefined || allowed.has(found) ? undefined : found;
  };
}

// Tenants share a few limits: their shapes are kept, up to a bound, instead of built per request.
const maxShapes = 256;

// The spaces of the state other guards keep on a RateStore (a cooldown's, a ban's): a policy keeps its own
// under `name:`, which must neither begin nor be begun by one of them, or a caller's key could reach it.
const reservedSpaces = ['cooldown:', ...banSpaces];

/**
 * Compiles one policy; `lookup` answers an async limit or period that rejects or outlasts the guard's
 * `storeTimeout` under its `onStoreError`, as a key lookup of `apiKey` is.
 */
export function compile(
  policy: RatePolicy,
  index: number,
  names: Set<string>,
  store: Partial<RateStore & WindowStore>,
  lookup: Decide,
  cost = 1,
  code?: string,
): Compiled {
  const what = `rateLimit policy ${index}`;
  const dynamic = typeof policy.limit === 'function' || typeof policy.period === 'function';
  if (dynamic && policy.name === undefined) {
    throw invalidOption(
      `${what} needs a name when its limit or period is a function: its state is kept under the name`,
    );
  }
  const windowed = algorithmOf(policy, index) === 'fixed-window';
  if (windowed && policy.burst !== undefined) {
    throw invalidOption(`${what}: burst applies to GCRA only; a fixed window admits its whole limit at once`);
  }
  const burst = policy.burst === undefined ? undefined : toCount(policy.burst, `${what} burst`);
  // A fixed limit or period is checked once, here; one given per request is checked on every request.
  const fixedLimit = typeof policy.limit === 'function' ? undefined : toCount(policy.limit, `${what} limit`);
  const fixedPeriod = typeof policy.period === 'function' ? undefined : toMs(policy.period, `${what} period`);
  const name = policy.name ?? `${fixedLimit}-per-${Math.max(1, Math.ceil((fixedPeriod ?? 0) / 1000))}s`;
  if (names.has(name)) throw invalidOption(`rateLimit: two policies are named "${name}"`);
  // `a` and `a:b` would meet on the store: "a:" + "b:x" is "a:b:" + "x".
  for (const other of names) {
    if (other.startsWith(`${name}:`) || name.startsWith(`${other}:`))
      throw invalidOption(`rateLimit: policies "${other}" and "${name}" would share keys on the store`);
  }
  if (reservedSpaces.some((space) => `${name}:`.startsWith(space) || space.startsWith(`${name}:`))) {
    throw invalidOption(
      `rateLimit policy "${name}": the name is kept for another guard's state on the store`,
    );
  }
  names.add(name);
  const label = sfString(name);
  const fixed =
    fixedLimit !== undefined && fixedPeriod !== undefined
      ? shapeFor(label, fixedLimit, fixedPeriod, burst, cost, windowed)
      : undefined;
  const limitWhat = `rateLimit policy "${name}": limit(request)`;
  const periodWhat = `rateLimit policy "${name}": period(request)`;
  // period → limit → shape, without a string key built per request.
  const shapes = new Map<number, Map<number, Shape>>();
  let kept = 0;
  const build = (given: unknown, span: unknown): Shape => {
    const limit = fixedLimit ?? countOf(given, limitWhat);
    const period = fixedPeriod ?? durationOf(span, periodWhat);
    let byLimit = shapes.get(period);
    let shape = byLimit?.get(limit);
    if (shape === undefined) {
      if (kept >= maxShapes) {
        shapes.clear();
        kept = 0;
        byLimit = undefined;
      }
      if (byLimit === undefined) {
        byLimit = new Map();
        shapes.set(period, byLimit);
      }
      shape = shapeFor(label, limit, period, burst, cost, windowed);
      byLimit.set(limit, shape);
      kept++;
    }
    return shape;
  };

  return {
    name,
    key: allowing(policy.key, policy.allow, what),
    label,
    remainingPrefix: `${label};r=`,
    fixed,
    shapeOf(request) {
      const limit = fixedLimit ?? valueFor(policy.limit, request);
      const period = fixedPeriod ?? valueFor(policy.period, request);
      if (limit instanceof Promise || period instanceof Promise) {
        return lookup
          .settle(Promise.all([limit, period]), request)
          .then((given) => (given === admitted ? admitted : build(given[0], given[1])));
      }
      return build(limit, period);
    },
    rate: decisionsOf(store, `${name}:`, windowed),
    deny: denialOf('rateLimited', Object.freeze({ policies: Object.freeze([name]) }), code),
  };
}
