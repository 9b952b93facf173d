/**
 * The limits of seed 004: a per-IP rate limit in front of authentication, and on outbound calls a burst
 * limit per signed-in user of a workspace, the plan's daily quota, and `Idempotency-Key`.
 */
import { byIp, type Guard, idempotency, quota, rateLimit } from 'faultline/guards';
import { guard } from 'faultline/hono';
import type { Store } from 'faultline/stores';
import type { Identity } from './identity.js';
import type { Workspaces } from './workspaces.js';

/** Every request, per client address, before any credential is looked at. */
export function ipLimit(perMinute: number, store: Store) {
  return guard(rateLimit({ name: 'ip', key: byIp, limit: perMinute, period: '1m', store }));
}

const workspaceOf = (request: { url?: string | undefined }) =>
  /\/workspaces\/([^/]+)\//.exec(request.url ?? '')?.[1];
const tokenOf = (request: { headers?: unknown }) =>
  (request.headers as Headers | undefined)?.get?.('authorization')?.replace(/^Bearer\s+/i, '');

export interface CallLimits {
  /** Outbound calls per user of a workspace per second. */
  burst: number;
  /** Outbound calls per workspace per day, by plan. */
  quotas: { trial: number; active: number };
}

/** The guards of `POST /workspaces/:ws/calls`; they run after the caller is signed in. */
export function callGuards(identity: Identity, workspaces: Workspaces, limits: CallLimits, store: Store) {
  const planQuota = {
    trial: quota({
      name: 'trial-calls-per-day',
      key: workspaceOf,
      limit: limits.quotas.trial,
      per: 'day',
      store,
    }),
    active: quota({
      name: 'calls-per-day',
      key: workspaceOf,
      limit: limits.quotas.active,
      per: 'day',
      store,
    }),
  };
  // The daily call quota follows the workspace's plan: one quota guard per plan, keyed by workspace.
  const quotaByPlan: Guard = {
    kind: 'quota',
    check(context) {
      const plan = workspaces.all.get(workspaceOf(context.request) ?? '')?.plan;
      return plan === 'trial' || plan === 'active' ? planQuota[plan].check(context) : undefined;
    },
  };
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
    quotaByPlan,
    idempotency({ tenant: (r) => workspaceOf(r) ?? '', methods: ['POST'], store }),
  );
}
