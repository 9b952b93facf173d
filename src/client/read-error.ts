import { ApiError, type ApiErrorInit } from '../catalog/api-error.js';
import type { ReadableCatalog } from '../catalog/readable.js';
import { standardInFlightCode } from '../catalog/standard-codes.js';
import { isErrorStatus } from '../catalog/status.js';
import { commonReaders } from '../format/common-specs.js';
import { bestFit, readErrorInit, toBody } from '../format/error-init.js';
import { correlationHeaders } from '../format/field-readers.js';
import type { ErrorFormat } from '../format/types.js';
import { carriesDetails } from './promised-details.js';
import { parseRateLimitReset, parseRetryAfter } from './retry-after.js';

/** Options of `parseErrorResponse`, and of the hooks for other clients. */
export interface ParseErrorResponseOptions {
  /** The API's catalog (or a client-side one, `clientCatalog`): types the error, fills in what the body leaves out. */
  catalog?: ReadableCatalog | undefined;
  /**
   * The API's formats. Only a body in one of them is an answer of the API (the catalog fills it in, a
   * client's `is` narrows it); the common ones are still tried after them, to read what another body says.
   * @default [] (problem+json and the envelopes public APIs use most, all taken as the API's)
   */
  formats?: readonly ErrorFormat[] | undefined;
  /**
   * Response headers that may carry the correlation id, tried in order when the body has none.
   * @default ['x-request-id', 'x-correlation-id', 'request-id']
   */
  correlationHeaders?: readonly string[] | undefined;
  /**
   * The most of an error body read, in bytes; a longer body is cut there, and so read as no answer of the API.
   * @default 1048576
   */
  bodyLimit?: number | undefined;
  /**
   * How long reading an error body may take, in milliseconds.
   * @default 10000
   */
  bodyTimeout?: number | undefined;
  /** How many attempts the request took, recorded on the error. */
  attempts?: number | undefined;
}

/**
 * Errors read from a body in no known format (an HTML page from a proxy, a truncated body): they carry the
 * status's code for logs and retries, but no API said so, so a client never takes them for its catalog's.
 */
const unrecognised = new WeakSet<ApiError>();

/** Whether an error was read from a body in none of the API's formats (the declared ones, else the common). */
export function isUnrecognised(error: unknown): boolean {
  return error instanceof ApiError && unrecognised.has(error);
}

/**
 * The server-given wait of a response in milliseconds. `Retry-After` on a redirect, a 413, 429 or 503,
 * and on the idempotency in-flight 409 that faultline answers with one; else, on a 429 or 503, the
 * `RateLimit` field's `t=` of a used-up quota. A `t=` beside quota left, or on any other status, says
 * when a window resets, not how long to wait: such a retry takes the client's backoff.
 */
function serverWait(status: number, headers: Headers, code: string, inFlight: string): number | undefined {
  if (
    // RFC 9110 §10.2.3 and §15.5.14, RFC 6585 §4: where `Retry-After` is a wait (besides any redirect).
    (status >= 300 && status < 400) ||
    [413, 429, 503].includes(status) ||
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

/**
 * The response's headers an error carries, without the cookies the server set: an error is logged and
 * serialized whole, and a session cookie in a log is a session handed to whoever reads it.
 */
export function keptHeaders(headers: Headers): Record<string, string> {
  const all = Object.fromEntries(headers);
  delete all['set-cookie'];
  return all;
}

/**
 * The ApiError of an error response whose body was read as text (at most the body limit): the one reading
 * of `parseErrorResponse` and of the hooks for other clients. An error that neither its body nor its entry
 * names a message for takes the response's reason phrase, else `HTTP <status>`. A body read only in part (cut
 * at the limit, by the timeout, a reset or an error) is no answer of the API: only its status speaks.
 */
export function readErrorText(
  { status, statusText, headers }: Pick<Response, 'status' | 'statusText' | 'headers'>,
  rawBody: string,
  options: ParseErrorResponseOptions,
  complete = true,
): ApiError {
  const { catalog } = options;
  let correlationId: string | undefined;
  for (const name of options.correlationHeaders ?? correlationHeaders) {
    correlationId = headers.get(name) ?? undefined;
    if (correlationId) break;
  }
  const declared = options.formats?.length ? options.formats : undefined;
  const own = declared ?? commonReaders;
  // Parsed once for every format tried; a JSON string is a value, never a body to parse again.
  // Whatever the start of a cut body says, the rest may contradict it: it is read as no body.
  const parsed = complete ? toBody(rawBody) : undefined;
  const body = typeof parsed === 'object' ? parsed : undefined;
  // An empty body (a HEAD request, a bodiless answer) says nothing either way: the status speaks for the API.
  // A body in a format the API does not speak (a proxy's, a gateway's) is none of its answers, so that the
  // details its formats promise are never promised of it; the common formats still read what it says.
  const read = (answer: boolean, from: unknown = body) =>
    readErrorInit(from, {
      status,
      // The catalog fills in only what the API itself answered.
      catalog: answer ? catalog : undefined,
      formats: answer || !declared ? own : [...declared, ...commonReaders],
      correlationId,
      // Without the standard reason phrases, which a client need not ship: the server's own, when it sent one.
      reason: (code) => statusText || `HTTP ${code}`,
    });
  let recognised: boolean;
  let init: ApiErrorInit;
  try {
    const detected = bestFit(body, own);
    recognised = complete && (rawBody === '' || detected !== undefined);
    init = read(recognised);
    // Nor is a body in a format that carries details which names a code whose details are required and
    // holds none: a client that declares such formats types those details as present.
    if (
      declared &&
      detected &&
      init.details === undefined &&
      catalog?.get(init.code)?.requiredDetails &&
      carriesDetails(detected.format.spec)
    ) {
      recognised = false;
      init = read(false);
    }
  } catch {
    // A body no reader can walk (a member nested past the stack, a schema that throws) is no answer of the
    // API: its status speaks, and it is never taken for a network failure to retry.
    recognised = false;
    init = read(false, undefined);
  }
  const wait = serverWait(
    status,
    headers,
    init.code,
    catalog ? catalog.builtins.idempotencyInFlight : standardInFlightCode,
  );
  // The response's own status wins over one a body claims.
  if (isErrorStatus(status)) init.status = status;
  const error = new ApiError(
    {
      ...init,
      headers: keptHeaders(headers),
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
