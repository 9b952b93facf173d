/**
 * The limits of seed 004: a per-IP rate limit in front of authentication, per-IP password attempts and
 * ticket creation, forum writes per user, and on outbound calls a burst limit per signed-in user of a
 * workspace, the plan's quotas per day and per month, and `Idempotency-Key`.
 */
import { byIp, type GuardRequest, idempotency, quota, rateLimit } from 'faultline/guards';
import { guard } from 'faultline/hono';
import type { Store } from 'faultline/stores';
import type { Identity } from './identity.js';
import type { Workspaces } from './workspaces.js';

/**
 * Every request, per client address, before any credential is looked at. Its denials carry the RateLimit
 * fields; admitted answers do not, since this guard runs outermost and would write its fields over those
 * of the call limits inside it (the Hono guard sets them rather than adding to them).
 */
export function ipLimit(perMinute: number, store: Store) {
  return guard(rateLimit({ name: 'ip', key: byIp, limit: perMinute, period: '1m', store, headers: false }));
}

/**
 * Password attempts (sign-in, sign-up, password reset), per client address: each costs a password hash, a
 * second of a core and 128 MiB at the default cost, so an address gets a human's share of them rather than
 * the per-IP limit's. Its denial is `RATE_LIMITED` with `Retry-After`, before the body is read and so before
 * any hash.
 */
export function passwordLimit(perMinute: number, store: Store) {
  return guard(rateLimit({ name: 'passwords', key: byIp, limit: perMinute, period: '1m', store }));
}

/**
 * Anonymous ticket creation, per client address, in a fixed window of an hour: nothing else stands between
 * an address and the support desk's storage. Its denial is `RATE_LIMITED` with `Retry-After`.
 */
export function ticketLimit(perHour: number, store: Store) {
  return guard(
    rateLimit({
      name: 'tickets',
      key: byIp,
      limit: perHour,
      period: '1h',
      algorithm: 'fixed-window',
      store,
    }),
  );
}

/**
 * Forum threads and replies, per signed-in user, in a fixed window of an hour; it runs after the session is
 * read, so the key is the session's user however the header is spelled.
 */
export function forumLimit(identity: Identity, perHour: number, store: Store) {
  return guard(
    rateLimit({
      name: 'forum-writes',
      key: (request) => identity.principalOf(tokenOf(request)),
      limit: perHour,
      period: '1h',
      algorithm: 'fixed-window',
      store,
    }),
  );
}

/**
 * Address changes, per signed-in user, in a fixed window of an hour: each mails a link to an address the
 * caller names, or a notice to its holder. Counted alike for a free address and a taken one, so the denial
 * tells nothing about either.
 */
export function emailChangeLimit(identity: Identity, perHour: number, store: Store) {
  return guard(
    rateLimit({
      name: 'email-changes',
      // A token with no session here shares one budget, never none (the route refuses it before this runs).
      key: (request) => identity.principalOf(tokenOf(request)) ?? 'no-session',
      limit: perHour,
      period: '1h',
      algorithm: 'fixed-window',
      store,
    }),
  );
}

/**
 * The workspace of `/workspaces/:ws/…`: the URL's, which the member gate before these guards has checked
 * the caller belongs to.
 */
const workspaceOf = (request: GuardRequest) => request.params?.ws;
const tokenOf = (request: GuardRequest) =>
  (request.headers as Headers | undefined)?.get?.('authorization')?.replace(/^Bearer\s+/i, '');

/** A plan's quotas: the per-day budget and the per-month plan cap. */
export interface PlanQuota {
  day: number;
  month: number;
}

export interface CallLimits {
  /** Outbound calls per user of a workspace per second. */
  burst: number;
  /** Outbound calls per workspace per day and per month, by plan. */
  quotas: { trial: PlanQuota; active: PlanQuota };
}

/** The guards of `POST /workspaces/:ws/calls`; they run after the caller is signed in. */
export function callGuards(identity: Identity, workspaces: Workspaces, limits: CallLimits, store: Store) {
  const planOf = (request: GuardRequest) => {
    const plan = workspaces.all.get(workspaceOf(request) ?? '')?.plan;
    return plan === 'trial' || plan === 'active' ? plan : undefined;
  };
  // One counter per workspace and period, its limit the plan's: an upgrade raises the limit of what the
  // period has used. A workspace without a plan skips the quotas (`SubscriptionGuard` refuses the call).
  // Only placed calls count: a call refused past the guards (blocked, suspended, provider failing) gives
  // its unit back.
  const perPlan = (per: 'day' | 'month') =>
    quota({
      name: `calls-per-${per}`,
      key: (request) => (planOf(request) ? workspaceOf(request) : undefined),
      limit: (request) => limits.quotas[planOf(request) ?? 'trial'][per],
      per,
      count: 'succeeded',
      store,
    });
  return guard(
    // The key first: a retry of a call already placed is answered its replay, and spends neither the
    // burst nor the quotas the call it repeats has spent once (a 429 is not kept, so its retry runs).
    idempotency({ tenant: (request) => workspaceOf(request) ?? '', methods: ['POST'], store }),
    rateLimit({
      policies: [
        {
          name: 'burst',
          // The user the session belongs to, not the header's spelling: "Bearer T" and "bearer  T" are
          // one caller. Authentication ran first, so a request here always has a user.
          key: (request) => {
            const ws = workspaceOf(request);
            return ws && `${ws}:${identity.principalOf(tokenOf(request)) ?? 'unauthenticated'}`;
          },
          limit: limits.burst,
          period: '1s',
        },
      ],
      store,
    }),
    perPlan('day'),
    perPlan('month'),
  );
}
