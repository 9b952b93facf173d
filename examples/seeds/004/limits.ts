/**
 * The limits of seed 004: a per-IP rate limit in front of authentication, and on outbound calls a burst
 * limit per signed-in user of a workspace, the plan's quotas per day and per month, and `Idempotency-Key`.
 */
import { byIp, type Guard, idempotency, quota, rateLimit } from 'faultline/guards';
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

const workspaceOf = (request: { url?: string | undefined }) =>
  /\/workspaces\/([^/]+)\//.exec(request.url ?? '')?.[1];
const tokenOf = (request: { headers?: unknown }) =>
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
  const plans = ['trial', 'active'] as const;
  // One pair of quota guards per plan, keyed by workspace: the day's budget, then the month's cap.
  const planQuota = Object.fromEntries(
    plans.map((plan) => {
      const prefix = plan === 'trial' ? 'trial-calls' : 'calls';
      const per = (period: 'day' | 'month') =>
        quota({
          name: `${prefix}-per-${period}`,
          key: workspaceOf,
          limit: limits.quotas[plan][period],
          per: period,
          store,
        });
      return [plan, [per('day'), per('month')]];
    }),
  ) as Record<(typeof plans)[number], Guard[]>;
  const byPlan = (index: number): Guard => ({
    kind: 'quota',
    check(context) {
      const plan = workspaces.all.get(workspaceOf(context.request) ?? '')?.plan;
      return plan === 'trial' || plan === 'active' ? planQuota[plan][index]!.check(context) : undefined;
    },
  });
  return guard(
    rateLimit({
      policies: [
        {
          name: 'burst',
          // The user the session belongs to, not the header's spelling: "Bearer T" and "bearer  T" are
          // one caller. Authentication ran first, so a request here always has a user.
          key: (r) => {
            const ws = workspaceOf(r);
            return ws && `${ws}:${identity.principalOf(tokenOf(r)) ?? 'unauthenticated'}`;
          },
          limit: limits.burst,
          period: '1s',
        },
      ],
      store,
    }),
    byPlan(0),
    byPlan(1),
    idempotency({ tenant: (r) => workspaceOf(r) ?? '', methods: ['POST'], store }),
  );
}
