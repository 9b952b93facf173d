/** What the route modules of seed 002 share: the Fastify app and how a request names its caller. */
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GuardRequest } from 'faultline/guards';
import { bearerToken } from '../shared/bearer.js';
import { errors } from './catalog.js';
import type { Role, Tenant, Tours, User } from './domain.js';

export interface SeedApp {
  readonly app: FastifyInstance;
  /** A cookie of the request, decoded. */
  cookie(request: FastifyRequest, name: string): string | undefined;
  /** The token of `Authorization: Bearer <token>`. */
  bearer(request: FastifyRequest): string | undefined;
  /** The signed-in user: the `token` cookie or the bearer token. */
  user(request: FastifyRequest): User;
  /** The signed-in user, and the company the request works in (`X-Tenant-ID`, or the user's only one). */
  context(request: FastifyRequest): { caller: User; tenant: Tenant; role: Role };
  /** For a limit's key: the signed-in user's id, or undefined where the route answers 401 anyway. */
  accountOf(view: GuardRequest): string | undefined;
  /** For a limit's key: the id of the company the request works in, or undefined where the route refuses it. */
  companyOf(view: GuardRequest): string | undefined;
}

/** What naming the caller reads of a request: its headers, on a Fastify request and on a guard's view alike. */
type Headed = Pick<FastifyRequest, 'headers'>;

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses, with 403 FORBIDDEN, a state-changing request that carries the session cookies and an `Origin`
 * other than this server's own (`null` included): what a page of another site can make a browser send,
 * SameSite aside (a sibling subdomain is same-site; an old browser ignores the attribute). A request with
 * no `Origin` is not a browser's cross-site one; a bearer token is no ambient credential and passes.
 */
export function refuseCrossSite(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (safeMethods.has(request.method)) return;
    const origin = request.headers.origin;
    const cookies = request.headers.cookie;
    if (origin === undefined || !cookies || !/(?:^|;)\s*(?:token|refresh)=/.test(cookies)) return;
    let same = false;
    try {
      const from = new URL(origin);
      // Both read by the URL parser under the origin's scheme: `Host: example.com:443` is the origin
      // `https://example.com`, whose default port the browser leaves out.
      same = from.host === new URL(`${from.protocol}//${request.host}`).host;
    } catch {
      // `null` (a sandboxed frame, a redirect across sites) or garbage: no origin of this server.
    }
    if (!same) throw errors.create('FORBIDDEN');
  });
}

export function seedApp(app: FastifyInstance, tours: Tours): SeedApp {
  const cookie = (request: Headed, name: string) => {
    const header = request.headers.cookie;
    if (!header) return undefined;
    for (const part of header.split(';')) {
      const [key, ...value] = part.trim().split('=');
      if (key !== name) continue;
      try {
        return decodeURIComponent(value.join('='));
      } catch {
        // A cookie that is there but cannot be decoded is a malformed token, not a missing one.
        return value.join('=');
      }
    }
    return undefined;
  };
  const bearer = (request: Headed) => bearerToken(request.headers.authorization);
  const user = (request: Headed) => tours.verify(cookie(request, 'token') ?? bearer(request));
  const context = (request: Headed) => {
    const caller = user(request);
    const header = request.headers['x-tenant-id'];
    return { caller, ...tours.tenantOf(caller, typeof header === 'string' ? header : undefined) };
  };
  // A guard on Fastify sees the request's own header object. A caller the route would refuse gets no key:
  // the limit skips it, and the route answers it as it would without the limit.
  const headed = (view: GuardRequest): Headed => ({ headers: (view.headers ?? {}) as IncomingHttpHeaders });
  const orNone = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch {
      return undefined;
    }
  };
  const accountOf = (view: GuardRequest) => orNone(() => user(headed(view)).id);
  const companyOf = (view: GuardRequest) => orNone(() => context(headed(view)).tenant.id);
  return { app, cookie, bearer, user, context, accountOf, companyOf };
}
