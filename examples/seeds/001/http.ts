/**
 * The HTTP routes of seed 001: the page's access-token and session routes, and the admin routes an
 * operator configures connectors and signing keys with (Agent Studio's "Messaging → API Configuration").
 * Every request is limited per client address in front of authentication; admin routes need the admin
 * key in `X-Admin-API-Key`.
 */
import type { IncomingMessage } from 'node:http';
import { adminKey, byIp, type Guard, rateLimit } from 'faultline/guards';
import { createRouter, guard, type NodeHandler, type RouteHandler, readJson, sendJson } from 'faultline/node';
import * as z from 'zod';
import { bearerToken } from '../shared/bearer.js';
import { errors } from './catalog.js';
import { type Connector, domainPattern, type Messaging } from './domain.js';

/** What the routes need from the seed's options. */
export interface HttpOptions {
  /** The admin key; unset, admin routes answer 503. */
  adminKey?: string | undefined;
  /** Requests per minute per client address. @default 600 */
  ipRate?: number;
  /** HTTP requests per minute per session. @default 120 */
  sessionRate?: number;
}

const bearer = (req: IncomingMessage): string | undefined => {
  const header = req.headers.authorization;
  if (header === undefined) throw errors.create('ACCESS_TOKEN_MISSING');
  const token = bearerToken(header);
  if (token === undefined) throw errors.create('MISSING_AUTH_HEADERS');
  return token;
};

const host = z
  .string()
  .trim()
  .toLowerCase()
  .regex(domainPattern, 'a domain or app namespace, such as example.com')
  .max(253);
const connectorInput = z.strictObject({
  /** `null`: no host domain (token requests answer "Connector missing host domain"). */
  host: host.nullable().optional(),
  /** The live-agent queue handoffs go to; `null`: handoff not configured. */
  handoff_queue: z.string().min(1).max(100).nullable().optional(),
  /** The signing key access tokens of this connector use. */
  key_id: z.string().min(1).max(64).optional(),
});

/**
 * A session store that failed, answered over HTTP (a route or the WebSocket handshake): the page's HTTP
 * 500, "Server error". Its "Error: Unable to retrieve session" is a session-state event, for an open socket.
 */
export async function overHttp<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (!errors.is(error, 'SESSION_RETRIEVAL_FAILED')) throw error;
    throw errors.create('INTERNAL_ERROR', undefined, {
      cause: error.cause,
      message: 'Server error — retry with exponential backoff',
    });
  }
}

/** Whether a Content-Type is JSON in UTF-8: `application/json`, with at most a `charset=utf-8`. */
const isJson = (type: string | undefined) =>
  type !== undefined && /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i.test(type.trim());

const sessionInput = z.object({ streaming_enabled: z.boolean().optional() });

const view = (c: Connector) => ({
  id: c.id,
  host: c.host ?? null,
  key_id: c.keyId,
  handoff_queue: c.handoff?.queue ?? null,
});

/**
 * The per-address limit: one budget per client address, which HTTP requests and WebSocket handshakes both
 * spend before they are authenticated, so that the socket is no way around it to guess access tokens.
 */
export const ipLimit = (options: HttpOptions): Guard =>
  rateLimit({ name: 'ip', key: byIp, limit: options.ipRate ?? 600, period: '1m' });

