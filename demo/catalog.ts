import { defineErrors, wsDefinitions } from 'faultline';
import { envelope, field } from 'faultline/format';
import * as z from 'zod';

/** The call-control demo's error catalog: the single source of its responses, docs and client types. */
export const errors = defineErrors(
  {
    // The WebSocket endpoint's built-in codes (malformed message, connection limit, …): one catalog for both.
    ...wsDefinitions,
    MISSING_APP_ID: {
      status: 400,
      id: 1001,
      group: 'request',
      message: 'Missing X-App-ID header',
      cause: 'The X-App-ID header was not provided.',
      fix: 'Include X-App-ID: your-app-id in every API request.',
    },
    INVALID_APP_ID: {
      status: 400,
      id: 1002,
      group: 'request',
      message: 'Invalid X-App-ID format',
      cause: 'The app id contains disallowed characters or exceeds 64 characters.',
      fix: 'Use only letters, digits, underscores and hyphens; at most 64 characters.',
    },
    INVALID_REQUEST_BODY: {
      status: 400,
      id: 1003,
      group: 'request',
      message: 'Invalid request body',
      cause: 'The JSON body could not be parsed.',
      fix: 'Send valid JSON with Content-Type: application/json.',
    },
    SCHEMA_VALIDATION_FAILED: {
      status: 400,
      id: 1004,
      group: 'request',
      message: 'Request body failed schema validation.',
      cause: 'A field is missing or has the wrong type; `details.fieldErrors` names each one.',
      fix: 'Correct the fields listed in `details.fieldErrors`.',
    },
    INVALID_COMMAND: {
      status: 400,
      id: 1005,
      group: 'commands',
      message: 'Invalid command {command}',
      details: z.object({ command: z.string(), supported: z.array(z.string()) }),
      cause: 'The command path in the URL is not recognised.',
      fix: 'Use one of the commands listed in `details.supported`.',
    },
    URLS_REQUIRED: {
      status: 400,
      id: 1006,
      group: 'commands',
      message: 'urls is required',
      cause: 'A play command is missing `urls`.',
      fix: 'Include an array of HTTP or HTTPS URLs in the request body.',
    },
    MISSING_API_KEY: {
      status: 401,
      id: 2001,
      group: 'auth',
      message: 'Missing API key',
      cause: 'The X-API-Key header was not provided.',
      fix: 'Include X-API-Key: your-api-key in every request.',
    },
    INVALID_API_KEY: {
      status: 401,
      id: 2002,
      group: 'auth',
      message: 'Invalid API key',
      cause: 'The API key does not match the key configured for this app.',
      fix: 'Use the key issued for the app named in X-App-ID.',
    },
    SESSION_NOT_FOUND: {
      status: 404,
      id: 3001,
      group: 'sessions',
      message: 'Session not found',
      details: z.object({ sessionId: z.string() }),
      cause: 'Your app has no active session with the given id; the sessions of other apps are not visible.',
      fix: 'Verify the session id; the session may have already ended.',
    },
    SESSION_ENDED: {
      status: 409,
      id: 3002,
      group: 'sessions',
      message: 'Session has already ended',
      details: z.object({ sessionId: z.string() }),
      cause: 'A command was sent to a session that was hung up.',
      fix: 'Create a new session.',
      // Over the WebSocket the session's socket has nothing left to do: event, then close with 4409.
      ws: { close: 4409 },
    },
    APP_CONNECTION_LIMIT: {
      status: 429,
      id: 3003,
      group: 'sessions',
      message: 'Too many open WebSocket connections for this app',
      details: z.object({ max: z.number() }),
      cause:
        'The app already holds the most simultaneous WebSocket connections allowed, over all its sessions.',
      fix: 'Close connections you no longer use; retry after Retry-After.',
    },
    ROOM_NOT_FOUND: {
      status: 404,
      id: 4001,
      group: 'conferences',
      message: 'Room not found',
      details: z.object({ roomId: z.string() }),
      cause: 'Your app has no conference room with the given id; the rooms of other apps are not visible.',
      fix: 'Verify the room id; the room may have been destroyed.',
    },
    CONFERENCE_NAME_TAKEN: {
      status: 409,
      id: 4003,
      group: 'conferences',
      message: 'Conference name already taken',
      details: z.object({ name: z.string(), roomId: z.string() }),
      cause: 'A conference with the same name already exists for your app.',
      fix: 'Join the existing room (`details.roomId`) or choose another name.',
    },
    ROUTE_NOT_FOUND: {
      status: 404,
      id: 9001,
      message: 'Route not found',
      cause: 'No endpoint matches the path.',
      fix: 'Check the path against the API reference.',
    },
    STATE_STORE_UNAVAILABLE: {
      status: 500,
      id: 9501,
      group: 'platform',
      message: 'Service temporarily unavailable',
      cause: 'The session state store could not be reached.',
      fix: 'Retry with backoff; the correlation id identifies the failure.',
    },
  },
  {
    name: 'Call control API',
    // Another app's session or room is answered as a missing one (404), never as forbidden: a 403 told a key
    // holder which ids exist in another app. A demo key has no scopes, so nothing else could raise them.
    retired: { codes: ['SESSION_FORBIDDEN', 'ROOM_FORBIDDEN'], ids: [2003, 4002] },
    rename: {
      MALFORMED_JSON: 'INVALID_REQUEST_BODY',
      VALIDATION_FAILED: 'SCHEMA_VALIDATION_FAILED',
      NOT_FOUND: 'ROUTE_NOT_FOUND',
      // The apiKey guard answers with the demo's own codes, whose entries below give their ids and text.
      API_KEY_MISSING: 'MISSING_API_KEY',
      API_KEY_INVALID: 'INVALID_API_KEY',
    },
    groups: {
      request: { title: 'Request', description: 'The request is malformed or contains invalid parameters.' },
      auth: { title: 'Authentication', description: 'Credentials are missing or invalid.' },
      sessions: { title: 'Sessions' },
      commands: { title: 'Commands' },
      conferences: { title: 'Conferences' },
      platform: { title: 'Platform' },
    },
    docsUrl: 'https://call-control.example.com/docs/errors#{code}',
  },
);

/**
 * The demo's envelope: `{ success: false, code, error, request_id, details }`, field errors as
 * `{ fieldErrors: { path: message } }`.
 */
export const demoFormat = envelope({
  success: false,
  code: field.code,
  error: field.message,
  request_id: field.correlationId,
  details: { $first: [{ fieldErrors: field('errors', { style: 'map' }) }, field.details] },
});

/** Messages in French, chosen by `Accept-Language`; codes never change. */
export const demoMessages = {
  fr: {
    SESSION_NOT_FOUND: 'Session introuvable',
    ROOM_NOT_FOUND: 'Salle introuvable',
    MISSING_API_KEY: 'Clé API manquante',
    INVALID_API_KEY: 'Clé API invalide',
    SCHEMA_VALIDATION_FAILED: 'Le corps de la requête ne respecte pas le schéma.',
  },
} as const;
