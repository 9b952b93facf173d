/**
 * What the routes of seed 004 share: the request context, the domains, and the gates every route passes in
 * this order — signed in, then (admin routes) a platform admin, (forum writes) a verified user, or
 * (workspace routes) a verified member of the URL's workspace. Whether a workspace exists is told to
 * signed-in callers only.
 */
import type { HttpBindings } from '@hono/node-server';
import { byIp } from 'faultline/guards';
import type { HonoErrors } from 'faultline/hono';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { Calls } from './calls.js';
import { errors } from './catalog.js';
import type { Community } from './community.js';
import type { Identity, Session, User } from './identity.js';
import type { Licensing } from './licensing.js';
import type { PasswordResets } from './password-reset.js';
import type { Support } from './support.js';
import type { Widgets } from './widgets.js';
import type { Workspace, Workspaces } from './workspaces.js';

export type Env = {
  Bindings: HttpBindings;
  Variables: { session: Session; user: User; workspace: Workspace };
};

/** The app, its error layer, its gates and its domains, as each group of routes receives them. */
export interface Kit {
  readonly app: Hono<Env>;
  readonly faults: HonoErrors;
  readonly signedIn: MiddlewareHandler<Env>;
  readonly admin: MiddlewareHandler<Env>;
  readonly verified: MiddlewareHandler<Env>;
  readonly member: MiddlewareHandler<Env>;
  readonly identity: Identity;
  readonly resets: PasswordResets;
  readonly workspaces: Workspaces;
  readonly calls: Calls;
  readonly widgets: Widgets;
  readonly community: Community;
  readonly support: Support;
  readonly licensing: Licensing;
  readonly now: () => number;
}

/** The bearer token of a request, whatever the scheme's spelling. */
export const bearer = (c: Context) => c.req.header('authorization')?.replace(/^Bearer\s+/i, '');

/**
 * The client address of a request as the per-IP limits key it (`byIp`: an IPv6 client by its /64): the
 * socket's peer, which the caller cannot choose as it chooses a header or a body field. `byIp` throws for a
 * request without an address rather than give no key, so there is always one.
 */
export const clientOf = (c: Context<Env>): string => byIp({ ip: c.env.incoming.socket.remoteAddress })!;

/** A path parameter that the route declares. */
export const param = (c: Context, name: string) => String(c.req.param(name));

export function middlewares(identity: Identity, workspaces: Workspaces) {
  const signedIn: MiddlewareHandler<Env> = async (c, next) => {
    const { session, user } = identity.session(bearer(c));
    c.set('session', session);
    c.set('user', user);
    await next();
  };
  // Runs after `signedIn`: an impersonating admin acts as the target, who is no admin.
  const admin: MiddlewareHandler<Env> = async (c, next) => {
    if (!c.get('user').platformAdmin) throw errors.create('RESOURCE_FORBIDDEN');
    await next();
  };
  // Runs after `signedIn`: verified users only (`VerifiedUserGuard`).
  const verified: MiddlewareHandler<Env> = async (c, next) => {
    identity.requireVerified(c.get('user'));
    await next();
  };
  // Workspace-scoped endpoints: verified users only, members of the URL's workspace.
  const member: MiddlewareHandler<Env> = async (c, next) => {
    identity.requireVerified(c.get('user'));
    c.set('workspace', workspaces.forMember(c.req.param('ws') ?? '', c.get('user').id));
    await next();
  };
  return { signedIn, admin, verified, member };
}

/**
 * The bytes of a request body that is no JSON (a recording), bounded as the JSON reader bounds one: a
 * declared length over `limit` is the catalog's 413 before any byte is read, a streamed one at the first chunk
 * past it, and a body that stops for `readTimeout` ms is its 408; the connection closes after the answer.
 */
export async function readBytes(
  request: Request,
  { limit, readTimeout }: { limit: number; readTimeout: number },
): Promise<Uint8Array> {
  if (Number(request.headers.get('content-length')) > limit) throw errors.builtin('bodyTooLarge');
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    for (;;) {
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(errors.builtin('requestTimeout')), readTimeout);
      });
      const { done, value } = await Promise.race([reader.read(), stalled]);
      clearTimeout(timer);
      if (done) return Buffer.concat(chunks, size);
      size += value.length;
      if (size > limit) throw errors.builtin('bodyTooLarge');
      chunks.push(value);
    }
  } catch (error) {
    clearTimeout(timer);
    reader.cancel().catch(() => undefined);
    throw error;
  }
}