/** The request handler of seed 001's HTTP API, behind `perIp` (the guard `ipLimit` makes). */
export function httpRoutes(messaging: Messaging, options: HttpOptions, perIpLimit: Guard): NodeHandler {
  const perIp = guard(perIpLimit);
  // A session's own budget is spent only by its authenticated owner, so nobody else can exhaust it by
  // naming the session in a path. Keyed on the route's decoded parameter, the session the lookup found:
  // the raw path would give `%30c55…`, another spelling of the same id, a budget of its own.
  const perSession = guard(
    rateLimit({
      name: 'session',
      key: (r) => r.params?.id,
      limit: options.sessionRate ?? 120,
      period: '1m',
    }),
  );
  const adminGuard = guard(adminKey({ key: options.adminKey }));
  const admin =
    (handler: RouteHandler): RouteHandler =>
    (req, res, context) =>
      adminGuard((rq, rs) => handler(rq, rs, context))(req, res);
  const caller = (req: IncomingMessage): Connector => {
    const token = bearer(req);
    const connector = token === undefined ? undefined : messaging.verify(token);
    if (!connector) throw errors.create('ACCESS_TOKEN_INVALID');
    return connector;
  };
  const keyOf = (id: string | undefined) => {
    if (id !== undefined && !messaging.keyring.has(id))
      throw errors.create('VALIDATION_FAILED', undefined, {
        fieldErrors: [{ pointer: '/key_id', detail: 'No signing key has this id.' }],
      });
    return id;
  };
  const found = (id: string) => {
    const connector = messaging.connectors.get(id);
    if (!connector) throw errors.create('NOT_FOUND');
    return connector;
  };

  const router = createRouter()
    .post('/api/v1/access-token', (req) => {
      const header = (name: string) =>
        typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined;
      return messaging.accessToken(header('x-token'), header('x-host'));
    })
    .post('/api/v1/sessions', async (req) => {
      const connector = caller(req);
      // The body is optional: `{}` or `{ "streaming_enabled": true }`, or nothing at all.
      const hasBody =
        Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
      // The page's statuses are 400, 401, 404, 429 and 500: a body not sent as UTF-8 JSON is one the API
      // could not parse, as is one too large or in a coding (the catalog's `REQUEST_PARSE_ERROR` answers
      // for 413, 415 and 501).
      if (hasBody && !isJson(req.headers['content-type'])) throw errors.create('REQUEST_PARSE_ERROR');
      const body = hasBody ? sessionInput.safeParse(await readJson(req, { limit: '16kb' })) : undefined;
      // A body of the wrong shape is, as for the page's server, one it could not parse into its request.
      if (body?.success === false) throw errors.create('REQUEST_PARSE_ERROR');
      const session = await messaging.createSession(connector, body?.data.streaming_enabled ?? false);
      return { session_id: session.id };
    })
    .get('/api/v1/sessions/:id', async (req, res, { params }) => {
      // Authenticate first: whether a session exists is told only to the connector that owns it.
      const connector = caller(req);
      const session = await overHttp(messaging.sessionOf(connector, params.id!));
      // The page's HTTP 404 reads "Session not found"; "Error: Session not found" is its WebSocket
      // session-state event, "session not found" its handshake answer.
      if (!session) throw errors.create('NOT_FOUND', undefined, { message: 'Session not found' });
      return perSession(() => ({
        session_id: session.id,
        conversation: session.conversation.state,
        handoff: session.handoff !== undefined,
      }))(req, res);
    })
    .post(
      '/admin/connectors',
      admin(async (req, res) => {
        const input = await readJson(req, { limit: '4kb', schema: connectorInput });
        const { connector, token } = messaging.addConnector({
          host: input.host ?? undefined,
          keyId: keyOf(input.key_id) ?? 'k1',
          handoff: input.handoff_queue ? { queue: input.handoff_queue } : undefined,
        });
        // The token is shown this once: the seed keeps only its digest.
        sendJson(res, 201, { ...view(connector), token });
      }),
    )
    .patch(
      '/admin/connectors/:id',
      admin(async (req, _res, { params }) => {
        const connector = found(params.id!);
        const input = await readJson(req, { limit: '4kb', schema: connectorInput });
        if (input.host !== undefined) connector.host = input.host ?? undefined;
        if (input.handoff_queue !== undefined)
          connector.handoff = input.handoff_queue ? { queue: input.handoff_queue } : undefined;
        connector.keyId = keyOf(input.key_id) ?? connector.keyId;
        return view(connector);
      }),
    )
    .delete(
      '/admin/connectors/:id',
      admin((_req, res, { params }) => {
        if (!messaging.removeConnector(params.id!)) throw errors.create('NOT_FOUND');
        res.writeHead(204).end();
      }),
    )
    .post(
      '/admin/signing-keys',
      admin((_req, res) => sendJson(res, 201, { id: messaging.addKey() })),
    )
    .delete(
      '/admin/signing-keys/:id',
      admin((_req, res, { params }) => {
        if (!messaging.retireKey(params.id!)) throw errors.create('NOT_FOUND');
        res.writeHead(204).end();
      }),
    );
  return perIp(router.handle);
}
