import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { renderHtml } from 'faultline/docs';
import { byHeader, byIp, cooldown, type GuardRequest, idempotency, quota, rateLimit } from 'faultline/guards';
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

const appIdOf = byHeader('x-app-id');
const apiKeyOf = byHeader('x-api-key');
const mediaCommand = /^\/v1\/sessions\/([^/]+)\/commands\/(?:play|record)$/;

// Replays go only to the caller presenting the same app and key (hashed: keys never reach the store).
function tenantOf(request: GuardRequest): string {
  return createHash('sha256')
    .update(`${appIdOf(request)}\n${apiKeyOf(request)}`)
    .digest('base64url');
}

/** Rate limits per app and per IP, a daily quota per app, a cooldown on media commands, idempotent POSTs. */
function demoGuards(store: Store) {
  return guard(
    rateLimit({
      store,
      policies: [
        { name: 'per-app', key: appIdOf, limit: 600, period: '1m' },
        { name: 'per-ip', key: byIp, limit: 1200, period: '1m' },
      ],
    }),
    quota({ store, name: 'daily', key: appIdOf, limit: 100_000, per: 'day' }),
    cooldown({
      store,
      key: (r) => mediaCommand.exec(r.url ?? '')?.[1],
      group: 'media',
      interval: '1s',
    }),
    idempotency({ store, tenant: tenantOf }),
  );
}

function logServerErrors({ error, thrown, correlationId }: ErrorEvent): void {
  if (error.status >= 500) console.error(`[${correlationId}] ${error.code}`, thrown);
}

/** The call-control demo API on faultline/node. */
export function createDemo(options: DemoOptions = {}): { server: Server; state: DemoState } {
  const apps = options.apps ?? { 'demo-app': 'demo-key', 'other-app': 'other-key' };
  const reference = renderHtml(errors, { format: demoFormat, websocket: socketDocs });
  const state = options.state ?? new DemoState();

  function authenticate(req: IncomingMessage): string {
    const appId = req.headers['x-app-id'];
    if (typeof appId !== 'string' || appId === '') throw errors.create('MISSING_APP_ID');
    if (!appIdPattern.test(appId)) throw errors.create('INVALID_APP_ID');
    const key = req.headers['x-api-key'];
    if (typeof key !== 'string' || key === '') throw errors.create('MISSING_API_KEY');
    if (apps[appId] !== key) throw errors.create('INVALID_API_KEY');
    if (!state.available) throw errors.create('STATE_STORE_UNAVAILABLE');
    return appId;
  }

  function ownSession(appId: string, sessionId: string) {
    const session = state.sessions.get(sessionId);
    if (!session) throw errors.create('SESSION_NOT_FOUND', { sessionId });
    if (session.appId !== appId) throw errors.create('SESSION_FORBIDDEN');
    return session;
  }

  const router = createRouter()
    .get('/health', () => ({ ok: true }))
    .get('/errors', () => errors.toJSON())
    .get('/docs/errors', (_req, res) => {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-length': Buffer.byteLength(reference),
      });
      res.end(reference);
    })
    .post('/v1/sessions', async (req, res) => {
      const appId = authenticate(req);
      const body = await readJson(req, { schema: newSession });
      sendJson(res, 201, state.createSession(appId, body.from, body.to));
    })
    .get('/v1/sessions/:id', (req, _res, { params }) => ownSession(authenticate(req), params.id!))
    .delete('/v1/sessions/:id', (req, res, { params }) => {
      const session = ownSession(authenticate(req), params.id!);
      session.state = 'ended';
      res.writeHead(204).end();
    })
    .post('/v1/sessions/:id/commands/:command', async (req, _res, { params }) => {
      const session = ownSession(authenticate(req), params.id!);
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
      const appId = authenticate(req);
      const { name } = await readJson(req, { schema: newRoom });
      const existing = state.roomByName(appId, name);
      if (existing) throw errors.create('CONFERENCE_NAME_TAKEN', { name, roomId: existing.id });
      sendJson(res, 201, state.createRoom(appId, name));
    })
    .get('/v1/conferences/:id', (req, _res, { params }) => {
      const appId = authenticate(req);
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
  const server = createServer(nodeErrors(demoGuards(options.store ?? memoryStore())(router.handle)));
  // The WebSocket answers with the same handler: a refused handshake is the REST answer.
  attachWebSocket(server, {
    errors: nodeErrors.handler,
    state,
    apps,
    ...(options.store ? { store: options.store } : {}),
  });
  return { server, state };
}
