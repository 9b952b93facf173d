/**
 * Reference page 003: a call-control gateway. The minimal envelope `{ success: false, error }`; errors are
 * messages grouped by status with cause and fix, each given a stable code here. Header guards, ownership
 * 403s, a 1 MiB body limit (64 KiB on command routes), Content-Type enforcement, app/IP rate limits and
 * per-command-group cooldowns, and a Redis outage answered as a 500.
 */
import { defineErrors } from 'faultline';
import { commonFormats } from 'faultline/format';
import * as z from 'zod';

export const errors = defineErrors(
  {
    MISSING_APP_ID: {
      status: 400,
      group: 'bad-request',
      message: 'Missing X-App-ID header',
      cause: 'The X-App-ID header was not provided.',
      fix: 'Include X-App-ID: your-app-id in every API request.',
    },
    INVALID_APP_ID: {
      status: 400,
      group: 'bad-request',
      message: 'Invalid X-App-ID format',
      cause: 'App ID contains disallowed characters or exceeds 64 characters.',
      fix: 'Use only alphanumeric, underscores, hyphens. Max 64 chars.',
    },
    INVALID_REQUEST_BODY: {
      status: 400,
      group: 'bad-request',
      message: 'Invalid request body',
      cause: 'The JSON body could not be parsed.',
      fix: 'Ensure valid JSON with Content-Type: application/json.',
    },
    INVALID_COMMAND: {
      status: 400,
      group: 'bad-request',
      message: 'Invalid command',
      cause: 'The command path in the URL is not recognized.',
      fix: 'Check the command path, e.g. answer, playback/start, record/stop.',
    },
    URLS_REQUIRED: {
      status: 400,
      group: 'bad-request',
      message: 'urls is required',
      cause: 'A playback or play_and_get_digits command is missing urls/prompt_files.',
      fix: 'Include an array of HTTP/HTTPS URLs in the request body.',
    },
    INVALID_COMMAND_UID: {
      status: 400,
      group: 'bad-request',
      message: 'Invalid command_uid format',
      cause: 'The command_uid field contains disallowed characters.',
      fix: 'Use only alphanumeric, dots, hyphens, underscores. Max 128 chars.',
    },
    MISSING_API_KEY: {
      status: 401,
      group: 'unauthorized',
      message: 'Missing API key',
      cause: 'The X-API-Key header was not provided.',
      fix: 'Include X-API-Key: your-api-key in every request.',
    },
    INVALID_API_KEY: {
      status: 401,
      group: 'unauthorized',
      message: 'Invalid API key',
      cause: 'The provided API key does not match the configured key for this app.',
      fix: 'Verify the key matches the one set via POST /admin/apps/{app_id}.',
    },
    MISSING_ADMIN_API_KEY: {
      status: 401,
      group: 'unauthorized',
      message: 'Missing X-Admin-API-Key header',
      cause: 'An admin endpoint was called without the admin key header.',
      fix: 'Include X-Admin-API-Key: your-admin-key for admin endpoints.',
    },
    INVALID_ADMIN_API_KEY: {
      status: 401,
      group: 'unauthorized',
      message: 'Invalid admin API key',
      cause: 'The admin API key does not match the server’s ADMIN_API_KEY.',
      fix: 'Verify the key matches the ADMIN_API_KEY env var on the server.',
    },
    SESSION_FORBIDDEN: {
      status: 403,
      group: 'forbidden',
      message: 'Session belongs to a different application',
      cause: 'Your app ID does not match the session’s owning app.',
      fix: 'Sessions are bound to the app that receives them. You can only control your own sessions.',
    },
    ROOM_FORBIDDEN: {
      status: 403,
      group: 'forbidden',
      message: 'Room belongs to a different application',
      cause: 'Your app ID does not match the conference room’s owning app.',
      fix: 'Conference rooms are scoped to the app that created them.',
    },
    SESSION_NOT_FOUND: {
      status: 404,
      group: 'not-found',
      message: 'Session not found',
      cause: 'No active session exists with the given UUID.',
      fix: 'Verify the session UUID. The session may have already ended.',
    },
    ROOM_NOT_FOUND: {
      status: 404,
      group: 'not-found',
      message: 'Room not found',
      cause: 'No conference room exists with the given room_id.',
      fix: 'Verify the room_id. The room may have been destroyed.',
    },
    CONFERENCE_NAME_TAKEN: {
      status: 409,
      group: 'conflict',
      message: 'Conference name already taken',
      details: z.object({ room_id: z.string() }),
      // The page: "The response includes the existing room_id", beside `error` in the body.
      members: ['room_id'],
      cause:
        'A conference with the same name already exists for your app. The response includes the existing room_id.',
      fix: 'Use a different name or use the returned room_id.',
    },
    SESSION_IN_OTHER_ROOM: {
      status: 409,
      group: 'conflict',
      message: 'Session is already in a different conference room',
      cause: 'The session is in another conference.',
      fix: 'Call conference/leave before joining a different room.',
    },
    MUTE_STATE_UNCHANGED: {
      status: 409,
      group: 'conflict',
      message: 'Session is already muted / unmuted',
      cause: 'The mute state is already what you requested.',
      fix: 'Check the current mute state before toggling. This is an idempotency guard.',
    },
    BODY_TOO_LARGE: {
      status: 413,
      group: 'too-large',
      message: 'Request body too large',
      cause: 'The body exceeds the route’s maximum size (1 MiB default; 64 KiB on session command routes).',
      fix: 'Reduce the payload. Command payloads should contain only small fields. Do not embed audio or other large data inline.',
    },
    UNSUPPORTED_MEDIA_TYPE: {
      status: 415,
      group: 'media-type',
      message: 'Content-Type must be application/json',
      cause:
        'The request omits Content-Type or sets it to a non-JSON value (charset parameters like application/json; charset=utf-8 are accepted).',
      fix: 'Set Content-Type: application/json on every request that carries a JSON body.',
    },
    RATE_LIMITED: {
      status: 429,
      group: 'rate-limit',
      message: 'Rate limit exceeded',
      cause: 'Too many requests from this app/IP within the rate window.',
      fix: 'Back off and retry. Check your per-app rate_limit configuration.',
    },
    COMMAND_RATE_LIMITED: {
      status: 429,
      group: 'rate-limit',
      message: 'Command rate limited',
      cause: 'A command was sent too quickly after a previous command in the same rate group.',
      fix: 'Wait for the cooldown before sending the next command.',
    },
    API_KEY_LOOKUP_FAILED: {
      status: 500,
      group: 'internal',
      message: 'Internal error validating API key',
      cause: 'The server could not look up the app configuration (e.g. Redis unavailable).',
      fix: 'Server-side issue. Retry after a short delay.',
    },
    INTERNAL_ERROR: {
      status: 500,
      group: 'internal',
      message: 'Internal server error',
      cause: 'An unexpected condition occurred.',
      fix: 'Retry. If it persists, contact the gateway administrator.',
    },
    ADMIN_API_NOT_CONFIGURED: {
      status: 503,
      group: 'unavailable',
      message: 'Admin API not configured',
      cause: 'The ADMIN_API_KEY environment variable is not set.',
      fix: 'Server configuration issue. The administrator must set ADMIN_API_KEY.',
      retryable: false,
    },
    RECORDING_NOT_AVAILABLE: {
      status: 503,
      group: 'unavailable',
      message: 'Recording not available',
      cause: 'Recording is not enabled on this gateway.',
      fix: 'Operator configuration issue. Contact the operator to enable the recording service.',
      retryable: false,
    },
    // A request with an `Expect` other than `100-continue` is a bad request: the page has no 417.
    BAD_REQUEST: { status: 400, message: 'The request is invalid.', roles: ['expectationFailed'] },
  },
  {
    name: 'Call control gateway errors',
    // The gateway's names for the codes faultline's own mechanisms raise (body reader, header and key guards,
    // cooldowns). "Invalid request body" answers both a body that is not JSON and one of the wrong shape.
    rename: {
      MALFORMED_JSON: 'INVALID_REQUEST_BODY',
      VALIDATION_FAILED: 'INVALID_REQUEST_BODY',
      MISSING_HEADER: 'MISSING_APP_ID',
      INVALID_HEADER: 'INVALID_APP_ID',
      API_KEY_MISSING: 'MISSING_API_KEY',
      API_KEY_INVALID: 'INVALID_API_KEY',
      ADMIN_KEY_MISSING: 'MISSING_ADMIN_API_KEY',
      ADMIN_KEY_INVALID: 'INVALID_ADMIN_API_KEY',
      COOLDOWN: 'COMMAND_RATE_LIMITED',
      ADMIN_KEY_NOT_CONFIGURED: 'ADMIN_API_NOT_CONFIGURED',
    },
    // Standard codes the gateway never sends: no guard or route of it raises them, so its page leaves them
    // out. The server core's own (400, 404 of an unknown route, 405, 408) cannot be omitted and stay listed.
    omit: [
      'IDEMPOTENCY_KEY_MISSING',
      'IDEMPOTENCY_KEY_INVALID',
      'UNAUTHORIZED',
      'PAYMENT_REQUIRED',
      'FORBIDDEN',
      'CONFLICT',
      'IDEMPOTENCY_IN_FLIGHT',
      'GONE',
      'PRECONDITION_FAILED',
      'UNPROCESSABLE_ENTITY',
      'IDEMPOTENCY_KEY_REUSED',
      'QUOTA_EXCEEDED',
      'CONCURRENCY_LIMITED',
      'NOT_IMPLEMENTED',
      'EXPECTATION_FAILED',
      'BAD_GATEWAY',
      'SERVICE_UNAVAILABLE',
      'STORE_UNAVAILABLE',
      'GATEWAY_TIMEOUT',
    ],
    groups: {
      'bad-request': {
        title: '400 Bad Request',
        description: 'The request is malformed or contains invalid parameters.',
      },
      unauthorized: {
        title: '401 Unauthorized',
        description: 'Authentication credentials are missing or invalid.',
      },
      forbidden: {
        title: '403 Forbidden',
        description: 'You are authenticated but not authorized to access this resource.',
      },
      'not-found': { title: '404 Not Found', description: 'The requested resource does not exist.' },
      conflict: {
        title: '409 Conflict',
        description: 'The request conflicts with the current state of the resource.',
      },
      'too-large': {
        title: '413 Content Too Large',
        description:
          'The request body exceeds the per-route size limit: 1 MiB by default, 64 KiB on POST /api/v1/sessions/{uuid}/commands/{command}.',
      },
      'media-type': {
        title: '415 Unsupported Media Type',
        description:
          'Routes that decode a JSON body require Content-Type: application/json on every request that carries a body.',
      },
      'rate-limit': { title: '429 Too Many Requests', description: 'You have exceeded the rate limit.' },
      internal: {
        title: '500 Internal Server Error',
        description: 'An unexpected error occurred on the server.',
      },
      unavailable: {
        title: '503 Service Unavailable',
        description: 'The server is not ready to handle the request.',
      },
    },
    docsUrl: 'https://docs.example.com/gateway/errors#{code}',
  },
);

/** The page's minimal envelope: `{ success: false, error }`; a client maps the message back to its code. */
export const format = commonFormats.message;
