import type { Server } from 'node:http';
import type { WsDocsOptions } from 'faultline/docs';
import { field, fieldErrors, first } from 'faultline/format';
import type { ErrorHandler, RequestView } from 'faultline/server';
import type { Store } from 'faultline/stores';
import { createWsErrors, type WsErrors, wsEnvelope } from 'faultline/ws';
import * as z from 'zod';
import { errors } from './catalog.js';
import type { DemoState } from './state.js';

/**
 * The demo's error events: its REST envelope (`code`, `error`, `request_id`, `details`) with the event's
 * own fields, declared as data like the HTTP envelope.
 */
export const demoEvent = wsEnvelope({
  type: 'error',
  event_id: field.eventId,
  timestamp: field.timestamp,
  reply_to: field.replyTo,
  code: field.code,
  error: field.message,
  request_id: field.correlationId,
  details: first({ fieldErrors: fieldErrors('map') }, field.details),
  retry_after: field.retryAfter,
});

/** What the socket needs of the demo: its sessions and app keys, and where the limits keep their state. */
export interface DemoSocketOptions {
  /** The demo's HTTP error handler: handshake refusals are its answers (envelope, locales, request id). */
  errors: ErrorHandler;
  state: DemoState;
  apps: Readonly<Record<string, string>>;
  /** The store of the connection and message limits (the demo's guards store). @default memoryStore() */
  store?: Store;
}

/** The socket's limits as the reference page shows them (`/docs/errors`), with its example event. */
export const socketDocs: WsDocsOptions = {
  path: '/v1/ws',
  event: demoEvent,
  rate: { limit: 20, window: 1000, over: 'drop' },
  connections: 10,
  heartbeat: 30_000,
  idleTimeout: 600_000,
};

const commands = ['answer', 'hangup', 'play', 'record', 'transfer'] as const;
const appIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

function parameter(request: RequestView, query: URLSearchParams, name: string, header: string) {
  const headers = request.headers as Record<string, string | string[] | undefined> | undefined;
  const fromHeader = headers?.[header];
  return query.get(name) ?? (typeof fromHeader === 'string' ? fromHeader : undefined);
}

/**
 * Serves `ws://host/v1/ws?session_id=…&app_id=…&api_key=…` on the demo's HTTP server, with the demo's one
 * catalog: refused handshakes are the REST answers (401, 404, 429 on the eleventh connection of a session),
 * a bad message gets an error event and the connection stays open, and a command on an ended session
 * closes with 4409.
 */
export function attachWebSocket(server: Server, options: DemoSocketOptions): WsErrors<{ sessionId: string }> {
  const { state, apps } = options;
  const store = options.store ? { store: options.store } : {};
  const endpoint = createWsErrors<{ sessionId: string }>({
    errors: options.errors,
    event: demoEvent,
    path: '/v1/ws',
    authenticate(request) {
      const query = new URL(request.url ?? '/', 'http://demo').searchParams;
      // Browsers cannot set headers on a WebSocket: the credentials may come in the query.
      const appId = parameter(request, query, 'app_id', 'x-app-id');
      if (!appId) throw errors.create('MISSING_APP_ID');
      if (!appIdPattern.test(appId)) throw errors.create('INVALID_APP_ID');
      const key = parameter(request, query, 'api_key', 'x-api-key');
      if (!key) throw errors.create('MISSING_API_KEY');
      if (apps[appId] !== key) throw errors.create('INVALID_API_KEY');
      if (!state.available) throw errors.create('STATE_STORE_UNAVAILABLE');
      const sessionId = query.get('session_id') ?? '';
      const session = state.sessions.get(sessionId);
      if (!session) throw errors.create('SESSION_NOT_FOUND', { sessionId });
      if (session.appId !== appId) throw errors.create('SESSION_FORBIDDEN');
      return { key: session.id, context: { sessionId: session.id } };
    },
    messages: {
      serverOnly: ['command_ok'],
      schemas: {
        command: z.object({
          type: z.literal('command'),
          id: z.string().optional(),
          command: z.string().min(1),
        }),
      },
    },
    on: {
      command(message: { id?: string; command: string }, conn) {
        const session = state.sessions.get(conn.context.sessionId);
        if (!session) throw errors.create('SESSION_NOT_FOUND', { sessionId: conn.context.sessionId });
        if (!(commands as readonly string[]).includes(message.command)) {
          throw errors.create('INVALID_COMMAND', { command: message.command, supported: [...commands] });
        }
        if (session.state === 'ended') throw errors.create('SESSION_ENDED', { sessionId: session.id });
        session.commands.push({ command: message.command, at: new Date().toISOString() });
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
      connections: { max: 10, ...store },
      rate: { limit: 20, window: 1000, over: 'drop', ...store },
      idleTimeout: 600_000,
    },
  });
  server.on('upgrade', endpoint.upgrade);
  server.once('close', () => {
    void endpoint.close({ timeout: 1000 });
  });
  return endpoint;
}
