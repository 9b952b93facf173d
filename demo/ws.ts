import type { IncomingMessage, Server } from 'node:http';
import type { WsDocsOptions } from 'faultline/docs';
import { envelope, field } from 'faultline/format';
import { checkMessage, type Guard, type GuardRequest, type KeyOf, rateLimit } from 'faultline/guards';
import type { ErrorHandler } from 'faultline/server';
import { memoryStore, type Store } from 'faultline/stores';
import { bySession, createWsErrors, type WsErrors } from 'faultline/ws';
import * as z from 'zod';
import { errors } from './catalog.js';
import { appIdOf, maxUrls, mediaUrl } from './guards.js';
import type { DemoState } from './state.js';

/**
 * The demo's error events: its REST envelope (`code`, `error`, `request_id`, `details`) with the event's
 * own fields, declared as data like the HTTP envelope.
 */
export const demoEvent = envelope({
  type: 'error',
  event_id: field.eventId,
  timestamp: field.timestamp,
  reply_to: field.replyTo,
  code: field.code,
  error: field.message,
  request_id: field.correlationId,
  details: { $first: [{ fieldErrors: field('errors', { style: 'map' }) }, field.details] },
  retry_after: field.retryAfter,
});

/** What the socket needs of the demo: its sessions, its guards, and where the limits keep their state. */
export interface DemoSocketOptions {
  /** The demo's HTTP error handler: handshake refusals are its answers (envelope, locales, request id). */
  errors: ErrorHandler;
  state: DemoState;
  /**
   * The guards every handshake passes first, the HTTP API's own: the per-IP limit (one budget per address
   * for HTTP and WebSocket), then the app's key.
   */
  guards: readonly Guard[];
  /**
   * The app's limits every command on the socket passes, as the same command over HTTP does: the per-app
   * rate, the daily quota and the media cooldown of the session (one budget for HTTP and WebSocket).
   */
  commandGuards: readonly Guard[];
  /** The store of the connection and message limits (the demo's guards store). @default memoryStore() */
  store?: Store;
  /** Open connections per app on this instance, over all its sessions. @default 100 */
  connectionsPerApp?: number;
}

/** The socket's limits as the reference page shows them (`/docs/errors`), with its example event. */
export const socketDocs: WsDocsOptions = {
  path: '/v1/ws',
  event: demoEvent,
  // A command is a few hundred bytes; a play of the most URLs it takes, at 1 KiB each, still fits.
  maxBytes: 16 * 1024,
  rate: { limit: 20, window: 1000, over: 'drop', closeAfter: 100 },
  connections: 10,
  heartbeat: 30_000,
  idleTimeout: 600_000,
};

const commands = ['answer', 'hangup', 'play', 'record', 'transfer'] as const;

/**
 * The messages all sockets of one app may send, the HTTP API's per-app rate (600 a minute): sessions are
 * the app's to mint, so the per-session rate alone bounds no app's share of the validation work.
 */
const appMessageRate = { limit: 600, period: '1m' } as const;

// A connection's key is `<app>:<session>` (app ids have no colon), so that its app is read from the key.
const keyOf = (appId: string, sessionId: string) => `${appId}:${sessionId}`;
const appOfConnection: KeyOf = (request) => bySession(request)?.split(':', 1)[0];

/** What a connection knows of its handshake: its session, the app that proved its key, and its address. */
interface SocketContext {
  sessionId: string;
  appId: string;
  ip: string | undefined;
}

/**
 * A credential of the query (browsers cannot set headers on a WebSocket), else of its header: every value
 * the query holds, so that one sent twice is refused as a header sent twice is.
 */
function credential(query: URLSearchParams, name: string, raw: IncomingMessage, header: string) {
  const values = query.getAll(name);
  if (values.length === 0) return raw.headers[header];
  return values.length === 1 ? values[0] : values;
}

/** The handshake as the HTTP guards read a request: its address, and its credentials as headers. */
function guardRequestOf(raw: IncomingMessage, query: URLSearchParams): GuardRequest {
  return {
    method: raw.method,
    url: raw.url,
    ip: raw.socket?.remoteAddress,
    headers: {
      'x-app-id': credential(query, 'app_id', raw, 'x-app-id'),
      'x-api-key': credential(query, 'api_key', raw, 'x-api-key'),
    },
  };
}

/**
 * Serves `ws://host/v1/ws?session_id=…&app_id=…&api_key=…` on the demo's HTTP server, with the demo's one
 * catalog: a handshake passes the HTTP API's per-IP limit and key check first, refused handshakes are the
 * REST answers (401, 404, 429 past the per-IP limit, on the eleventh connection of a session or the 101st
 * of an app), a bad
 * message gets an error event and the connection stays open, and a command on an ended session closes
 * with 4409.
 */
