import { FaultlineConfigError, invalidOption } from '../catalog/config-error.js';
import type { RoleError } from '../catalog/role-error.js';
import type { Awaitable } from '../stores/types.js';
import { admitted, type Decide } from './failure.js';
import { countOf, quietly } from './per-request.js';
import type { GuardContext, GuardRequest } from './types.js';

/**
 * Which fields carry the limit: the IETF draft's `RateLimit` and `RateLimit-Policy` lists (`'draft-10'`),
 * the older drafts' `RateLimit-Limit` / `-Remaining` / `-Reset` trio with `RateLimit-Policy: q;w=`
 * (`'draft-6'`, express-rate-limit's `standardHeaders: 'draft-6'`), the `X-RateLimit-*` trio
 * (`'legacy'`), or none on admitted responses (`false`).
 */
export type RateHeaders = 'draft-10' | 'draft-6' | 'legacy' | boolean;

/** What `onDenied` learns of one denied request. */
export interface RateDenial {
  /** The policy whose wait answered (the longest when several denied). */
  readonly policy: string;
  /** Every policy that denied the request. */
  readonly policies: readonly string[];
  /** The caller's key under `policy`. */
  readonly key: string;
  /** The `Retry-After` sent, in seconds. */
  readonly retryAfter: number;
}

/** The header format, checked when the guard is created. */
export function formatOf(option: RateHeaders | undefined): 'draft-10' | 'draft-6' | 'legacy' | false {
  if (option === undefined || option === true || option === 'draft-10') return 'draft-10';
  if (option === false || option === 'draft-6' || option === 'legacy') return option;
  throw invalidOption(
    `rateLimit headers must be 'draft-10', 'draft-6', 'legacy' or false, got ${String(option)}`,
  );
}

/**
 * The trio of one policy's limit, remaining units and seconds to wait (`t`): `RateLimit-*` as the
 * drafts up to 6 wrote them, or `X-RateLimit-*`, whose reset is also in seconds from now (as
 * @fastify/rate-limit sends it: a delay needs no synchronised clock).
 */
export function trioOf(
  format: 'draft-6' | 'legacy',
  limit: number,
  window: number,
  remaining: number,
  t: number,
  into: Record<string, string> = {},
): Record<string, string> {
  if (format === 'draft-6') {
    into['ratelimit-policy'] = `${limit};w=${window}`;
    into['ratelimit-limit'] = String(limit);
    into['ratelimit-remaining'] = String(remaining);
    into['ratelimit-reset'] = String(t);
  } else {
    into['x-ratelimit-limit'] = String(limit);
    into['x-ratelimit-remaining'] = String(remaining);
    into['x-ratelimit-reset'] = String(t);
  }
  return into;
}

/** Sets a trio on the admitted response's headers. */
export function setTrio(headers: Map<string, string>, trio: Record<string, string>): void {
  for (const name in trio) headers.set(name, trio[name]!);
}

/**
 * The weight of requests: undefined for 1 (the fast path), a number checked once, or a function of the
 * request whose every answer is checked (a configuration error, 500 and logged, never an admission).
 */
export function costOf(
  option: number | ((request: GuardRequest) => number) | undefined,
): number | ((request: GuardRequest) => number) | undefined {
  if (option === undefined || option === 1) return undefined;
  if (typeof option === 'function') {
    return (request) => countOf(option(request), 'rateLimit cost(request)');
  }
  if (typeof option === 'number' && Number.isSafeInteger(option) && option > 0) return option;
  throw new FaultlineConfigError(
    'FAULTLINE_INVALID_OPTION',
    `rateLimit cost must be a whole number above 0 or a function of the request, got ${String(option)}`,
  );
}

/** Calls the denial hook; its throw or rejection never changes the answer. */
export function notify(
  hook: ((request: GuardRequest, denial: RateDenial) => unknown) | undefined,
  request: GuardRequest,
  denial: RateDenial,
): void {
  if (hook !== undefined) quietly(() => hook(request, denial));
}

/**
 * A check behind `skip`: a request it answers `true` for is admitted untouched (nothing spent, no
 * fields). An async answer that rejects or outlasts `storeTimeout` is answered by `onStoreError`, as an
 * async limit is; an answer that is not a boolean is a configuration error.
 */
export function skipping(
  skip: (request: GuardRequest) => boolean | Promise<boolean>,
  lookup: Decide,
  check: (context: GuardContext) => Awaitable<RoleError | undefined>,
): (context: GuardContext) => Awaitable<RoleError | undefined> {
  const decideBy = (context: GuardContext, verdict: unknown) => {
    if (verdict === false) return check(context);
    if (verdict === true || verdict === admitted) return undefined;
    throw new FaultlineConfigError(
      'FAULTLINE_INVALID_OPTION',
      `rateLimit skip(request) gave ${typeof verdict}; it takes true or false`,
    );
  };
  return (context) => {
    const verdict = skip(context.request);
    if (verdict instanceof Promise) {
      return lookup.settle(verdict, context.request).then((settled) => decideBy(context, settled));
    }
    return decideBy(context, verdict);
  };
}

/**
 * Which admitted requests spend: all (the default), only those whose response succeeded (status below
 * 400, express-rate-limit's `skipFailedRequests`), or only those that failed (`skipSuccessfulRequests`,
 * e.g. failed logins). The others give their units back when their response is sent; one whose
 * connection closes before an answer keeps them spent, as its handler may have run.
 */
export type RateCount = 'all' | 'succeeded' | 'failed';

/** The counting rule, checked when the guard is created; undefined for `'all'` (the fast path). */
export function countingOf(option: RateCount | undefined): 'succeeded' | 'failed' | undefined {
  if (option === undefined || option === 'all') return undefined;
  if (option === 'succeeded' || option === 'failed') return option;
  throw invalidOption(`rateLimit count must be 'all', 'succeeded' or 'failed', got ${String(option)}`);
}

/** Gives an admission's units back when its response is of the kind that does not count. */
export function refundUnless(
  context: GuardContext,
  counting: 'succeeded' | 'failed',
  refund: () => void,
): void {
  context.onFinish((status) => {
    if (status === undefined) return;
    if (counting === 'succeeded' ? status >= 400 : status < 400) refund();
  });
}
