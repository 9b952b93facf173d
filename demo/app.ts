import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { isApiError } from 'faultline';
import { renderHtml } from 'faultline/docs';
import {
  apiKey,
  byHeader,
  byIp,
  cooldown,
  type Guard,
  type GuardRequest,
  idempotency,
  quota,
  rateLimit,
} from 'faultline/guards';
import { createNodeErrors, createRouter, guard, readJson, sendJson } from 'faultline/node';
import type { ErrorEvent } from 'faultline/server';
import { memoryStore, type Store } from 'faultline/stores';
import * as z from 'zod';
import { demoFormat, demoMessages, errors } from './catalog.js';
import { DemoState } from './state.js';
import { attachWebSocket, socketDocs } from './ws.js';

/** Options of the demo API. */
export interface DemoOptions {
  /** API keys by app id. @default { 'demo-app': 'demo-key', 'other-app': 'other-key' } */
  apps?: Readonly<Record<string, string>>;
  /** Receives every error answered; the default logs 5xx to stderr with their correlation id. */
  onError?: (event: ErrorEvent) => void;
  state?: DemoState;
  /** Where the guards keep their state. @default memoryStore() */
  store?: Store;
}

const appIdPattern = /^[A-Za-z0-9_-]{1,64}$/;
const commands = ['answer', 'hangup', 'play', 'record', 'transfer'] as const;
const newSession = z.object({ from: z.string().min(1), to: z.string().min(1) });
const newRoom = z.object({ name: z.string().min(1).max(128) });
const commandBody = z.object({ urls: z.array(z.url()).optional(), to: z.string().optional() }).optional();

