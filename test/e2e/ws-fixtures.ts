import { defineErrors, wsDefinitions } from 'faultline';
import type { RequestView } from 'faultline/server';

/** A catalog in the style of a messaging API: handshake errors, in-session events, closing codes. */
export const catalog = defineErrors(
  {
    ...wsDefinitions,
    INVALID_CONNECTION_PARAMETERS: { status: 400, message: 'invalid connection parameters' },
    AUTHENTICATION_FAILED: { status: 401, message: 'authentication failed' },
    SESSION_NOT_FOUND: { status: 404, message: 'session not found' },
    CONNECTION_LIMIT_EXCEEDED: {
      status: 429,
      message: 'connection limit exceeded for session',
      roles: ['connectionLimit'],
    },
    INVALID_EVENT: {
      status: 400,
      message: 'Unknown event type or invalid message format',
      roles: ['messageMalformed', 'messageTypeUnknown'],
    },
    SESSION_ENDED: { status: 410, message: 'The session has ended.', ws: { close: 4410, endsSession: true } },
    HANDOFF_FAILED: {
      status: 500,
      message: 'The handoff failed.',
      retryable: false,
      ws: { endsSession: true },
    },
    SESSION_GONE: { status: 410, message: 'Gone.', ws: { endsSession: true, notify: false } },
    TOKEN_EXPIRED: { status: 401, message: 'The access token expired.' },
    AGENT_BUSY: {
      status: 503,
      message: 'Our system is experiencing high load. Please try again in a moment.',
    },
  },
  {
    closeCodes: {
      1000: { name: 'Normal closure', description: 'Connection closed cleanly.' },
      1006: {
        name: 'Abnormal closure',
        description: 'Connection dropped unexpectedly (for example, network failure).',
      },
      408: {
        name: 'Pong timeout',
        description: 'Server did not receive a pong response within the configured timeout.',
        reconnect: 'backoff',
      },
    },
  },
);

/** Reads `session_id` and `access_token` from the query, as page 001's endpoint does. */
export function authenticate(request: RequestView): { key: string; context: { session: string } } {
  const query = new URL(request.url ?? '/', 'http://x').searchParams;
  const session = query.get('session_id');
  const token = query.get('access_token');
  if (!session || !token) throw catalog.create('INVALID_CONNECTION_PARAMETERS');
  if (session === 'missing') throw catalog.create('SESSION_NOT_FOUND');
  if (token !== 'good') throw catalog.create('AUTHENTICATION_FAILED');
  return { key: session, context: { session } };
}
