/**
 * Reference page 002: a product-tour SaaS API. A nested envelope `{ error: { message, statusCode, code,
 * category, details } }` whose validation details are `[{ path, message }]`; seven categories; 600
 * requests per minute per API key on SDK routes.
 */
import { defineErrors, type ErrorDefinition } from 'faultline';
import { commonFormats, type ErrorView } from 'faultline/format';

// The standard catalog: every built-in code, as `defineErrors({})` makes it.
const standardErrors = defineErrors({});

/** The page's seven categories: every answer carries one of them. */
export const categories = [
  'VALIDATION',
  'AUTH',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMIT',
  'EXTERNAL_SERVICE',
  'INTERNAL',
] as const;

/** The page's category for a status no entry of the page names (faultline's built-in codes). */
function pageCategory(status: number): (typeof categories)[number] {
  if (status === 401 || status === 402 || status === 403 || status === 407) return 'AUTH';
  if (status === 404 || status === 410) return 'NOT_FOUND';
  if (status === 409 || status === 412) return 'CONFLICT';
  if (status === 429) return 'RATE_LIMIT';
  if (status < 500) return 'VALIDATION';
  return status === 502 || status === 504 ? 'EXTERNAL_SERVICE' : 'INTERNAL';
}

// faultline's built-in codes (405, 413, 415, 503, ...) derive categories the page does not have, such as
// INVALID_REQUEST; each is restated with the page's category for its status. Computed from the standard
// table, so that a built-in added later is covered too.
const builtinCategories = Object.fromEntries(
  Object.values(standardErrors.entries)
    .filter((entry) => !(categories as readonly string[]).includes(entry.category))
    .map((entry) => {
      const { status, message, description, cause, fix, retryable, headers, roles, ws } = entry;
      const definition: ErrorDefinition = { status, message, retryable, headers, roles };
      if (description !== undefined) definition.description = description;
      if (cause !== undefined) definition.cause = cause;
      if (fix !== undefined) definition.fix = fix;
      if (ws !== undefined) definition.ws = ws;
      return [entry.code, { ...definition, category: pageCategory(status) }];
    }),
) as Record<never, never>;

