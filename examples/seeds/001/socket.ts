/**
 * The WebSocket of seed 001 at `/api/v1/ws`: an invalid event is answered with an
 * `EVENT_TYPE_SYSTEM_MESSAGE` at level `SYSTEM_MESSAGE_LEVEL_ERROR` and the connection stays open;
 * terminal errors are followed by `EVENT_TYPE_SESSION_END` and end the session. At most 10 connections per
 * session and 200 per connector (the page's `WS_CONNECTION_LIMIT_EXCEEDED`); messages over the rate of
 * the session, or of its connector, are dropped, and a socket that keeps sending over it is closed. A
 * reconnect with `cursor` replays the session's events after it.
 */
import { ApiError } from 'faultline';
import { checkMessage, type Guard, type KeyOf, rateLimit } from 'faultline/guards';
import type { ErrorHandler } from 'faultline/server';
import { memoryStore } from 'faultline/stores';
import { bySession, createWsErrors, type WsConnection, type WsErrors, wsBehaviourOf } from 'faultline/ws';
import * as z from 'zod';
import { type LogSink, redactUrl } from '../shared/run.js';
import type { Agent, Handoff } from './agent.js';
import { errors, event } from './catalog.js';
import type { CursorEvent, Messaging } from './domain.js';
import { overHttp } from './http.js';

/** The client events a client may send; the server-only ones are answered "not allowed". */
export const clientEvents = [
  'EVENT_TYPE_USER_MESSAGE',
  'EVENT_TYPE_REQUEST_POLY_AGENT_JOIN',
  'EVENT_TYPE_REQUEST_HANDOFF',
  'EVENT_TYPE_TYPING',
  'EVENT_TYPE_END_SESSION',
] as const;
const serverEvents = [
  'EVENT_TYPE_SYSTEM_MESSAGE',
  'EVENT_TYPE_AGENT_MESSAGE',
  'EVENT_TYPE_AGENT_JOINED',
  'EVENT_TYPE_HANDOFF_STARTED',
  'EVENT_TYPE_SESSION_END',
] as const;

/**
 * The keys `metadata.custom` may carry, counted before any is validated: it is echoed back with each error
 * and agent message, and a record of thousands of keys would cost its validation on every message.
 */
const maxCustomKeys = 32;
const custom = z
  .custom(
    (value) => typeof value !== 'object' || value === null || Object.keys(value).length <= maxCustomKeys,
  )
  .pipe(z.record(z.string(), z.unknown()));
const metadata = z.object({ custom: custom.optional() }).optional();

/**
 * The largest client event: a text of 4000 characters, each escaped as `\uXXXX` (24 000 bytes), and its
 * metadata. The library's 64 KiB default would take twice that.
 */
const maxEventBytes = 32 * 1024;

/** Sessions' worth of messages a connector's sockets may send together: 200 a second at the default rate. */
const connectorSessions = 20;

/** Over the rate, messages are dropped; a socket that sends this many more than it may is closed. */
const closeAfter = 100;
const schemas = {
  // An event its schema refuses is the page's invalid event: `INVALID_EVENT` claims `messageInvalid`.
  EVENT_TYPE_USER_MESSAGE: z.object({
    type: z.string(),
    // Kept in the history with the message: bounded as its text is.
    id: z.string().max(256).optional(),
    text: z.string().min(1).max(4000),
    metadata,
  }),
  EVENT_TYPE_REQUEST_POLY_AGENT_JOIN: z.object({ type: z.string(), id: z.string().optional(), metadata }),
  EVENT_TYPE_REQUEST_HANDOFF: z.object({ type: z.string(), id: z.string().optional(), metadata }),
};

/** What a connection carries: its session, and the events after its cursor, sent once it opens. */
export interface Context {
  session: string;
  /** The connector whose session this is: its connections are counted against its share. */
  connector: string;
  backlog: readonly CursorEvent[];
}
type Conn = WsConnection<Context>;

/** What the endpoint needs. */
export interface SocketParts {
  messaging: Messaging;
  agent: Agent;
  handoff: Handoff;
  handler: ErrorHandler;
  /**
   * The guards every handshake passes before it is authenticated, the HTTP API's own: the per-address
   * limit, so that HTTP and WebSocket spend one budget per address.
   */
  handshakeGuards: readonly Guard[];
  /** Where the errors answered on a connection are logged. */
  logError: (event: { error: ApiError; conn: Conn | undefined }) => void;
  /** Where warnings go (an invalid cursor). */
  warn: LogSink;
  /**
   * WebSocket messages per second per session; more are dropped. A connector's sockets may send 20 times
   * as many together. @default 10
   */
  messageRate?: number | undefined;
  /** Simultaneous WebSocket connections per session. @default 10 */
  connectionsPerSession?: number | undefined;
  /**
   * Simultaneous WebSocket connections per connector on this instance, over all its sessions: sessions are
   * the connector's to mint, so the per-session bound alone bounds no connector. @default 200
   */
  connectionsPerConnector?: number | undefined;
}

