import type { Context, ErrorHandler as HonoErrorHandler, MiddlewareHandler, NotFoundHandler } from 'hono';
import { standardErrors } from '../../catalog/standard-errors.js';
import { assertJsonBody } from '../../server/content-type.js';
import { type ErrorHandler, type ErrorHandlerOptions, toErrorHandler } from '../../server/handle-error.js';
import { fieldErrorsOf } from '../../server/normalize.js';

type Bag = Record<string, unknown>;

// Hono's validator raises this exact message when a JSON body does not parse.
const malformedJsonMessage = 'Malformed JSON in request body';

/** Reads Hono's HTTPException (matched by shape: the adapter imports no Hono code) as an http error. */
function fromHttpException(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const exception = error as unknown as Bag;
  if (typeof exception.getResponse !== 'function') return error;
  const status = exception.status;
  if (typeof status !== 'number') return error;
  if (error.message === malformedJsonMessage)
    return standardErrors.builtin('malformedJson', undefined, { cause: error });
  const res = exception.res as Response | undefined;
  const headers: Record<string, string> = {};
  res?.headers.forEach((value, key) => {
    if (key !== 'content-type' && key !== 'content-length') headers[key] = value;
  });
  // A message given to HTTPException is for the client; a prepared response (body limit, …) is Hono's own.
  return {
    status,
    message: error.message,
    expose: res === undefined && error.message !== '',
    headers,
    cause: error,
  };
}

// Errors that refuse a body before reading it: the unread rest must not be taken for the next request.
const refusesBody = new Set(['bodyTooLarge', 'unsupportedMediaType']);

function respond(errors: ErrorHandler, thrown: unknown, c: Context): Response {
  const { status, headers, body, error } = errors.handle(fromHttpException(thrown), {
    method: c.req.method,
    url: c.req.url,
    headers: c.req.raw.headers,
  });
  if (error.role !== undefined && refusesBody.has(error.role) && !c.req.raw.bodyUsed)
    headers.connection = 'close';
  return new Response(c.req.method === 'HEAD' ? null : body, { status, headers });
}

/** The handlers a Hono app installs: `app.onError(h.onError)` and `app.notFound(h.notFound)`. */
export interface HonoErrors {
  readonly onError: HonoErrorHandler;
  readonly notFound: NotFoundHandler;
  /**
   * Hono hands only `Error` instances to `onError`; a thrown string or object escapes as an empty 500.
   * This middleware, registered first with `app.use(...)`, answers those too.
   */
  readonly middleware: MiddlewareHandler;
}

/**
 * Creates Hono's error and not-found handlers: `HTTPException`, validator failures and anything thrown
 * become the catalog response, on `@hono/node-server` and on any Web runtime.
 * @example
 * const errors = createHonoErrors({ catalog });
 * app.use(errors.middleware);
 * app.onError(errors.onError).notFound(errors.notFound);
 */
export function createHonoErrors(options: ErrorHandlerOptions | ErrorHandler = {}): HonoErrors {
  const errors = toErrorHandler(options);
  return {
    onError: (error, c) => respond(errors, error, c),
    notFound: (c) => respond(errors, standardErrors.builtin('notFound'), c),
    middleware: async (c, next) => {
      try {
        await next();
      } catch (thrown) {
        c.res = respond(errors, thrown, c);
      }
    },
  };
}

/**
 * A hook for `@hono/standard-validator` and `@hono/zod-validator` that raises the catalog's validation
 * error, with one field error per issue, instead of the validator's own 400 body.
 * @example
 * app.post('/echo', sValidator('json', schema, validationHook), handler);
 */
export function validationHook(result: { success: boolean; error?: unknown }): void {
  if (result.success) return;
  const issues = Array.isArray(result.error) ? result.error : (result.error as Bag | undefined)?.issues;
  const fieldErrors = Array.isArray(issues) ? fieldErrorsOf(issues) : undefined;
  throw standardErrors.builtin('validation', undefined, {
    fieldErrors: fieldErrors ?? [],
    cause: result.error,
  });
}

/** Answers 415 (with `Accept`) for a request body that is not UTF-8 JSON; Hono's validator skips such bodies. */
export function requireJson(): MiddlewareHandler {
  return async (c, next) => {
    assertJsonBody(c.req.raw.headers, c.req.raw.body !== null);
    await next();
  };
}

/** A handler that answers the catalog's 405 with `Allow`. */
export function methodNotAllowed(allowed: readonly string[]): () => never {
  const allow = allowed.join(', ');
  return () => {
    throw standardErrors.builtin('methodNotAllowed', undefined, { headers: { allow } });
  };
}
