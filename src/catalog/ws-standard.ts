import type { StandardSchemaV1 } from '@standard-schema/spec';

// The details of a message-type error: the type the client sent, for `{type}` in the message.
const typeDetails: StandardSchemaV1<{ type: string }> = Object.freeze({
  '~standard': Object.freeze({
    version: 1 as const,
    vendor: 'faultline',
    validate(value: unknown): StandardSchemaV1.Result<{ type: string }> {
      const type = (value as { type?: unknown } | null)?.type;
      return typeof type === 'string'
        ? { value: { type } }
        : { issues: [{ message: 'type must be a string', path: ['type'] }] };
    },
  }),
});

/**
 * The codes faultline's WebSocket layer raises, one per mechanism (`roles`). A catalog opts in by
 * spreading them; an entry of its own that lists a role answers for it instead.
 * @example
 * const errors = defineErrors({ ...wsDefinitions, SESSION_NOT_FOUND: { status: 404, message: 'session not found' } });
 */
export const wsDefinitions = {
  MESSAGE_MALFORMED: {
    status: 400,
    group: 'websocket',
    message: 'The message is not valid JSON or has no type.',
    description: 'A text message could not be parsed as a JSON object with a string type field.',
    fix: 'Send one JSON object per message, with its type field set.',
    roles: ['messageMalformed'],
  },
  MESSAGE_TYPE_UNKNOWN: {
    status: 400,
    group: 'websocket',
    message: 'The message type is not recognised.',
    description: 'The type field names no message type of this endpoint.',
    fix: 'Check the type against the list of client message types.',
    roles: ['messageTypeUnknown'],
  },
  MESSAGE_TYPE_NOT_ALLOWED: {
    status: 400,
    group: 'websocket',
    message: 'Message type not allowed: {type}',
    description: 'The type is one only the server sends.',
    fix: 'Send only client message types.',
    details: typeDetails,
    roles: ['messageTypeNotAllowed'],
  },
  MESSAGE_INVALID: {
    status: 400,
    group: 'websocket',
    message: 'The message failed validation.',
    description: 'The message does not match the schema of its type; `errors` lists each field.',
    fix: 'Correct the fields listed in `errors`, then send the message again.',
    roles: ['messageInvalid'],
  },
  MESSAGE_TOO_LARGE: {
    status: 413,
    group: 'websocket',
    message: 'The message is too large.',
    description:
      'Over the soft limit the message is refused and the connection stays open; over the hard limit it closes with 1009.',
    fix: 'Send smaller messages, or split the content over several.',
    roles: ['messageTooLarge'],
  },
  MESSAGE_UNSUPPORTED: {
    status: 415,
    group: 'websocket',
    message: 'Binary messages are not supported.',
    description: 'The endpoint reads text messages only.',
    fix: 'Send JSON as a text message.',
    roles: ['messageUnsupported'],
  },
  MESSAGE_RATE_LIMITED: {
    status: 429,
    group: 'websocket',
    message: 'Too many messages.',
    description: 'The session sent messages faster than its rate limit.',
    fix: 'Wait for the time given by retry_after, then send again.',
    roles: ['messageRateLimited'],
    ws: { resume: true },
  },
  CONNECTION_LIMIT: {
    status: 429,
    group: 'websocket',
    message: 'Connection limit exceeded for this session.',
    description:
      'The session already holds the most simultaneous connections allowed; answered at the handshake.',
    fix: 'Close connections you no longer use before opening another.',
    roles: ['connectionLimit'],
  },
  UPGRADE_REQUIRED: {
    status: 426,
    group: 'websocket',
    message: 'This endpoint speaks WebSocket only.',
    description: 'A plain HTTP request reached a WebSocket endpoint.',
    fix: 'Connect with a WebSocket client.',
    headers: { upgrade: 'websocket' },
    retryable: false,
    roles: ['upgradeRequired'],
  },
  HANDSHAKE_INVALID: {
    status: 400,
    group: 'websocket',
    message: 'The WebSocket handshake is malformed.',
    description:
      'A handshake header is missing or malformed: `Sec-WebSocket-Key`, `-Version`, `-Protocol` or `-Extensions`.',
    fix: 'Connect with a WebSocket client that follows RFC 6455.',
    retryable: false,
    roles: ['handshakeInvalid'],
  },
  IDLE_TIMEOUT: {
    status: 408,
    group: 'websocket',
    message: 'The connection was idle for too long.',
    description: 'No message arrived within the idle timeout.',
    fix: 'Reconnect when there is something to send, or send a message before the timeout.',
    roles: ['idleTimeout'],
    ws: { resume: true },
  },
  HEARTBEAT_TIMEOUT: {
    status: 408,
    group: 'websocket',
    message: 'The client did not answer a heartbeat in time.',
    description:
      'A ping went unanswered for a whole heartbeat interval; the connection is dropped without a close frame (1006).',
    fix: 'Let the WebSocket library answer pings; reconnect and resume.',
    roles: ['heartbeatTimeout'],
    ws: { notify: false, resume: true },
  },
  SESSION_EXPIRED: {
    status: 408,
    group: 'websocket',
    message: 'The connection reached its maximum duration.',
    description: 'Connections are recycled after the maximum duration; the session itself continues.',
    fix: 'Reconnect at once and resume with the last cursor.',
    roles: ['sessionExpired'],
    ws: { reconnect: 'immediate', resume: true },
  },
  SLOW_CONSUMER: {
    status: 429,
    group: 'websocket',
    message: 'The client reads too slowly.',
    description: 'Data waiting to be sent to the client passed the buffer limit.',
    fix: 'Read messages as they arrive; reconnect and resume.',
    roles: ['slowConsumer'],
    ws: { close: 1008, reconnect: 'backoff', resume: true },
  },
  GOING_AWAY: {
    status: 503,
    group: 'websocket',
    message: 'The server is shutting down.',
    description: 'The server closes every connection before it stops.',
    fix: 'Reconnect with backoff and resume.',
    roles: ['goingAway'],
    ws: { resume: true },
  },
  SERVICE_RESTART: {
    status: 503,
    group: 'websocket',
    message: 'The service is restarting.',
    description: 'The server closes every connection before a restart.',
    fix: 'Reconnect with backoff and resume.',
    roles: ['serviceRestart'],
    ws: { resume: true },
  },
} as const;

/** A code of `wsDefinitions`. */
export type WsStandardCode = keyof typeof wsDefinitions;
