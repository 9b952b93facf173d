import type { ErrorRequestHandler, RequestHandler } from 'express';
import { standardErrors } from '../../catalog/standard-errors.js';
import { assertJsonBody } from '../../server/content-type.js';
import { type ErrorHandler, type ErrorHandlerOptions, toErrorHandler } from '../../server/handle-error.js';
import { assertDeclaredLength } from '../node/read-json.js';
import { parseSize } from '../node/size.js';
import { sendError } from '../node/with-errors.js';

/**
 * The error middleware: answers anything thrown or passed to `next(err)` — including Express 5's
 * rejected async handlers and body-parser's errors — with the catalog response. Register it last.
 * @example
 * app.use(notFound());
 * app.use(errorHandler({ catalog }));
 */
export function errorHandler(options: ErrorHandlerOptions | ErrorHandler = {}): ErrorRequestHandler {
  const errors = toErrorHandler(options);
  // Express recognises error middleware by its four parameters: `next` must stay in the signature.
  return (error, req, res, _next) => {
    sendError(errors, error, req, res);
  };
}

/** Answers every request that reached it with the catalog's not-found error; register it after the routes. */
export function notFound(): RequestHandler {
  return (_req, _res, next) => next(standardErrors.builtin('notFound'));
}

/**
 * Answers with the catalog's 405 and `Allow`; mount it with `app.all(path, …)` after the path's routes.
 * @example
 * app.post('/echo', handler);
 * app.all('/echo', methodNotAllowed(['POST']));
 */
export function methodNotAllowed(allowed: readonly string[]): RequestHandler {
  const allow = allowed.join(', ');
  return (_req, _res, next) =>
    next(standardErrors.builtin('methodNotAllowed', undefined, { headers: { allow } }));
}

/**
 * Answers 415 (with `Accept`) for a request body that is not UTF-8 JSON; `express.json()` alone lets
 * such bodies through unparsed.
 * @example
 * app.post('/echo', requireJson(), express.json({ limit: '1mb' }), handler);
 */
export function requireJson(): RequestHandler {
  return (req, _res, next) => {
    try {
      assertJsonBody(req.headers);
      next();
    } catch (error) {
      next(error);
    }
  };
}

/**
 * Answers 413 at once when the declared `Content-Length` exceeds `limit`, and closes the connection.
 * body-parser reads a refused body to its end before it reports, so a client announcing a huge body
 * and sending nothing would hold the request open; put this before `express.json()` with the same limit.
 * @example
 * app.post('/echo', bodyLimit('1mb'), express.json({ limit: '1mb' }), handler);
 */
export function bodyLimit(limit: number | string): RequestHandler {
  const bytes = parseSize(limit);
  return (req, _res, next) => {
    try {
      assertDeclaredLength(req, bytes);
      next();
    } catch (error) {
      next(error);
    }
  };
}
