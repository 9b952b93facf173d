/**
 * Seed 001: the messaging API of reference page 001 on node:http, with its WebSocket. HTTP errors are
 * message-only bodies; over the WebSocket an invalid event is answered with an `EVENT_TYPE_SYSTEM_MESSAGE`
 * at level `SYSTEM_MESSAGE_LEVEL_ERROR` and the connection stays open; terminal errors are followed by
 * `EVENT_TYPE_SESSION_END`. At most 10 connections per session; messages over the rate are dropped.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { byIp, rateLimit } from 'faultline/guards';
import { createNodeErrors, createRouter, guard, readJson } from 'faultline/node';
import { createWsErrors, type WsConnection, type WsErrors } from 'faultline/ws';
import * as z from 'zod';
import {
  type Clock,
  type LogSink,
  listen,
  logErrors,
  type Running,
  redactUrl,
  stderrSink,
  systemClock,
} from '../shared/run.js';
import { Agent, Handoff } from './agent.js';
import { errors, event, format } from './catalog.js';
import { Messaging, type MessagingOptions } from './domain.js';

/** Options of seed 001. */
export interface SeedOptions extends MessagingOptions {
  clock?: Clock;
  log?: LogSink;
  /** The agent service. @default http://127.0.0.1:9 (nothing listens) */
  agentUrl?: string;
  /** The live-agent handoff provider. @default http://127.0.0.1:9 */
  handoffUrl?: string;
  /** HTTP requests per minute per session. @default 120 */
  sessionRate?: number;
  /** WebSocket messages per second per session; more are dropped. @default 10 */
  messageRate?: number;
  /** Simultaneous WebSocket connections per session. @default 10 */
  connectionsPerSession?: number;
}

