/**
 * Reference page 001: a messaging API over HTTP and WebSocket. Its errors are messages only; each gets a
 * stable code here. HTTP errors carry the message; WebSocket errors arrive as `EVENT_TYPE_SYSTEM_MESSAGE`
 * events at level `SYSTEM_MESSAGE_LEVEL_ERROR` while the connection stays open (their status below is the
 * one the same failure would have over HTTP, for docs and clients that map both).
 */
import { defineErrors } from 'faultline';
import { envelope, field } from 'faultline/format';
import * as z from 'zod';

const wsEvent = 'Arrives as an EVENT_TYPE_SYSTEM_MESSAGE event; the connection remains open.';

export const errors = defineErrors(
  {
    // POST /api/v1/access-token
    MISSING_AUTH_HEADERS: {
      status: 401,
      group: 'access-token',
      message: 'Missing authentication headers',
      cause: '`X-Token` or `X-Host` header missing, or `Authorization` is not in `Bearer <token>` format.',
      fix: 'Include both headers; use `Authorization: Bearer <your_access_token>`.',
    },
    CONNECTOR_TOKEN_NOT_FOUND: {
      status: 401,
      group: 'access-token',
      message: 'Connector token does not exist',
      cause: '`X-Token` is not a valid connector token.',
      fix: 'Use the connector token from Messaging → API Configuration in Agent Studio.',
    },
    CONNECTOR_VALIDATION_FAILED: {
      status: 401,
      group: 'access-token',
      message: 'Failed to validate connector',
      cause: "`X-Host` doesn't match the registered domain.",
      fix: 'Ensure `X-Host` matches the domain or app namespace you registered. Subdomains match.',
    },
    CONNECTOR_HOST_MISSING: {
      status: 401,
      group: 'access-token',
      message: 'Connector missing host domain',
      cause: 'The connector has no host domain configured.',
      fix: 'Configure a host domain in Messaging → API Configuration in Agent Studio.',
    },
    ACCESS_TOKEN_CREATION_FAILED: {
      status: 500,
      group: 'access-token',
      message: 'Failed to create access token',
      cause: 'Internal error generating the JWT.',
      fix: 'Retry. If persistent, contact support.',
    },
    // POST /api/v1/sessions
    ACCESS_TOKEN_MISSING: {
      status: 400,
      group: 'sessions',
      message: 'Missing access token',
      cause: 'No `Authorization` header.',
      fix: 'Include `Authorization: Bearer <access_token>`.',
    },
    ACCESS_TOKEN_INVALID: {
      status: 401,
      group: 'sessions',
      message: 'Invalid access token',
      cause: 'Access token is malformed, expired, or tampered with.',
      fix: 'Obtain a fresh access token.',
    },
    REQUEST_PARSE_ERROR: {
      status: 400,
      group: 'sessions',
      message: 'Error parsing request',
      cause: 'Request body contains invalid JSON.',
      fix: 'Send valid JSON (e.g. `{}` or `{"streaming_enabled": true}`), or omit the optional body.',
      // The page's HTTP statuses are 400, 401, 404, 429 and 500: a body the server cannot take (too large,
      // in a content or transfer coding, not JSON, or never finished) is one it could not parse, as is a
      // request whose head never finished. RFC 9112 allows 400 for an unknown transfer coding.
      roles: [
        'bodyTooLarge',
        'unsupportedMediaType',
        'notImplemented',
        'requestTimeout',
        'expectationFailed',
      ],
    },
    SESSION_CREATION_FAILED: {
      status: 500,
      group: 'sessions',
      message: 'Failed to create session',
      cause: 'Internal error.',
      fix: 'Retry. If persistent, contact support.',
    },
    // WebSocket handshake, answered as HTTP
    WS_SESSION_NOT_FOUND: {
      status: 404,
      group: 'ws-handshake',
      message: 'session not found',
      cause: "The `session_id` doesn't exist or has expired.",
      fix: 'Create a new session. Sessions expire after ~10 minutes of inactivity.',
    },
    WS_AUTHENTICATION_FAILED: {
      status: 401,
      group: 'ws-handshake',
      message: 'authentication failed',
      cause: "The `access_token` is invalid, expired, or doesn't match the session.",
      fix: 'Obtain a fresh access token and create a new session.',
    },
    WS_CONNECTION_LIMIT_EXCEEDED: {
      status: 429,
      group: 'ws-handshake',
      message: 'connection limit exceeded for session',
      cause: 'Too many simultaneous WebSocket connections (default 10).',
      fix: 'Close unused connections before opening new ones.',
      roles: ['connectionLimit'],
    },
    WS_INVALID_CONNECTION_PARAMETERS: {
      status: 400,
      group: 'ws-handshake',
      message: 'invalid connection parameters',
      cause: 'Missing `session_id` or `access_token`.',
      fix: 'Include both query parameters in the WebSocket URL.',
      // A handshake ws itself refuses (no key, a version it does not speak) has invalid parameters too.
      roles: ['handshakeInvalid'],
    },
    // Invalid events
    INVALID_EVENT: {
      status: 400,
      group: 'ws-events',
      message: 'Unknown event type or invalid message format',
      description: wsEvent,
      cause: 'JSON could not be parsed, or event type is not recognised.',
      fix: 'Check that your JSON is well-formed and `type` is a valid `EVENT_TYPE_*` value.',
      // A binary frame and a frame over the soft size limit are invalid events too: the page names no other
      // message for them, so they get this one rather than the HTTP 415 and 413 texts; so does an event whose
      // fields its type's schema refuses (a numeric text, a missing one), rather than the validation text.
      roles: [
        'messageMalformed',
        'messageTypeUnknown',
        'messageUnsupported',
        'messageTooLarge',
        'messageInvalid',
      ],
    },
    EVENT_TYPE_NOT_ALLOWED: {
      status: 400,
      group: 'ws-events',
      message: 'Event type not allowed: {eventType}',
      description: wsEvent,
      details: z.object({ eventType: z.string() }),
      cause: 'You sent an event type that only the server can send.',
      fix: 'Only send the 5 allowed client events.',
      ws: {},
    },
    // Agent errors
    AGENT_HIGH_LOAD: {
      status: 503,
      group: 'agent',
      message: 'Our system is experiencing high load. Please try again in a moment.',
      description: `${wsEvent} A server-side issue; the client did nothing wrong.`,
      cause: 'Agent service is temporarily overloaded.',
      fix: 'Display the message. Retry after a few seconds.',
      ws: {},
    },
    AGENT_START_FAILED: {
      status: 500,
      group: 'agent',
      message: "Sorry, I'm unable to start a conversation right now. Please try again later.",
      description: wsEvent,
      cause: 'Agent failed to start a conversation.',
      // Not the session's end: the page's fix is to send REQUEST_POLY_AGENT_JOIN again on the same session.
      fix: 'Display the message. The user can try REQUEST_POLY_AGENT_JOIN again or start a new session.',
      ws: {},
    },
    AGENT_RESPONSE_FAILED: {
      status: 500,
      group: 'agent',
      message: "Sorry, I'm having trouble responding right now. Please try again.",
      description: wsEvent,
      cause: 'Agent failed to generate a response.',
      fix: 'Display the message. The user can re-send their message.',
      ws: {},
    },
    AGENT_STREAM_FAILED: {
      status: 500,
      group: 'agent',
      message: 'Sorry, I encountered an error. Please try again.',
      description: wsEvent,
      cause: 'Error during streaming (stream interrupted or invalid data).',
      fix: 'Display the message. The user can re-send.',
      ws: {},
    },
    // Session state
    SESSION_STATE_NOT_FOUND: {
      status: 404,
      group: 'session-state',
      message: 'Error: Session not found',
      description: wsEvent,
      cause: 'The session no longer exists.',
      fix: 'Start a new session.',
      ws: { endsSession: true },
    },
    SESSION_RETRIEVAL_FAILED: {
      status: 500,
      group: 'session-state',
      message: 'Error: Unable to retrieve session',
      description: wsEvent,
      cause: 'Internal lookup error.',
      fix: 'Transient — retry. If persistent, start a new session.',
      ws: {},
    },
    CONNECTOR_NOT_FOUND: {
      status: 500,
      group: 'session-state',
      message: 'Error: Connector not found',
      description: wsEvent,
      cause: 'The connector is no longer valid.',
      fix: 'Contact support — indicates a configuration issue.',
      retryable: false,
      ws: { endsSession: true },
    },
    CONVERSATION_NOT_FOUND: {
      status: 409,
      group: 'session-state',
      message: 'Error: Conversation not found',
      description: wsEvent,
      cause: 'The session exists but has no active conversation.',
      fix: 'Send REQUEST_POLY_AGENT_JOIN.',
      ws: {},
    },
    CONVERSATION_ID_MISSING: {
      status: 409,
      group: 'session-state',
      message: 'Error: Conversation ID not found in session',
      description: wsEvent,
      cause: 'The conversation was not properly initialised.',
      fix: 'Send REQUEST_POLY_AGENT_JOIN. If it persists, create a new session.',
      ws: {},
    },
    SESSION_RATE_LIMITED: {
      status: 429,
      group: 'limits',
      message: 'Rate limit exceeded — check the Retry-After header for when to retry',
      cause: 'Too many HTTP requests for this session.',
      fix: 'Wait for the time given by Retry-After. Over WebSocket, messages past the limit may be dropped.',
      roles: ['messageRateLimited'],
    },
    // A method a route does not take is, as an unknown route, a resource that does not exist: the page has
    // no 405. `Allow` still lists the methods the route takes.
    NOT_FOUND: {
      status: 404,
      message: 'The requested resource does not exist.',
      roles: ['methodNotAllowed'],
    },
    // Handoff
    HANDOFF_CONNECT_FAILED: {
      status: 502,
      group: 'handoff',
      message: 'Sorry, we could not connect you to an agent. Please try again.',
      description: wsEvent,
      cause: 'Handoff provider could not create a live agent session.',
      fix: 'Display the message. The user may try again or use an alternative channel.',
      ws: {},
    },
    HANDOFF_FORWARD_FAILED: {
      status: 502,
      group: 'handoff',
      message: 'Failed to forward message to live agent',
      description: wsEvent,
      cause: 'A user message could not be delivered during an active handoff.',
      fix: 'Display the message. The user can re-send. If persistent, the handoff may have silently failed.',
      ws: {},
    },
    HANDOFF_INITIATION_FAILED: {
      status: 500,
      group: 'handoff',
      message: 'Sorry, handoff could not be initiated.',
      description: wsEvent,
      cause: 'Handoff configuration is invalid or the system rejected the request.',
      fix: 'Display the message. Usually a configuration issue — contact support if it persists.',
      retryable: false,
      ws: { endsSession: true },
    },
  },
  {
    name: 'Messaging API errors',
    rename: { MALFORMED_JSON: 'REQUEST_PARSE_ERROR', RATE_LIMITED: 'SESSION_RATE_LIMITED' },
    // Statuses the page has no row for: `REQUEST_PARSE_ERROR` and `NOT_FOUND` answer for their roles.
    omit: [
      'METHOD_NOT_ALLOWED',
      'REQUEST_TIMEOUT',
      'BODY_TOO_LARGE',
      'UNSUPPORTED_MEDIA_TYPE',
      'NOT_IMPLEMENTED',
      'EXPECTATION_FAILED',
    ],
    groups: {
      'access-token': {
        title: 'Access token errors',
        description: 'Returned from POST /api/v1/access-token.',
      },
      sessions: { title: 'Session creation errors', description: 'Returned from POST /api/v1/sessions.' },
      'ws-handshake': {
        title: 'WebSocket connection errors',
        description: 'Returned as HTTP errors during the WebSocket handshake, not as WebSocket events.',
      },
      'ws-events': {
        title: 'Invalid event errors',
        description: 'These arrive as EVENT_TYPE_SYSTEM_MESSAGE events. The connection remains open.',
      },
      agent: { title: 'Agent errors', description: 'A server-side issue — the client did nothing wrong.' },
      'session-state': {
        title: 'Session state errors',
        description: 'The session has usually expired or the server has lost track of it.',
      },
      handoff: { title: 'Handoff errors' },
      limits: {
        title: 'Rate limiting',
        description:
          'HTTP endpoints and WebSocket messages are rate limited per session; over WebSocket, messages may be dropped.',
      },
    },
    docsUrl: 'https://docs.example.com/messaging/errors#{code}',
  },
);

/** Message-only errors: `{ error }`, the code resolved from the message by the catalog. */
export const format = envelope({ error: field.message });
