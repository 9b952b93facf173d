import type { Server } from 'node:http';
import { defineErrors } from 'faultline';
import { createWsErrors, type WsErrors, wsDefinitions } from 'faultline/ws';
import * as z from 'zod';

/** The WebSocket errors of the demo, in the style of a messaging API. */
export const wsErrors = defineErrors({
  ...wsDefinitions,
  INVALID_CONNECTION_PARAMETERS: {
    status: 400,
    message: 'invalid connection parameters',
    fix: 'Include session_id and access_token.',
  },
  AUTHENTICATION_FAILED: {
    status: 401,
    message: 'authentication failed',
    fix: 'Use the access token of the session.',
  },
  SESSION_NOT_FOUND: { status: 404, message: 'session not found', fix: 'Create a new session.' },
  CONNECTION_LIMIT_EXCEEDED: {
    status: 429,
    message: 'connection limit exceeded for session',
    ws: { roles: ['connectionLimit'] },
  },
  SESSION_ENDED: { status: 410, message: 'The session has ended.', ws: { close: 4410, endsSession: true } },
});

/**
 * Serves `ws://host/v1/ws?session_id=demo&access_token=demo-token` on the demo's HTTP server: an invalid
 * message gets an error event and the connection stays open, the eleventh connection of a session gets
 * 429, and `{"type":"end_session"}` closes with 4410.
 */
export function attachWebSocket(server: Server): WsErrors {
  const endpoint = createWsErrors({
    errors: { catalog: wsErrors, correlation: { header: 'x-request-id' } },
    path: '/v1/ws',
    authenticate(request) {
      const query = new URL(request.url ?? '/', 'http://demo').searchParams;
      const session = query.get('session_id');
      const token = query.get('access_token');
      if (!session || !token) throw wsErrors.create('INVALID_CONNECTION_PARAMETERS');
      if (session !== 'demo') throw wsErrors.create('SESSION_NOT_FOUND');
      if (token !== 'demo-token') throw wsErrors.create('AUTHENTICATION_FAILED');
      return { key: session };
    },
    messages: {
      serverOnly: ['message_received'],
      schemas: {
        send_message: z.object({
          type: z.literal('send_message'),
          id: z.string().optional(),
          text: z.string().min(1),
        }),
      },
    },
    on: {
      send_message: (message: { text: string; id?: string }, conn) =>
        conn.send({ type: 'message_received', reply_to: message.id, text: message.text }),
      end_session: () => {
        throw wsErrors.create('SESSION_ENDED');
      },
    },
    limits: {
      connections: { max: 10 },
      rate: { limit: 20, window: 1000, over: 'drop' },
      idleTimeout: 600_000,
    },
  });
  server.on('upgrade', endpoint.upgrade);
  server.once('close', () => {
    void endpoint.close({ timeout: 1000 });
  });
  return endpoint;
}
