import type { BuiltinRole } from './standard.js';

const retryAfter = 'Seconds to wait before retrying (RFC 9110 delay-seconds).';
const rateLimitPolicy =
  'The quota policies, e.g. `"per-app";q=600;w=60` (draft-ietf-httpapi-ratelimit-headers).';
const rateLimitState = 'The remaining quota and seconds until it resets, e.g. `"per-app";r=0;t=12`.';

/** Response headers each built-in role sends, name → description: for the reference page and OpenAPI. */
export const roleHeaders: Readonly<Partial<Record<BuiltinRole, Readonly<Record<string, string>>>>> = {
  rateLimited: { 'Retry-After': retryAfter, 'RateLimit-Policy': rateLimitPolicy, RateLimit: rateLimitState },
  quotaExceeded: {
    'Retry-After': 'Seconds until the quota window resets.',
    'RateLimit-Policy': rateLimitPolicy,
    RateLimit: rateLimitState,
  },
  cooldown: { 'Retry-After': 'Seconds left in the cooldown.' },
  concurrencyLimited: { 'Retry-After': retryAfter },
  idempotencyInFlight: { 'Retry-After': retryAfter },
  storeUnavailable: { 'Retry-After': retryAfter },
  serviceUnavailable: { 'Retry-After': retryAfter },
};

/** The role that answers for a bare status (an http-errors or Boom error, a framework's own). */
export const roleOfStatus: Readonly<Record<number, BuiltinRole>> = {
  400: 'badRequest',
  401: 'unauthorized',
  402: 'paymentRequired',
  403: 'forbidden',
  404: 'notFound',
  405: 'methodNotAllowed',
  408: 'requestTimeout',
  409: 'conflict',
  410: 'gone',
  412: 'preconditionFailed',
  413: 'bodyTooLarge',
  415: 'unsupportedMediaType',
  417: 'expectationFailed',
  422: 'unprocessableEntity',
  429: 'rateLimited',
  500: 'internalError',
  501: 'notImplemented',
  502: 'badGateway',
  503: 'serviceUnavailable',
  504: 'gatewayTimeout',
};
