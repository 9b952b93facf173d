import type { WsRole } from './ws-types.js';
/**
 * The codes faultline ships: one per status of common public APIs, plus the codes the toolkit's own
 * mechanisms raise. `role` names the mechanism, so a catalog that renames a code still receives it.
 */
export const standardDefinitions = {
  BAD_REQUEST: {
    status: 400,
    role: 'badRequest',
    message: 'The request is invalid.',
    description: 'The request could not be understood as sent.',
    fix: 'Check the request against the endpoint reference.',
  },
  VALIDATION_FAILED: {
    status: 400,
    role: 'validationFailed',
    message: 'The request failed validation.',
    description: 'The body, query or parameters do not match the schema; `errors` lists each field.',
    fix: 'Correct each field listed in `errors` and send the request again.',
  },
  MALFORMED_JSON: {
    status: 400,
    role: 'malformedJson',
    message: 'The request body is not valid JSON.',
    description: 'The body could not be parsed as UTF-8 JSON.',
    fix: 'Send a valid JSON document encoded as UTF-8.',
  },
  MISSING_HEADER: {
    status: 400,
    role: 'missingHeader',
    message: 'A required header is missing.',
    description: 'The request lacks a header this endpoint requires; `details.header` names it.',
    fix: 'Send the header named in `details.header`.',
  },
  INVALID_HEADER: {
    status: 400,
    role: 'invalidHeader',
    message: 'A header has an invalid value.',
    description: 'A header does not match the format this endpoint requires; `details.header` names it.',
    fix: 'Correct the value of the header named in `details.header`.',
  },
  IDEMPOTENCY_KEY_MISSING: {
    status: 400,
    role: 'idempotencyKeyMissing',
    message: 'An idempotency key is required.',
    description: 'This operation requires an `Idempotency-Key` header.',
    fix: 'Send a unique `Idempotency-Key` (a UUID) and reuse it on every retry of the same request.',
  },
  IDEMPOTENCY_KEY_INVALID: {
    status: 400,
    role: 'idempotencyKeyInvalid',
    message: 'The idempotency key is malformed.',
    description: 'The `Idempotency-Key` is empty, too long, or not a structured-field string.',
    fix: 'Send a quoted string of at most 255 visible ASCII characters, such as a UUID.',
  },
  UNAUTHORIZED: {
    status: 401,
    role: 'unauthorized',
    message: 'Authentication is required.',
    description: 'Credentials are missing, expired or invalid.',
    fix: 'Send valid credentials.',
  },
  API_KEY_MISSING: {
    status: 401,
    role: 'apiKeyMissing',
    message: 'An API key is required.',
    description: 'The request carries no API key.',
    fix: 'Send your API key in the header this API documents.',
  },
  API_KEY_INVALID: {
    status: 401,
    role: 'apiKeyInvalid',
    message: 'The API key is invalid.',
    description: 'The API key is unknown or does not match; both answer alike.',
    fix: 'Check the key you send against the one issued to you.',
  },
  ADMIN_KEY_MISSING: {
    status: 401,
    role: 'adminKeyMissing',
    message: 'An admin key is required.',
    description: 'An admin endpoint was called without the admin key.',
    fix: 'Send the admin key in the header this API documents.',
  },
  ADMIN_KEY_INVALID: {
    status: 401,
    role: 'adminKeyInvalid',
    message: 'The admin key is invalid.',
    description: 'The admin key does not match.',
    fix: 'Check the admin key configured on the server.',
  },
  PAYMENT_REQUIRED: {
    status: 402,
    role: 'paymentRequired',
    message: 'A plan or payment is required.',
    description: 'The account has no plan that covers this action.',
    fix: 'Choose or upgrade a plan.',
  },
  FORBIDDEN: {
    status: 403,
    role: 'forbidden',
    message: 'You do not have permission for this action.',
    description: 'The caller is authenticated but not allowed to do this.',
    fix: 'Use credentials with the needed permission.',
  },
  NOT_FOUND: {
    status: 404,
    role: 'notFound',
    message: 'The requested resource does not exist.',
    description: 'No route or resource matches the request.',
    fix: 'Check the path and the identifiers in it.',
  },
  METHOD_NOT_ALLOWED: {
    status: 405,
    role: 'methodNotAllowed',
    message: 'The method is not allowed for this resource.',
    description: 'The route exists but does not take this HTTP method; `Allow` lists the ones it takes.',
    fix: 'Use one of the methods in the `Allow` header.',
  },
  REQUEST_TIMEOUT: {
    status: 408,
    role: 'requestTimeout',
    message: 'The request took too long.',
    description: 'The server timed out waiting for the request.',
    fix: 'Retry the request.',
  },
  CONFLICT: {
    status: 409,
    role: 'conflict',
    message: 'The request conflicts with the current state of the resource.',
    description: 'A resource with the same identifier exists, or the state changed.',
    fix: 'Fetch the current state and retry.',
  },
  IDEMPOTENCY_IN_FLIGHT: {
    status: 409,
    role: 'idempotencyInFlight',
    message: 'A request with this idempotency key is still being processed.',
    description: 'The first request with this `Idempotency-Key` has not finished.',
    fix: 'Retry after a short wait with the same key; its response will be replayed.',
    retryable: true,
  },
  GONE: {
    status: 410,
    role: 'gone',
    message: 'The resource has been permanently removed.',
    description: 'The resource existed but was deleted.',
    fix: 'Stop requesting it.',
  },
  PRECONDITION_FAILED: {
    status: 412,
    role: 'preconditionFailed',
    message: 'A precondition of the request was not met.',
    description: 'A conditional header or a required prior step does not hold.',
    fix: 'Fetch the current state and meet the precondition.',
  },
  BODY_TOO_LARGE: {
    status: 413,
    role: 'bodyTooLarge',
    message: 'The request body is too large.',
    description: 'The body exceeds the size limit of this route.',
    fix: 'Send a smaller body, or split it over several requests.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    role: 'unsupportedMediaType',
    message: 'The request content type is not supported.',
    description: 'The `Content-Type` or its charset is not one this route reads; `Accept` says which are.',
    fix: 'Send the body as `application/json` (UTF-8).',
  },
  EXPECTATION_FAILED: {
    status: 417,
    role: 'expectationFailed',
    message: 'The request expectation cannot be met.',
    description:
      'The request carries an `Expect` other than `100-continue`, the one expectation HTTP defines.',
    fix: 'Send the request without `Expect`, or with `Expect: 100-continue`.',
  },
  UNPROCESSABLE_ENTITY: {
    status: 422,
    role: 'unprocessableEntity',
    message: 'The request is well-formed but cannot be processed.',
    description: 'The request has semantic errors.',
    fix: 'Correct the request content.',
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    role: 'idempotencyKeyReused',
    message: 'This idempotency key was already used with a different request.',
    description: 'An `Idempotency-Key` was replayed with a different body.',
    fix: 'Mint a new idempotency key for a new request.',
  },
  RATE_LIMITED: {
    status: 429,
    role: 'rateLimited',
    message: 'Too many requests.',
    description: 'A rate limit was exceeded.',
    fix: 'Wait for the time given by `Retry-After`, then retry.',
  },
  QUOTA_EXCEEDED: {
    status: 429,
    role: 'quotaExceeded',
    message: 'The quota for this period is exhausted.',
    description:
      'A daily or monthly quota was used up; unlike a rate limit it does not clear within seconds.',
    fix: 'Wait for the next quota window or raise the quota.',
  },
  COOLDOWN: {
    status: 429,
    role: 'cooldown',
    message: 'This action is cooling down.',
    description: 'An action of the same group was taken too recently for this caller.',
    fix: 'Wait for the time given by `Retry-After`, then retry.',
  },
  CONCURRENCY_LIMITED: {
    status: 429,
    role: 'concurrencyLimited',
    message: 'Too many simultaneous requests.',
    description: 'The caller holds as many simultaneous requests or connections as allowed.',
    fix: 'Close unused connections or wait for running requests to finish, then retry.',
  },
  INTERNAL_ERROR: {
    status: 500,
    role: 'internalError',
    message: 'An unexpected error occurred.',
    description: 'The server failed; the correlation id identifies the failure in its logs.',
    fix: 'Retry later; if it persists, contact support with the correlation id.',
  },
  NOT_IMPLEMENTED: {
    status: 501,
    role: 'notImplemented',
    message: 'This functionality is not implemented.',
    description: 'The server does not support this yet.',
    fix: 'Do not retry; check the reference for what is available.',
  },
  BAD_GATEWAY: {
    status: 502,
    role: 'badGateway',
    message: 'An upstream service failed.',
    description: 'An upstream service returned an error or an invalid response.',
    fix: 'Retry with backoff.',
  },
  SERVICE_UNAVAILABLE: {
    status: 503,
    role: 'serviceUnavailable',
    message: 'The service is temporarily unavailable.',
    description: 'The service is overloaded or down for maintenance.',
    fix: 'Retry after the time given by `Retry-After`.',
  },
  STORE_UNAVAILABLE: {
    status: 503,
    role: 'storeUnavailable',
    message: 'The service cannot check this request right now.',
    description: 'A guard could not reach its state store and its failure policy is closed.',
    fix: 'Retry after the time given by `Retry-After`.',
  },
  ADMIN_KEY_NOT_CONFIGURED: {
    status: 503,
    role: 'adminKeyNotConfigured',
    message: 'The admin API is not configured.',
    description: 'No admin key is configured on the server, so its admin endpoints answer no one.',
    fix: 'The operator must configure the admin key; retrying does not help until then.',
    retryable: false,
  },
  GATEWAY_TIMEOUT: {
    status: 504,
    role: 'gatewayTimeout',
    message: 'An upstream service timed out.',
    description: 'An upstream service did not answer in time.',
    fix: 'Retry with backoff.',
  },
} as const;

/** The definitions of the standard catalog, keyed by code. */
export type StandardDefinitions = typeof standardDefinitions;

/** A code of the standard catalog. */
export type StandardCode = keyof StandardDefinitions;

/** An HTTP mechanism of faultline: a guard, a body reader, a route check. */
export type HttpRole = StandardDefinitions[StandardCode]['role'];

/**
 * A mechanism of faultline that raises errors of its own, on HTTP or on a WebSocket: one table, named
 * after the codes (`rateLimited` for `RATE_LIMITED`). Any entry of a catalog may claim roles.
 */
export type BuiltinRole = HttpRole | WsRole;

export { roleHeaders, roleOfStatus } from './role-tables.js';