export function attachWebSocket(server: Server, options: DemoSocketOptions): WsErrors<SocketContext> {
  const { state, guards, commandGuards } = options;
  const maxPerApp = options.connectionsPerApp ?? 100;
  const store = options.store ?? memoryStore();
  // Every message spends its session's rate and its app's, before it is parsed or validated.
  const { limit, window, ...over } = socketDocs.rate!;
  const messageRate = [
    rateLimit({ name: 'ws-session', key: bySession, limit, period: window!, ...quiet(store) }),
    rateLimit({ name: 'ws-app', key: appOfConnection, ...appMessageRate, ...quiet(store) }),
  ];
  const admitting = new Map<string, Set<IncomingMessage>>();
  const handshakes = new WeakMap<SocketContext, IncomingMessage>();
  const settle = (appId: string, raw: IncomingMessage) => {
    const waiting = admitting.get(appId);
    waiting?.delete(raw);
    if (waiting?.size === 0) admitting.delete(appId);
  };
  const endpoint = createWsErrors<SocketContext>({
    errors: options.errors,
    event: demoEvent,
    path: '/v1/ws',
    async authenticate(request, raw) {
      const query = new URL(request.url ?? '/', 'http://demo').searchParams;
      // The HTTP API's guards, in its order: the per-IP limit, then the app's key (constant time).
      const credentials = guardRequestOf(raw, query);
      const verdict = await checkMessage(guards, credentials);
      if (!verdict.allowed) throw verdict.error;
      const appId = appIdOf(credentials)!;
      if (!state.available) throw errors.create('STATE_STORE_UNAVAILABLE');
      const sessionId = query.get('session_id') ?? '';
      // Another app's session is refused as a missing one: the handshake reveals no other tenant's ids.
      const session = state.sessionOf(appId, sessionId);
      if (!session) throw errors.create('SESSION_NOT_FOUND', { sessionId });
      // Sessions are the app's to mint, so the 10 per session bound no app: it is also held to its share,
      // counting the handshakes admitted and not yet open, or a burst of them would each find room.
      const waiting = admitting.get(appId) ?? new Set<IncomingMessage>();
      let open = waiting.size;
      for (const conn of endpoint.connections) if (conn.context.appId === appId) open++;
      if (open >= maxPerApp) {
        throw errors.create('APP_CONNECTION_LIMIT', { max: maxPerApp }, { headers: { 'retry-after': '5' } });
      }
      waiting.add(raw);
      admitting.set(appId, waiting);
      // Counted until it opens (then among the connections) or its socket closes first (a refused upgrade).
      raw.socket.once('close', () => settle(appId, raw));
      const context = { sessionId: session.id, appId, ip: credentials.ip };
      handshakes.set(context, raw);
      return { key: keyOf(appId, session.id), context };
    },
    onConnection(conn) {
      const raw = handshakes.get(conn.context);
      if (raw) settle(conn.context.appId, raw);
    },
    messages: {
      serverOnly: ['command_ok'],
      schemas: {
        command: z.object({
          type: z.literal('command'),
          id: z.string().optional(),
          command: z.string().min(1),
          urls: z.array(mediaUrl).max(maxUrls).optional(),
        }),
      },
      maxBytes: socketDocs.maxBytes!,
    },
    on: {
      async command(message: { id?: string; command: string; urls?: string[] }, conn) {
        const { sessionId, appId, ip } = conn.context;
        // The HTTP route's own limits, keyed as that route keys them: a socket is no way around them.
        const path = `/v1/sessions/${encodeURIComponent(sessionId)}/commands/${encodeURIComponent(message.command)}`;
        const verdict = await checkMessage(commandGuards, {
          method: 'POST',
          url: path,
          ip,
          headers: { 'x-app-id': appId },
        });
        if (!verdict.allowed) throw verdict.error;
        const session = state.sessions.get(sessionId);
        if (!session) throw errors.create('SESSION_NOT_FOUND', { sessionId: conn.context.sessionId });
        if (!(commands as readonly string[]).includes(message.command)) {
          throw errors.create('INVALID_COMMAND', { command: message.command, supported: [...commands] });
        }
        if (session.state === 'ended') throw errors.create('SESSION_ENDED', { sessionId: session.id });
        if (message.command === 'play' && !message.urls?.length) throw errors.create('URLS_REQUIRED');
        state.record(session, message.command);
        if (message.command === 'answer') session.state = 'answered';
        if (message.command === 'hangup') session.state = 'ended';
        conn.send({
          type: 'command_ok',
          reply_to: message.id,
          command: message.command,
          state: session.state,
        });
      },
    },
    limits: {
      connections: { max: 10, store },
      // A flood is closed, not read and dropped for as long as its sender keeps it up.
      rate: { guard: messageRate, ...over },
      idleTimeout: 600_000,
    },
  });
  server.on('upgrade', endpoint.upgrade);
  server.once('close', () => {
    void endpoint.close({ timeout: 1000 });
  });
  return endpoint;
}

/** A message rate's settings: no headers on a socket, and a store that fails lets messages through. */
function quiet(store: Store) {
  return { store, headers: false, onStoreError: 'open' } as const;
}