export function messagingSocket(parts: SocketParts): WsErrors<Context> {
  const { messaging, agent, handoff } = parts;
  const maxPerConnector = parts.connectionsPerConnector ?? 200;
  // Handshakes admitted and not yet open, per connector: counted too, or a burst of them would each find room.
  const admitting = new Map<string, Set<object>>();
  const settle = (connector: string, handshake: object) => {
    const waiting = admitting.get(connector);
    waiting?.delete(handshake);
    if (waiting?.size === 0) admitting.delete(connector);
  };
  const handshakes = new WeakMap<Context, object>();
  const notAllowed = (type: string) => () => {
    throw errors.create('EVENT_TYPE_NOT_ALLOWED', { eventType: type });
  };
  const on: Record<string, (message: any, conn: Conn) => unknown> = Object.fromEntries(
    serverEvents.map((type) => [type, notAllowed(type)]),
  );
  on.EVENT_TYPE_TYPING = () => undefined;
  // Conversation events carry a cursor and are kept, so that a reconnect can resume after the last seen;
  // one produced after its session ended is neither kept nor sent.
  const emit = async (conn: Conn, event: Record<string, unknown>) => {
    const numbered = await messaging.record(conn.context.session, conn.context.connector, event);
    if (numbered) conn.send(numbered);
  };
  // Ends the session: its record and history go, and every socket of it closes after the session end, not
  // only the one that asked; `raising` is left to the endpoint, which closes it after its error event.
  const endSession = async (conn: Conn, raising?: Conn) => {
    const id = conn.context.session;
    await messaging.end(id, conn.context.connector);
    for (const other of ws.connections)
      if (other.context.session === id && other !== raising) {
        other.send({ type: 'EVENT_TYPE_SESSION_END' });
        other.close(1000, 'session ended');
      }
  };
  on.EVENT_TYPE_END_SESSION = (_message, conn) => endSession(conn);
  on.EVENT_TYPE_REQUEST_POLY_AGENT_JOIN = async (_message, conn) => {
    const session = await messaging.session(conn.context.session);
    messaging.connectorOf(session);
    const conversation = await agent.start(session.id);
    session.conversation = { state: 'active', id: conversation };
    await messaging.save(session);
    await emit(conn, { type: 'EVENT_TYPE_AGENT_JOINED', conversation_id: conversation ?? null });
  };
  on.EVENT_TYPE_USER_MESSAGE = async (message: { id?: string; text: string; metadata?: unknown }, conn) => {
    const session = await messaging.session(conn.context.session);
    messaging.connectorOf(session);
    // The client's own message is part of the history a reconnect replays.
    await messaging.record(session.id, session.connector, {
      type: 'EVENT_TYPE_USER_MESSAGE',
      ...(message.id === undefined ? {} : { id: message.id }),
      text: message.text,
    });
    if (session.handoff !== undefined) {
      await handoff.forward(session.handoff, message.text);
      return;
    }
    if (session.conversation.state === 'none') throw errors.create('CONVERSATION_NOT_FOUND');
    if (session.conversation.id === undefined) throw errors.create('CONVERSATION_ID_MISSING');
    await agent.reply(session.conversation.id, message.text, (delta) =>
      emit(conn, { type: 'EVENT_TYPE_AGENT_MESSAGE', delta, metadata: message.metadata ?? null }),
    );
  };
  on.EVENT_TYPE_REQUEST_HANDOFF = async (_message, conn) => {
    const session = await messaging.session(conn.context.session);
    const connector = messaging.connectorOf(session);
    if (!connector.handoff) throw errors.create('HANDOFF_INITIATION_FAILED');
    session.handoff = await handoff.connect(connector.handoff.queue, session.id);
    await messaging.save(session);
    await emit(conn, { type: 'EVENT_TYPE_HANDOFF_STARTED' });
  };

  // An error whose entry ends the session (`ws.endsSession`) is followed by the session end and a close of
  // its socket; the session itself ends here, so that it is gone for `GET` and a reconnect as the page says.
  // A store that cannot delete the record is logged; the client still gets the error that ended the session.
  const endAfter = (conn: Conn) =>
    endSession(conn, conn).catch((failure: unknown) =>
      parts.logError({
        error:
          failure instanceof ApiError
            ? failure
            : errors.create('INTERNAL_ERROR', undefined, { cause: failure }),
        conn,
      }),
    );
  for (const [type, handler] of Object.entries(on))
    on[type] = async (message, conn) => {
      try {
        return await handler(message, conn);
      } catch (error) {
        if (endsSession(error)) await endAfter(conn);
        throw error;
      }
    };

  const ws: WsErrors<Context> = createWsErrors<Context>({
    errors: parts.handler,
    event,
    path: '/api/v1/ws',
    async authenticate(request, raw) {
      // Before anything of the request is read: a refusal is the page's 429 with its Retry-After, over HTTP.
      const verdict = await checkMessage(parts.handshakeGuards, request);
      if (!verdict.allowed) throw verdict.error;
      const query = new URL(request.url ?? '/', 'http://localhost').searchParams;
      const sessionId = query.get('session_id');
      const token = query.get('access_token');
      if (!sessionId || !token) throw errors.create('WS_INVALID_CONNECTION_PARAMETERS');
      // Authenticate first; a token that does not match the session (another connector's) is the page's 401.
      const connector = messaging.verify(token);
      if (!connector) throw errors.create('WS_AUTHENTICATION_FAILED');
      const match = await overHttp(messaging.matchOf(connector, sessionId));
      if (match === 'missing') throw errors.create('WS_SESSION_NOT_FOUND');
      if (match === 'foreign') throw errors.create('WS_AUTHENTICATION_FAILED');
      // An invalid cursor does not refuse the connection: it is logged and replays from 0.
      const given = query.get('cursor');
      let cursor = given === null ? 0 : Number(given);
      if (given !== null && (!/^\d+$/.test(given) || !Number.isSafeInteger(cursor))) {
        parts.warn({
          level: 'warn',
          code: 'INVALID_CURSOR',
          status: 200,
          correlationId: '',
          method: 'GET',
          url: redactUrl(request.url),
        });
        cursor = 0;
      }
      // Read before the socket opens, so that the replay goes out before any new event of the session.
      const backlog = await overHttp(messaging.replay(sessionId, cursor));
      // The connector's share of this instance's sockets, counted after authentication: the page's 429.
      const waiting = admitting.get(connector.id) ?? new Set<object>();
      let open = waiting.size;
      for (const conn of ws.connections) if (conn.context.connector === connector.id) open++;
      if (open >= maxPerConnector) throw errors.create('WS_CONNECTION_LIMIT_EXCEEDED');
      waiting.add(raw);
      admitting.set(connector.id, waiting);
      // Counted until it opens (then among the connections) or its socket closes first (a refused upgrade).
      raw.socket.once('close', () => settle(connector.id, raw));
      const context: Context = { session: sessionId, connector: connector.id, backlog };
      handshakes.set(context, raw);
      return { key: keyOf(connector.id, sessionId), context };
    },
    onConnection(conn) {
      const handshake = handshakes.get(conn.context);
      if (handshake) settle(conn.context.connector, handshake);
      for (const event of conn.context.backlog) conn.send(event);
      conn.context.backlog = [];
    },
    messages: {
      typeField: 'type',
      idField: 'id',
      schemas,
      maxBytes: maxEventBytes,
      sessionEnd: { type: 'EVENT_TYPE_SESSION_END' },
    },
    on,
    limits: {
      connections: { max: parts.connectionsPerSession ?? 10 },
      rate: { guard: messageRates(parts.messageRate ?? 10), over: 'drop', closeAfter },
    },
    onError: ({ error, conn }) => parts.logError({ error, conn }),
  });
  return ws;
}

// A connection's key is `<connector>:<session>` (connector ids have no colon): the connector is read from it.
const keyOf = (connector: string, session: string) => `${connector}:${session}`;
const connectorOf: KeyOf = (request) => bySession(request)?.split(':', 1)[0];

/**
 * The rates every message spends before it is parsed: its session's, as the page says, and its
 * connector's, since sessions are the connector's to mint and the per-session rate alone bounds no
 * connector's share of the work.
 */
function messageRates(perSession: number): Guard[] {
  // No headers on a socket; a store that fails lets messages through.
  const common = { store: memoryStore(), headers: false, onStoreError: 'open', period: 1000 } as const;
  return [
    rateLimit({ ...common, name: 'ws-session', key: bySession, limit: perSession }),
    rateLimit({ ...common, name: 'ws-connector', key: connectorOf, limit: perSession * connectorSessions }),
  ];
}

/** Whether `error` is one whose catalog entry ends the session. */
function endsSession(error: unknown): boolean {
  const entry = error instanceof ApiError ? errors.get(error.code) : undefined;
  return entry !== undefined && wsBehaviourOf(entry).endsSession;
}
