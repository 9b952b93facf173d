import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { ApiError } from 'faultline';
import { renderHtml } from 'faultline/docs';
import { createNodeErrors, createRouter, type NodeErrors, readJson, sendJson } from 'faultline/node';
import type { ErrorEvent, ErrorLogger } from 'faultline/server';
import { memoryStore, type Store } from 'faultline/stores';
import * as z from 'zod';
import { demoFormat, demoMessages, errors } from './catalog.js';
import { demoGuards, maxUrls, mediaUrl } from './guards.js';
import { assertKey } from './keys.js';
import { DemoState } from './state.js';
import { attachWebSocket, socketDocs } from './ws.js';

/** Options of the demo API. */
export interface DemoOptions {
  /**
   * API keys by app id, each 16 characters or more. Required: no key is written in the repository, where it
   * would open every deployed copy of the demo (demo/server.ts takes `DEMO_API_KEY` or makes one).
   */
  apps: Readonly<Record<string, string>>;
  /**
   * Receives every error answered, for metrics or audit. The log of unexpected errors does not depend on
   * it; the default also logs the 5xx the demo answers on purpose (a state store outage), through `logger`.
   */
  onError?: (event: ErrorEvent) => void;
  /**
   * Where unexpected errors are logged, once each, with their correlation id; `false` for no log.
   * @default one JSON line on stderr per unexpected error
   */
  logger?: ErrorLogger | false;
  state?: DemoState;
  /** Where the guards keep their state. @default memoryStore() */
  store?: Store;
  /** Open WebSocket connections per app on this instance, over all its sessions. @default 100 */
  connectionsPerApp?: number;
}

const commands = ['answer', 'hangup', 'play', 'record', 'transfer'] as const;
// Bounded like a room's name: sessions stay in memory, and a 1 MiB `from` would let one app fill the memory
// every app shares (600 sessions a minute).
const party = z.string().min(1).max(128);
const newSession = z.object({ from: party, to: party });
const newRoom = z.object({ name: z.string().min(1).max(128) });
const commandBody = z
  .object({ urls: z.array(mediaUrl).max(maxUrls).optional(), to: z.string().optional() })
  .optional();
const apiPath = /^\/v1(?:[/?#]|$)/;

/**
 * True when the request carries a body (RFC 9112 §6.3): it has a `Transfer-Encoding`, or a `Content-Length`
 * other than 0.
 */
const carriesBody = (req: IncomingMessage): boolean =>
  req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';

/** The demo: its HTTP server, its state, and its node error layer (whose `clientError` the server wires). */
export interface Demo {
  server: Server;
  state: DemoState;
  nodeErrors: NodeErrors;
}

/**
 * Logs the 5xx the demo answers on purpose from its catalog (a state store outage), which the handler's log
 * of unexpected errors leaves out as expected answers: every server error is logged once, by one of them.
 */
function logOwnServerErrors(logger: ErrorLogger | false | undefined): (event: ErrorEvent) => void {
  return ({ error, thrown, correlationId }) => {
    // Answered as itself: the catalog's own error, thrown on purpose. Anything else is unexpected.
    if (logger === false || error.status < 500 || !(thrown instanceof ApiError) || thrown.code !== error.code)
      return;
    const record = { correlationId, code: error.code, status: error.status };
    if (logger) logger.error(record, 'server error answered');
    else console.error(JSON.stringify({ level: 'error', msg: 'server error answered', ...record }));
  };
}

/** The call-control demo API on faultline/node. */
export function createDemo(options: DemoOptions): Demo {
  const { apps } = options;
  for (const [app, key] of Object.entries(apps)) assertKey(`the key of app ${JSON.stringify(app)}`, key);
  const reference = renderHtml(errors, { format: demoFormat, websocket: socketDocs });
  const state = options.state ?? new DemoState();

  // The app the guards authenticated: its X-App-ID came once and its key matched.
  function appOf(req: IncomingMessage): string {
    if (!state.available) throw errors.create('STATE_STORE_UNAVAILABLE');
    return req.headers['x-app-id'] as string;
  }

  // Another app's session or room is answered as a missing one (same status, code and body): a key
  // holder must not learn which ids exist in another tenant.
  function ownSession(appId: string, sessionId: string) {
    const session = state.sessionOf(appId, sessionId);
    if (!session) throw errors.create('SESSION_NOT_FOUND', { sessionId });
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
      // Command routes take small bodies: 64 KiB, not the 1 MiB of the rest of the API. A request without
      // a body (`curl -X POST` sends no Content-Length) is read as none, whatever its Content-Type.
      const body = carriesBody(req) ? await readJson(req, { limit: '64kb', schema: commandBody }) : undefined;
      if (session.state === 'ended') throw errors.create('SESSION_ENDED', { sessionId: session.id });
      if (command === 'play' && !body?.urls?.length) throw errors.create('URLS_REQUIRED');
      state.record(session, command);
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
      const room = state.roomOf(appOf(req), params.id!);
      if (!room) throw errors.create('ROOM_NOT_FOUND', { roomId: params.id! });
      return room;
    });

  const nodeErrors = createNodeErrors({
    catalog: errors,
    format: demoFormat,
    correlation: { header: 'x-request-id' },
    locales: { defaultLocale: 'en', messages: demoMessages },
    // Unexpected errors are logged once by the handler itself, whatever onError does.
    onError: options.onError ?? logOwnServerErrors(options.logger),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
  const guarded = demoGuards(options.store ?? memoryStore(), apps);
  const openHandler = guarded.open(open.handle);
  const apiHandler = guarded.api(api.handle);
  const server = createServer(
    nodeErrors((req, res) => (apiPath.test(req.url ?? '') ? apiHandler : openHandler)(req, res)),
  );
  // node gives a CONNECT to 'connect' listeners only, and without one closes the socket without a word: the
  // demo is no proxy, so CONNECT gets the catalog's 400 that any other method node refuses gets.
  server.on('connect', (_req, socket) =>
    nodeErrors.clientError(new Error('CONNECT is not served'), socket as Socket),
  );
  // The WebSocket answers with the same handler: a refused handshake is the REST answer.
  attachWebSocket(server, {
    errors: nodeErrors.handler,
    state,
    guards: guarded.handshake,
    commandGuards: guarded.command,
    ...(options.store ? { store: options.store } : {}),
    ...(options.connectionsPerApp ? { connectionsPerApp: options.connectionsPerApp } : {}),
  });
  return { server, state, nodeErrors };
}
