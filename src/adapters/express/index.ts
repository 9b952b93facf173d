import type { ErrorRequestHandler, RequestHandler } from 'express';
import { standardErrors } from '../../catalog/standard-errors.js';
import { assertJsonBody } from '../../server/content-type.js';
import { type ErrorHandler, type ErrorHandlerOptions, toErrorHandler } from '../../server/handle-error.js';
import { assertDeclaredLength } from '../node/read-json.js';
import { sendError } from '../node/sink.js';
import { parseSize } from '../node/size.js';

/** The Express error layer: the error middleware and the not-found middleware. */
export interface ExpressErrors {
  /** The error middleware: answers anything thrown or passed to `next(err)`; register it last. */
  readonly handler: ErrorRequestHandler;
  /** Answers every request that reached it with the not-found error; register it after the routes. */
  readonly notFound: RequestHandler;
}

/**
 * Creates the Express error layer: anything thrown or passed to `next(err)` — including Express 5's
 * rejected async handlers and body-parser's errors — becomes the catalog response.
 * @example
 * const errors = createExpressErrors({ catalog });
 * app.use(errors.notFound);
 * app.use(errors.handler);
 */
export function createExpressErrors(options: ErrorHandlerOptions | ErrorHandler = {}): ExpressErrors {
  const errors = toErrorHandler(options);
  return {
    // Express recognises error middleware by its four parameters: `next` must stay in the signature.
    handler: (error, req, res, _next) => {
      sendError(errors, error, req, res);
    },
    notFound: (_req, _res, next) => next(standardErrors.builtin('notFound')),
  };
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