// byHeader refuses a header sent twice (400 INVALID_HEADER): guards and handlers read one and the same value.
const appIdOf = byHeader('X-App-ID');
const apiKeyOf = byHeader('X-API-Key');
const apiPath = /^\/v1(?:[/?#]|$)/;

/**
 * The session of a media command (play, record), its segments decoded as the router decodes them: a
 * percent-encoded `pl%61y` or a query string is the same command, and cools down alike.
 */
function mediaSessionOf(url: string | undefined): string | undefined {
  const segments = (url ?? '').replace(/[?#].*$/s, '').split('/');
  if (
    segments.length !== 6 ||
    segments[1] !== 'v1' ||
    segments[2] !== 'sessions' ||
    segments[4] !== 'commands'
  )
    return undefined;
  try {
    const command = decodeURIComponent(segments[5]!);
    return command === 'play' || command === 'record' ? decodeURIComponent(segments[3]!) : undefined;
  } catch {
    return undefined; // Not a route the router matches: it answers 404.
  }
}

// Replays go only to the caller presenting the same app and key (hashed: keys never reach the store).
function tenantOf(request: GuardRequest): string {
  return createHash('sha256')
    .update(`${appIdOf(request)}\n${apiKeyOf(request)}`)
    .digest('base64url');
}

/**
 * Authenticates a request as one app: its X-App-ID, then its X-API-Key, compared by faultline's `apiKey`
 * (hashed, constant time; an unknown app costs what a wrong key does), answered with the demo's own codes.
 */
function authentication(apps: Readonly<Record<string, string>>): Guard {
  const keys = new Map(Object.entries(apps));
  const key = apiKey({ keys: (request) => keys.get(appIdOf(request) ?? '') });
  const ownCode = (error: unknown) => {
    if (isApiError(error) && error.role === 'apiKeyMissing') return errors.create('MISSING_API_KEY');
    if (isApiError(error) && error.role === 'apiKeyInvalid') return errors.create('INVALID_API_KEY');
    return error;
  };
  return {
    kind: 'authentication',
    check(context) {
      const appId = appIdOf(context.request);
      if (appId === undefined) throw errors.create('MISSING_APP_ID');
      if (!appIdPattern.test(appId)) throw errors.create('INVALID_APP_ID');
      try {
        const outcome = key.check(context);
        return outcome instanceof Promise
          ? outcome.catch((error: unknown) => {
              throw ownCode(error);
            })
          : outcome;
      } catch (error) {
        throw ownCode(error);
      }
    },
  };
}

/**
 * The guards of the demo, in the order that keeps each limit on what its caller cannot forge: the per-IP
 * limit first, as it is all that bounds guessing at keys; then authentication; then the app's own limits,
 * which only a request that proved it is the app may spend; idempotency last, so a refused request never
 * claims a key. Public routes get the per-IP limit alone.
 */
function demoGuards(store: Store, apps: Readonly<Record<string, string>>) {
  const perIp = rateLimit({ store, name: 'per-ip', key: byIp, limit: 1200, period: '1m' });
  return {
    open: guard(perIp),
    api: guard(
      perIp,
      authentication(apps),
      rateLimit({ store, name: 'per-app', key: appIdOf, limit: 600, period: '1m' }),
      quota({ store, name: 'daily', key: appIdOf, limit: 100_000, per: 'day' }),
      cooldown({
        store,
        // Per app and session: one app's commands never cool down another's.
        key: (r) => {
          const session = mediaSessionOf(r.url);
          return session === undefined ? undefined : `${appIdOf(r)}:${session}`;
        },
        group: 'media',
        interval: '1s',
      }),
      idempotency({ store, tenant: tenantOf }),
    ),
  };
}

function logServerErrors({ error, thrown, correlationId }: ErrorEvent): void {
  if (error.status >= 500) console.error(`[${correlationId}] ${error.code}`, thrown);
}

/** The call-control demo API on faultline/node. */
export function createDemo(options: DemoOptions = {}): { server: Server; state: DemoState } {
  const apps = options.apps ?? { 'demo-app': 'demo-key', 'other-app': 'other-key' };
  const reference = renderHtml(errors, { format: demoFormat, websocket: socketDocs });
  const state = options.state ?? new DemoState();

  // The app the guards authenticated: its X-App-ID came once and its key matched.
  function appOf(req: IncomingMessage): string {
    if (!state.available) throw errors.create('STATE_STORE_UNAVAILABLE');
    return req.headers['x-app-id'] as string;
  }

  function ownSession(appId: string, sessionId: string) {
    const session = state.sessions.get(sessionId);
    if (!session) throw errors.create('SESSION_NOT_FOUND', { sessionId });
    if (session.appId !== appId) throw errors.create('SESSION_FORBIDDEN');
    return session;
  }

  const open = createRouter()
    .get('/health', () => ({ ok: true }))
    .get('/errors', () => errors.toJSON())
    .get('/docs/errors', (_req, res) => {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-length': Buffer.byteLength(reference),
      });
      res.end(reference);
    });
  // Every /v1 route, known or not, is behind authentication: an unknown route answers 401 as a known
  // one does, so that probing without a key learns nothing.
  const api = createRouter()
    .post('/v1/sessions', async (req, res) => {
      const appId = appOf(req);
      const body = await readJson(req, { schema: newSession });
      sendJson(res, 201, state.createSession(appId, body.from, body.to));
    })
    .get('/v1/sessions/:id', (req, _res, { params }) => ownSession(appOf(req), params.id!))
    .delete('/v1/sessions/:id', (req, res, { params }) => {
      const session = ownSession(appOf(req), params.id!);
      session.state = 'ended';
      res.writeHead(204).end();
    })
    .post('/v1/sessions/:id/commands/:command', async (req, _res, { params }) => {
      const session = ownSession(appOf(req), params.id!);
      const command = params.command!;
      if (!(commands as readonly string[]).includes(command)) {
        throw errors.create('INVALID_COMMAND', { command, supported: [...commands] });
      }
      // Command routes take small bodies: 64 KiB, not the 1 MiB of the rest of the API.
      const body =
        req.headers['content-length'] === '0'
          ? undefined
          : await readJson(req, { limit: '64kb', schema: commandBody });
      if (session.state === 'ended') throw errors.create('SESSION_ENDED', { sessionId: session.id });
      if (command === 'play' && !body?.urls?.length) throw errors.create('URLS_REQUIRED');
      session.commands.push({ command, at: new Date().toISOString() });
      if (command === 'answer') session.state = 'answered';
      if (command === 'hangup') session.state = 'ended';
      return { session_id: session.id, command, state: session.state };
    })
    .post('/v1/conferences', async (req, res) => {
      const appId = appOf(req);
      const { name } = await readJson(req, { schema: newRoom });
      const existing = state.roomByName(appId, name);
      if (existing) throw errors.create('CONFERENCE_NAME_TAKEN', { name, roomId: existing.id });
      sendJson(res, 201, state.createRoom(appId, name));
    })
    .get('/v1/conferences/:id', (req, _res, { params }) => {
      const appId = appOf(req);
      const room = state.rooms.get(params.id!);
      if (!room) throw errors.create('ROOM_NOT_FOUND', { roomId: params.id! });
      if (room.appId !== appId) throw errors.create('ROOM_FORBIDDEN');
      return room;
    });

  const nodeErrors = createNodeErrors({
    catalog: errors,
    format: demoFormat,
    correlation: { header: 'x-request-id' },
    locales: { defaultLocale: 'en', messages: demoMessages },
    onError: options.onError ?? logServerErrors,
  });
  const guarded = demoGuards(options.store ?? memoryStore(), apps);
  const openHandler = guarded.open(open.handle);
  const apiHandler = guarded.api(api.handle);
  const server = createServer(
    nodeErrors((req, res) => (apiPath.test(req.url ?? '') ? apiHandler : openHandler)(req, res)),
  );
  // The WebSocket answers with the same handler: a refused handshake is the REST answer.
  attachWebSocket(server, {
    errors: nodeErrors.handler,
    state,
    apps,
    ...(options.store ? { store: options.store } : {}),
  });
  return { server, state };
}
