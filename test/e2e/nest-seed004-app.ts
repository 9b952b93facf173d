import 'reflect-metadata';
import {
  Body,
  type CanActivate,
  Controller,
  type ExecutionContext,
  Param,
  Post,
  Put,
  UseGuards,
} from '@nestjs/common';
import { type Guard, type GuardRequest, idempotency } from 'faultline/guards';
import { FaultlineGuard } from 'faultline/nest';
import { memoryStore } from 'faultline/stores';
import { errors } from '../../examples/reference/004.js';
import { route } from './nest-app.js';

/**
 * Seed 004's workspace gates as a Nest app has them: `VerifiedUserGuard` and `SubscriptionGuard` (the
 * page names both) as faultline guards run by `FaultlineGuard`, seed 004's `Idempotency-Key` on calls,
 * and `EntitlementGuard` as a plain Nest guard throwing the catalog's error.
 */

/** Sessions by bearer token: a verified owner and a user who has not verified their address. */
const users = new Map([
  ['tok-verified', { verified: true }],
  ['tok-unverified', { verified: false }],
]);
/** Workspaces by id, with their plan and entitlements. */
const workspaces = new Map([
  ['ws_active', { plan: 'active', entitlements: new Set(['branding']) }],
  ['ws_trial', { plan: 'trial', entitlements: new Set<string>() }],
  ['ws_canceled', { plan: 'canceled', entitlements: new Set<string>() }],
]);

function header(request: GuardRequest, name: string): string | undefined {
  // Each adapter hands its own view: a `Headers`-like object (`get`) or node's record.
  const headers = request.headers as
    | { get?: (name: string) => string | null; [name: string]: unknown }
    | undefined;
  const value = typeof headers?.get === 'function' ? headers.get(name) : headers?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** `VerifiedUserGuard`: signed in, and the address verified. */
export const verifiedUser: Guard = {
  kind: 'VerifiedUserGuard',
  check({ request }) {
    const token = header(request, 'authorization')?.replace(/^Bearer\s+/i, '');
    const user = token === undefined ? undefined : users.get(token);
    if (user === undefined) throw errors.create('UNAUTHORIZED');
    if (!user.verified) throw errors.create('EMAIL_VERIFICATION_REQUIRED');
    return undefined;
  },
};

/** `SubscriptionGuard`: the URL's workspace has a trial or an active plan. */
export const subscription: Guard = {
  kind: 'SubscriptionGuard',
  check({ request }) {
    const workspace = workspaces.get(request.params?.ws ?? '');
    if (workspace === undefined) throw errors.create('RESOURCE_NOT_FOUND');
    if (workspace.plan !== 'trial' && workspace.plan !== 'active')
      throw errors.create('SUBSCRIPTION_REQUIRED');
    return undefined;
  },
};

/** `EntitlementGuard` (`@RequireEntitlement('branding')`): a Nest guard of the app's own, throwing the catalog's error. */
class EntitlementGuard implements CanActivate {
  constructor(private readonly entitlement: string) {}
  canActivate(context: ExecutionContext): boolean {
    const { params } = context.switchToHttp().getRequest<{ params: Record<string, string> }>();
    const workspace = workspaces.get(params.ws ?? '');
    if (workspace === undefined) throw errors.create('RESOURCE_NOT_FOUND');
    if (!workspace.entitlements.has(this.entitlement))
      throw errors.create('ENTITLEMENT_REQUIRED', { entitlement: this.entitlement });
    return true;
  }
}

/** The handlers of calls whose body says `hold: true`, waiting for a test to release them. */
export const held: (() => void)[] = [];
/** How many calls the handler placed. */
export const placed = { count: 0 };

const store = memoryStore();

export class WorkspacesController {
  create(body: { name?: unknown }) {
    return { id: 'ws_new', name: String(body?.name ?? '') };
  }
  async dial(ws: string, body: { to?: unknown; hold?: unknown }) {
    if (body?.hold === true) await new Promise<void>((resolve) => held.push(resolve));
    placed.count++;
    return { id: `call_${placed.count}`, workspace: ws, to: String(body?.to ?? '') };
  }
  branding(ws: string) {
    return { workspace: ws, branding: true };
  }
}
Controller('workspaces')(WorkspacesController);
const body = { type: Object, decorators: [Body()] };
const ws = { type: String, decorators: [Param('ws')] };
route(WorkspacesController, 'create', [Post(), UseGuards(FaultlineGuard(verifiedUser))], [body]);
route(
  WorkspacesController,
  'dial',
  [
    Post(':ws/calls'),
    UseGuards(
      FaultlineGuard(
        verifiedUser,
        subscription,
        idempotency({ tenant: (request) => request.params?.ws ?? '', methods: ['POST'], store }),
      ),
    ),
  ],
  [ws, body],
);
route(
  WorkspacesController,
  'branding',
  [Put(':ws/branding'), UseGuards(FaultlineGuard(verifiedUser), new EntitlementGuard('branding'))],
  [ws],
);