export const errors = defineErrors(
  {
    ...builtinCategories,
    VALIDATION_ERROR: {
      status: 400,
      group: 'validation',
      category: 'VALIDATION',
      message: 'Invalid request body',
      description: 'Request body or parameters failed Zod schema validation',
      fix: 'Check the details array for specific field paths and messages. Event payloads require a valid type field from the supported event types.',
    },
    INVALID_INVITE_TOKEN: {
      status: 400,
      group: 'validation',
      category: 'VALIDATION',
      message: 'Invalid invite token',
      description: 'Invite token is malformed or expired',
    },
    INVALID_RESET_TOKEN: {
      status: 400,
      group: 'validation',
      category: 'VALIDATION',
      message: 'Invalid reset token',
      description: 'Password reset token is malformed or expired',
    },
    MISSING_TENANT_ID: {
      status: 400,
      group: 'validation',
      category: 'VALIDATION',
      message: 'Missing tenant',
      description: 'Company context could not be determined',
    },
    AUTH_FAILED: {
      status: 401,
      group: 'authentication',
      category: 'AUTH',
      message: 'Authentication failed',
      description: 'API key is missing, invalid, revoked, or expired',
      fix: 'Pass the API key in the X-API-Key header (not Authorization: Bearer) and make sure it has not been revoked in the dashboard.',
    },
    AUTH_NO_TOKEN: {
      status: 401,
      group: 'authentication',
      category: 'AUTH',
      message: 'No token',
      description: 'No JWT token found in cookie or Authorization header',
    },
    AUTH_INVALID_TOKEN: {
      status: 401,
      group: 'authentication',
      category: 'AUTH',
      message: 'Invalid token',
      description: 'JWT token is malformed or expired',
    },
    AUTH_TOKEN_REVOKED: {
      status: 401,
      group: 'authentication',
      category: 'AUTH',
      message: 'Token revoked',
      description: 'JWT token has been explicitly revoked',
    },
    AUTH_INVALID_CREDENTIALS: {
      status: 401,
      group: 'authentication',
      category: 'AUTH',
      message: 'Invalid credentials',
      description: 'Email/password combination is incorrect',
    },
    AUTH_PROVIDER_MISMATCH: {
      status: 401,
      group: 'authentication',
      category: 'AUTH',
      message: 'Provider mismatch',
      description: 'Account was registered with a different auth method (e.g., Google)',
    },
    AUTH_NO_REFRESH_TOKEN: {
      status: 401,
      group: 'authentication',
      category: 'AUTH',
      message: 'No refresh token',
      description: 'Refresh token cookie is missing',
    },
    AUTH_INVALID_REFRESH_TOKEN: {
      status: 401,
      group: 'authentication',
      category: 'AUTH',
      message: 'Invalid refresh token',
      description: 'Refresh token is invalid or expired',
    },
    FORBIDDEN: {
      status: 403,
      group: 'authorization',
      category: 'AUTH',
      message: 'Forbidden',
      description: 'Valid authentication but insufficient permissions',
    },
    INSUFFICIENT_ROLE: {
      status: 403,
      group: 'authorization',
      category: 'AUTH',
      message: 'Insufficient role',
      description: 'User role does not have access to this operation',
    },
    NOT_FOUND: {
      status: 404,
      group: 'not-found',
      category: 'NOT_FOUND',
      message: 'Not found',
      description: 'Generic resource not found',
    },
    USER_NOT_FOUND: {
      status: 404,
      group: 'not-found',
      category: 'NOT_FOUND',
      message: 'User not found',
      description: 'Referenced user does not exist',
    },
    TENANT_NOT_FOUND: {
      status: 404,
      group: 'not-found',
      category: 'NOT_FOUND',
      message: 'Tenant not found',
      description: 'Referenced company does not exist',
    },
    CONTENT_NOT_FOUND: {
      status: 404,
      group: 'not-found',
      category: 'NOT_FOUND',
      message: 'Content not found',
      description: 'Flow, tooltip, survey, or other content not found',
    },
    EMAIL_EXISTS: {
      status: 409,
      group: 'conflict',
      category: 'CONFLICT',
      message: 'Email exists',
      description: 'Email address is already registered',
    },
    TENANT_EXISTS: {
      status: 409,
      group: 'conflict',
      category: 'CONFLICT',
      message: 'Tenant exists',
      description: 'A company with this name already exists',
    },
    MEMBER_EXISTS: {
      status: 409,
      group: 'conflict',
      category: 'CONFLICT',
      message: 'Member exists',
      description: 'User is already a member of this company',
    },
    AUDIENCE_IN_USE: {
      status: 409,
      group: 'conflict',
      category: 'CONFLICT',
      message: 'Audience in use',
      description: 'Audience is referenced by active content and cannot be deleted',
    },
    RATE_LIMITED: {
      status: 429,
      group: 'rate-limit',
      category: 'RATE_LIMIT',
      message: 'Too many requests',
      description: 'Too many requests. Check Retry-After header for when to retry',
      fix: 'SDK routes allow 600 requests/min per API key. Batch multiple events in a single POST /api/sdk/events request instead of sending them individually.',
    },
    INTERNAL_ERROR: {
      status: 500,
      group: 'internal',
      category: 'INTERNAL',
      message: 'Internal server error',
      description: 'Unexpected server error',
      fix: 'Retry with exponential backoff. If persistent, check the API health endpoint at GET /api/health.',
    },
    EXTERNAL_SERVICE_ERROR: {
      status: 500,
      group: 'internal',
      category: 'EXTERNAL_SERVICE',
      message: 'External service error',
      description: 'Third-party service call failed',
    },
    REGISTRATION_FAILED: {
      status: 500,
      group: 'internal',
      category: 'INTERNAL',
      message: 'Registration failed',
      description: 'User/company registration could not be completed',
    },
  },
  {
    name: 'Product tour API errors',
    rename: { VALIDATION_FAILED: 'VALIDATION_ERROR' },
    groups: {
      validation: { title: 'Validation Errors (400)' },
      authentication: { title: 'Authentication Errors (401)' },
      authorization: { title: 'Authorization Errors (403)' },
      'not-found': { title: 'Not Found Errors (404)' },
      conflict: { title: 'Conflict Errors (409)' },
      'rate-limit': { title: 'Rate Limit Errors (429)' },
      internal: { title: 'Internal Errors (500)' },
    },
    docsUrl: 'https://docs.example.com/errors#{code}',
  },
);

const nested = commonFormats.nested;
const isPageCategory = (category: string) => (categories as readonly string[]).includes(category);

/**
 * The page's nested envelope; validation details are `[{ path, message }]`, other details as they are. An
 * answer under a status no code of the catalog has (an error thrown with a bare 406 or 418, which goes out
 * under the 400 class code with its own status) takes its category from that status, as faultline derives
 * it; the page's category for the status is written instead, so that every answer carries one of the
 * seven. A 417 (an `Expect` other than `100-continue`) has its code, the standard `EXPECTATION_FAILED`,
 * restated above with VALIDATION.
 */
export const format: typeof nested = Object.freeze({
  ...nested,
  serialize: (view: ErrorView) =>
    nested.serialize(isPageCategory(view.category) ? view : { ...view, category: pageCategory(view.status) }),
});