/** The client events a client may send; the server-only ones are answered "not allowed". */
const clientEvents = [
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

const metadata = z.object({ custom: z.record(z.string(), z.unknown()).optional() }).optional();
const schemas = {
  EVENT_TYPE_USER_MESSAGE: z.object({
    type: z.string(),
    id: z.string().optional(),
    text: z.string().min(1).max(4000),
    metadata,
  }),
  EVENT_TYPE_REQUEST_POLY_AGENT_JOIN: z.object({ type: z.string(), id: z.string().optional(), metadata }),
  EVENT_TYPE_REQUEST_HANDOFF: z.object({ type: z.string(), id: z.string().optional(), metadata }),
};

/** What a connection carries: its session, and the cursor it resumes after. */
interface Context {
  session: string;
  cursor: number;
}
type Conn = WsConnection<Context>;

export interface Seed {
  readonly server: Server;
  readonly messaging: Messaging;
  readonly ws: WsErrors<Context>;
}

const bearer = (req: IncomingMessage): string | undefined => {
  const header = req.headers.authorization;
  if (header === undefined) throw errors.create('ACCESS_TOKEN_MISSING');
  const match = /^Bearer ([^\s]+)$/.exec(header);
  if (!match) throw errors.create('MISSING_AUTH_HEADERS');
  return match[1];
};

export function createSeed(options: SeedOptions = {}): Seed {
  const clock = options.clock ?? systemClock;
  const messaging = new Messaging(clock, options);
  const agent = new Agent(options.agentUrl ?? 'http://127.0.0.1:9');
  const handoff = new Handoff(options.handoffUrl ?? 'http://127.0.0.1:9');
  const log = logErrors(options.log);
  const nodeErrors = createNodeErrors({ catalog: errors, format, onError: log });

  // Every request is limited per IP in front of authentication; a session's own budget is spent only by
  // its authenticated owner, so nobody else can exhaust it by naming the session in a path.
  const limited = guard(rateLimit({ name: 'ip', key: byIp, limit: 600, period: '1m' }));
  const perSession = guard(
    rateLimit({
      name: 'session',
      key: (r) => /\/sessions\/([^/?]+)/.exec(r.url ?? '')?.[1],
      limit: options.sessionRate ?? 120,
      period: '1m',
    }),
  );

  const router = createRouter()
    .post('/api/v1/access-token', (req) => {
      const header = (name: string) =>
        typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined;
      return messaging.accessToken(header('x-token'), header('x-host'));
    })
    .post('/api/v1/sessions', async (req) => {
      const token = bearer(req);
      const connector = token === undefined ? undefined : messaging.verify(token);
      if (!connector) throw errors.create('ACCESS_TOKEN_INVALID');
      // The body is optional: `{}` or `{ "streaming_enabled": true }`, or nothing at all.
      const hasBody =
        Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
      const body = hasBody
        ? await readJson(req, {
            limit: '16kb',
            schema: z.object({ streaming_enabled: z.boolean().optional() }),
          })
        : {};
      const session = messaging.createSession(connector, body.streaming_enabled ?? false);
      return { session_id: session.id };
    })
    .get('/api/v1/sessions/:id', (req, res, { params }) => {
      // Authenticate first: whether a session exists is told only to the connector that owns it.
      const token = bearer(req);
      const connector = token === undefined ? undefined : messaging.verify(token);
      if (!connector) throw errors.create('ACCESS_TOKEN_INVALID');
      const session = messaging.sessionOf(connector, params.id!);
      if (!session) throw errors.create('SESSION_STATE_NOT_FOUND');
      return perSession(() => ({
        session_id: session.id,
        conversation: session.conversation.state,
        handoff: session.handoff !== undefined,
      }))(req, res);
    });
  const server = createServer(nodeErrors(limited(router.handle)));

  const notAllowed = (type: string) => () => {
    throw errors.create('EVENT_TYPE_NOT_ALLOWED', { eventType: type });
  };
  const on: Record<string, (message: any, conn: Conn) => unknown> = Object.fromEntries(
    serverEvents.map((type) => [type, notAllowed(type)]),
  );
  on.EVENT_TYPE_TYPING = () => undefined;
  // Conversation events carry a cursor and are kept, so that a reconnect can resume after the last seen.
  const emit = (conn: Conn, event: Record<string, unknown>) =>
    conn.send(messaging.record(conn.context.session, event));
  on.EVENT_TYPE_END_SESSION = (_message, conn) => {
    const id = conn.context.session;
    messaging.end(id);
    // Every socket of the session ends with it, not only the one that asked.
    for (const other of ws.connections)
      if (other.context.session === id) {
        other.send({ type: 'EVENT_TYPE_SESSION_END' });
        other.close(1000, 'session ended');
      }
  };
  on.EVENT_TYPE_REQUEST_POLY_AGENT_JOIN = async (_message, conn) => {
    const session = messaging.session(conn.context.session);
    messaging.connectorOf(session);
    const conversation = await agent.start(session.id);
    session.conversation = { state: 'active', id: conversation };
    messaging.save(session);
    emit(conn, { type: 'EVENT_TYPE_AGENT_JOINED', conversation_id: conversation ?? null });
  };
  on.EVENT_TYPE_USER_MESSAGE = async (message: { id?: string; text: string; metadata?: unknown }, conn) => {
    const session = messaging.session(conn.context.session);
    messaging.connectorOf(session);
    // The client's own message is part of the history a reconnect replays.
    messaging.record(session.id, {
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
    const session = messaging.session(conn.context.session);
    const connector = messaging.connectorOf(session);
    if (!connector.handoff) throw errors.create('HANDOFF_INITIATION_FAILED');
    session.handoff = await handoff.connect(connector.handoff.queue, session.id);
    messaging.save(session);
    emit(conn, { type: 'EVENT_TYPE_HANDOFF_STARTED' });
  };

  const ws = createWsErrors<Context>({
    errors: nodeErrors.handler,
    event,
    path: '/api/v1/ws',
    authenticate(request) {
      const query = new URL(request.url ?? '/', 'http://localhost').searchParams;
      const sessionId = query.get('session_id');
      const token = query.get('access_token');
      if (!sessionId || !token) throw errors.create('WS_INVALID_CONNECTION_PARAMETERS');
      // Authenticate first; another connector's session is answered as one that does not exist.
      const connector = messaging.verify(token);
      if (!connector) throw errors.create('WS_AUTHENTICATION_FAILED');
      if (!messaging.sessionOf(connector, sessionId)) throw errors.create('WS_SESSION_NOT_FOUND');
      // An invalid cursor does not refuse the connection: it is logged and replays from 0.
      const given = query.get('cursor');
      let cursor = given === null ? 0 : Number(given);
      if (given !== null && (!/^\d+$/.test(given) || !Number.isSafeInteger(cursor))) {
        (options.log ?? stderrSink)({
          level: 'warn',
          code: 'INVALID_CURSOR',
          status: 200,
          correlationId: '',
          method: 'GET',
          url: redactUrl(request.url),
        });
        cursor = 0;
      }
      return { key: sessionId, context: { session: sessionId, cursor } };
    },
    onConnection(conn) {
      for (const event of messaging.replay(conn.context.session, conn.context.cursor)) conn.send(event);
    },
    messages: {
      typeField: 'type',
      idField: 'id',
      schemas,
      sessionEnd: { type: 'EVENT_TYPE_SESSION_END' },
    },
    on,
    limits: {
      connections: { max: options.connectionsPerSession ?? 10 },
      rate: { limit: options.messageRate ?? 10, window: 1000, over: 'drop' },
    },
    onError: ({ error, conn }) =>
      log({
        error,
        thrown: error,
        correlationId: conn?.correlationId ?? error.correlationId ?? '',
        request: conn?.request ?? {},
      }),
  });
  server.on('upgrade', ws.upgrade);
  return { server, messaging, ws };
}

/** The client events a client may send. */
export { clientEvents };

/** Starts seed 001 on `port` (0: a free one). */
export async function start(port = 0, options: SeedOptions = {}): Promise<Running & { seed: Seed }> {
  const seed = createSeed(options);
  const running = await listen(seed.server, port);
  return {
    ...running,
    seed,
    close: async () => {
      await seed.ws.close({ timeout: 500 });
      await running.close();
    },
  };
}
