import { invalidOption } from '../catalog/config-error.js';
import { RoleError, roleError } from '../catalog/role-error.js';
import type { Awaitable, RateDecision, RateInput, RateStore } from '../stores/types.js';
import { toCount, toMs } from './duration.js';
import { admitted, type Decide } from './failure.js';
import { seconds } from './raise.js';
import { notify, type RateDenial } from './rate-options.js';
import type { Compiled } from './rate-policy.js';
import type { Duration, GuardContext, GuardRequest } from './types.js';

/** A temporary ban after repeated denials (@fastify/rate-limit's `ban`, rate-limiter-flexible's `blockDuration`). */
export interface RateBan {
  /** The denials under one policy and key that start the ban. */
  after: number;
  /** How long the key is refused, without consulting the policy. */
  for: Duration;
  /**
   * The window the denials are counted in: `after` denials faster than `after` per `within` ban the key.
   * @default the ban's duration (`for`)
   */
  within?: Duration;
}

/** The store key spaces of a ban's state: no rate policy may be named into them (see `compile`). */
export const banSpaces: readonly string[] = ['rateLimit-ban:', 'rateLimit-strikes:'];

/** The store keys of a ban's state for one policy and caller: the ban itself and its strike budget. */
export function banKeys(policy: string, key: string): { readonly ban: string; readonly strikes: string } {
  return { ban: `${banSpaces[0]}${policy}:${key}`, strikes: `${banSpaces[1]}${policy}:${key}` };
}

/** The refunds that forget a ban's state (a full budget back, and then some: the store clamps at empty). */
export function banResets(ban: RateBan): { readonly ban: RateInput; readonly strikes: RateInput } {
  const after = toCount(ban.after, 'rateLimit ban.after');
  const span = toMs(ban.for, 'rateLimit ban.for');
  const within = ban.within === undefined ? span : toMs(ban.within, 'rateLimit ban.within');
  return {
    ban: { interval: span, tolerance: span, cost: -2 },
    strikes: { interval: within / after, tolerance: within, cost: -(after + 1) },
  };
}

/**
 * A check behind a ban, on the guard's RateStore alone (two GCRA keys per policy and key): each denial
 * spends one unit of a strike budget of `after` per `within`; the denial that empties it starts the ban,
 * a GCRA state of one unit of `for`. Every request first reads the ban with a zero-interval refund, which
 * changes nothing and answers the time left. A banned key is answered 429 with `Retry-After` to the end of
 * the ban; no policy decides, nothing is spent.
 */
export function banning(
  ban: RateBan,
  policies: readonly Compiled[],
  store: RateStore,
  decide: Decide,
  onDenied: ((request: GuardRequest, denial: RateDenial) => unknown) | undefined,
  check: (context: GuardContext) => Awaitable<RoleError | undefined>,
  code?: string,
): (context: GuardContext) => Awaitable<RoleError | undefined> {
  if (typeof ban !== 'object' || ban === null) throw invalidOption('rateLimit ban must be { after, for }');
  const after = toCount(ban.after, 'rateLimit ban.after');
  const span = toMs(ban.for, 'rateLimit ban.for');
  const within = ban.within === undefined ? span : toMs(ban.within, 'rateLimit ban.within');
  // A policy named into the ban's spaces is refused when it is compiled, with or without a ban.
  const read: RateInput = { interval: 0, tolerance: 0, cost: -1 };
  const start: RateInput = { interval: span, tolerance: span, cost: 1 };
  const strike: RateInput = { interval: within / after, tolerance: within, cost: 1 };
  const banKey = (policy: Compiled, key: string) => banKeys(policy.name, key).ban;

  function banned(request: GuardRequest, policy: Compiled, key: string, left: number): RoleError {
    const retryAfter = seconds(left);
    notify(onDenied, request, { policy: policy.name, policies: [policy.name], key, retryAfter });
    return roleError('rateLimited', {
      details: { policies: [policy.name] },
      headers: { 'retry-after': String(retryAfter), ratelimit: `${policy.label};r=0;t=${retryAfter}` },
      code,
    });
  }

  // A denial counts one strike per policy that denied; the strike that empties the budget starts the ban.
  // The denial is answered once both are written, so that the caller's next request meets the ban. What
  // is no denial of the policies (a store failure answered closed) is thrown on as it came.
  function struck(request: GuardRequest, error: unknown): Awaitable<RoleError> {
    const details = error instanceof RoleError && error.role === 'rateLimited' ? error.details : undefined;
    const denied = (details as { policies?: unknown } | undefined)?.policies;
    if (!Array.isArray(denied)) throw error;
    const pending: Promise<unknown>[] = [];
    for (const policy of policies) {
      if (!denied.includes(policy.name)) continue;
      const key = policy.key(request);
      if (key === undefined) continue;
      const strikes = banKeys(policy.name, key).strikes;
      try {
        const decision = decide(request, (deadline) => store.rate(strikes, strike, deadline));
        const conclude = (answer: RateDecision | typeof admitted) =>
          answer !== admitted && (!answer.allowed || answer.remaining === 0)
            ? decide(request, (deadline) => store.rate(banKey(policy, key), start, deadline))
            : undefined;
        const done = decision instanceof Promise ? decision.then(conclude) : conclude(decision);
        if (done instanceof Promise) pending.push(done.catch(() => undefined));
      } catch {
        // A strike the store could not count only spares the caller a ban; the denial stands.
      }
    }
    const denial = error as RoleError;
    if (pending.length === 0) return denial;
    return Promise.all(pending).then(() => denial);
  }

  function checked(context: GuardContext): Awaitable<RoleError | undefined> {
    const strike = (denial: RoleError | undefined) =>
      denial === undefined ? denial : struck(context.request, denial);
    try {
      const answer = check(context);
      return answer instanceof Promise
        ? answer.then(strike, (error: unknown) => struck(context.request, error))
        : strike(answer);
    } catch (error) {
      return struck(context.request, error);
    }
  }

  return (context) => {
    const { request } = context;
    const reads: Promise<RoleError | undefined>[] = [];
    for (const policy of policies) {
      const key = policy.key(request);
      if (key === undefined) continue;
      const left = decide(request, (deadline) => store.rate(banKey(policy, key), read, deadline));
      if (left instanceof Promise) {
        reads.push(
          left.then((answer) =>
            answer !== admitted && answer.reset > 0 ? banned(request, policy, key, answer.reset) : undefined,
          ),
        );
      } else if (left !== admitted && left.reset > 0) return banned(request, policy, key, left.reset);
    }
    if (reads.length === 0) return checked(context);
    return Promise.all(reads).then((bans) => bans.find((ban) => ban !== undefined) ?? checked(context));
  };
}
