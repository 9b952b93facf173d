import { ApiError } from '../catalog/api-error.js';
import type { Catalog } from '../catalog/types.js';
import { commonFormats } from '../format/common.js';
import { detectFormat, errorInitFromBody } from '../format/detect.js';
import { errorFields } from '../format/fields.js';
import type { ErrorFormat } from '../format/types.js';
import { carriesDetails, requiresDetails } from './promised-details.js';
import { readBodyText } from './read-body.js';
import { parseRateLimitReset, parseRetryAfter } from './retry-after.js';

/** Options of `parseErrorResponse`. */
export interface ParseErrorResponseOptions {
  /** The API's catalog: types the error, fills in what the body leaves out. */
  catalog?: Catalog<any>;
  /**
   * The API's formats. Only a body in one of them is an answer of the API (the catalog fills it in, a
   * client's `is` narrows it); the common ones are still tried after them, to read what another body says.
   * @default [] (problem+json and the envelopes public APIs use most, all taken as the API's)
   */
  formats?: readonly ErrorFormat[];
  /**
   * Response headers that may carry the correlation id, tried in order when the body has none.
   * @default ['x-request-id', 'x-correlation-id', 'request-id']
   */
  correlationHeaders?: readonly string[];
  /**
   * The most of an error body read, in bytes.
   * @default 1048576
   */
  bodyLimit?: number;
  /**
   * How long reading an error body may take, in milliseconds.
   * @default 10000
   */
  bodyTimeout?: number;
  /** How many attempts the request took, recorded on the error. */
  attempts?: number;
}

// The field table lists the response headers that may carry a correlation id.
const defaultCorrelationHeaders = errorFields.correlationId.headers ?? [];

/**
 * Errors read from a body in no known format (an HTML page from a proxy, a truncated body): they carry the
 * status's code for logs and retries, but no API said so, so a client never takes them for its catalog's.
 */
const unrecognised = new WeakSet<ApiError>();

/** Whether an error was read from a body in none of the API's formats (the declared ones, else the common). */
export function isUnrecognised(error: unknown): boolean {
  return error instanceof ApiError && unrecognised.has(error);
}

// RFC 9110 §10.2.3 and §15.5.14, RFC 6585 §4: where `Retry-After` is a wait (besides any redirect).
const retryAfterStatuses = new Set([413, 429, 503]);

/**
 * The server-given wait of a response in milliseconds. `Retry-After` on a redirect, a 413, 429 or 503,
 * and on the idempotency in-flight 409 that faultline answers with one; else, on a 429 or 503, the
 * `RateLimit` field's `t=` of a used-up quota. A `t=` beside quota left, or on any other status, says
 * when a window resets, not how long to wait: such a retry takes the client's backoff.
 */
function serverWait(response: Response, code: string, inFlight: string): number | undefined {
  const { status, headers } = response;
  if (
    (status >= 300 && status < 400) ||
    retryAfterStatuses.has(status) ||
    (status === 409 && code === inFlight)
  ) {
    const wait = parseRetryAfter(headers.get('retry-after'), headers.get('date'));
    if (wait !== undefined) return wait;
  }
  if (status !== 429 && status !== 503) return undefined;
  return parseRateLimitReset(
    headers.get('ratelimit'),
    headers.get('ratelimit-reset'),
    headers.get('ratelimit-remaining'),
  );
}

/** The JSON object or array a body holds, parsed once for every format tried; else undefined. */
function jsonOf(text: string): object | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads a non-2xx response into an ApiError: its code, status, message, details, correlation id (from the
 * body or a response header), `retryAfter` and raw body. Works with any HTTP client that gives a `Response`.
 * @example
 * const api = ky.extend({ hooks: { afterResponse: [async (_r, _o, response) => {
 *   if (!response.ok) throw await parseErrorResponse(response, { catalog });
 * }] } });
 */
export async function parseErrorResponse(
  response: Response,
  options: ParseErrorResponseOptions = {},
): Promise<ApiError> {
  const rawBody = await readBodyText(
    response,
    options.bodyLimit ?? 1024 * 1024,
    options.bodyTimeout ?? 10_000,
  );
  let correlationId: string | undefined;
  for (const name of options.correlationHeaders ?? defaultCorrelationHeaders) {
    correlationId = response.headers.get(name) ?? undefined;
    if (correlationId) break;
  }
  const declared = options.formats?.length ? options.formats : undefined;
  const own = declared ?? commonFormats;
  const body = jsonOf(rawBody);
  // An empty body (a HEAD request, a bodiless answer) says nothing either way: the status speaks for the API.
  // A body in a format the API does not speak (a proxy's, a gateway's) is none of its answers, so that the
  // details its formats promise are never promised of it; the common formats still read what it says.
  const detected = rawBody === '' ? undefined : detectFormat(body, own);
  const read = (answer: boolean) =>
    errorInitFromBody(body, {
      status: response.status,
      // The catalog fills in only what the API itself answered.
      ...(options.catalog && answer ? { catalog: options.catalog } : {}),
      formats: answer || !declared ? own : [...declared, ...commonFormats],
      ...(correlationId ? { correlationId } : {}),
    });
  let recognised = rawBody === '' || detected !== undefined;
  let init = read(recognised);
  // Nor is a body in a format that carries details which names a code whose details are required and
  // holds none: a client that declares such formats types those details as present.
  if (declared && detected && init.details === undefined && carriesDetails(detected.format)) {
    const schema = options.catalog?.get(init.code)?.details;
    if (schema && (await requiresDetails(schema))) {
      recognised = false;
      init = read(false);
    }
  }
  const inFlight = options.catalog ? options.catalog.builtins.idempotencyInFlight : 'IDEMPOTENCY_IN_FLIGHT';
  const wait = serverWait(response, init.code, inFlight);
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  // The response's own status wins over one a body claims.
  if (response.status >= 400 && response.status <= 599) init.status = response.status;
  const error = new ApiError(
    {
      ...init,
      headers,
      // A header's wait wins; a body (or event) may carry one too.
      retryAfter: wait === undefined ? init.retryAfter : wait / 1000,
      attempts: options.attempts,
      rawBody,
    },
    { stack: false },
  );
  if (!recognised) unrecognised.add(error);
  return error;
}
