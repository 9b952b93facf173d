import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { RoleError, roleError } from '../../catalog/role-error.js';
import type { BodyOptions } from '../../server/body.js';
import type { ErrorHandler, ErrorHandlerOptions } from '../../server/handle-error.js';
import { checkTarget, resolveUnmatched } from '../../server/routing.js';
import { type Adapter, coreOf, createKit, type KitOptions } from '../kit/adapter.js';
import { readJsonBody } from '../kit/read-json.js';
import { sendError } from '../kit/sink.js';
import { type ExpressRaw, toAnswerView } from './request.js';
import { unmatchedPathOf } from './routes.js';
import { translate } from './translate.js';

export type { ExpressRaw } from './request.js';

/**
 * Options of the Express adapter besides the error handler's: the lingering close, and the default
 * limits of `json()` (each route may override them).
 */
export type ExpressErrorsOptions = KitOptions;

/** The Express parts of the adapter: a JSON body reader, the not-found middleware and the error middleware. */
export interface ExpressParts {
  /**
   * Reads a JSON body into `req.body` with the same limits and answers as every adapter (413 declared
   * and streamed, 415 with `Accept`, strict UTF-8, depth, 408); use it instead of `express.json()`.
   */
  json(options?: BodyOptions): RequestHandler;
  /**
   * The first middleware: a malformed percent-escape or an escaped dot segment (`%2e%2e`) in the path
   * is the catalog's 400 before any route sees it, as on the other adapters (Express's router would
   * hand `..` to a `:param`).
   */
  readonly checkPath: RequestHandler;
  /**
   * After the routes: 404 for an unknown path, 405 with `Allow` for a method the path does not take,
   * and 204 with `Allow` for OPTIONS, read from the app's own routes.
   */
  readonly notFound: RequestHandler;
  /** The error middleware: answers anything thrown or passed to `next(err)`; register it last. */
  readonly handler: ErrorRequestHandler;
  /**
   * The server's request listener for `app` (`createServer(errors.serve(app))`): what Express's own final
   * handler would answer in HTML gets the catalog's answer. That is a request target its router cannot
   * parse (`GET http://[::1`), which skips every middleware, `checkPath` and `notFound` included, and an
   * error or a miss after the last middleware.
   */
  serve(app: ExpressApp): (req: IncomingMessage, res: ServerResponse) => void;
}

/** An Express app as a request listener that takes a final handler (`app(req, res, done)`). */
export type ExpressApp = (
  req: IncomingMessage,
  res: ServerResponse,
  done?: (error?: unknown) => void,
) => unknown;

/** The Express error layer: a JSON body reader, the not-found middleware and the error middleware. */
export type ExpressErrors = Adapter<ExpressParts>;

/**
 * Creates the Express error layer: anything thrown or passed to `next(err)` — Express 5's rejected
 * async handlers, its router's and body-parser's own errors included — becomes the catalog response.
 * @example
 * const errors = createExpressErrors({ catalog });
 * app.use(errors.checkPath);
 * app.post('/echo', errors.json({ limit: '1mb' }), handler);
 * app.use(errors.notFound);
 * app.use(errors.handler);
 */
export function createExpressErrors(
  options: ErrorHandlerOptions<ExpressRaw> | ErrorHandler = {},
  expressOptions: ExpressErrorsOptions = {},
): ExpressErrors {
  const kit = createKit(options, expressOptions);
  const { errors, bounds } = kit;
  const answer = (error: unknown, req: Request, res: Response) =>
    sendError(errors, translate(error), req, res, toAnswerView(req, res), bounds);
  const parts: ExpressParts = {
    json(bodyOptions) {
      const limits = kit.limitsOf(bodyOptions);
      return (req, _res, next) => {
        readJsonBody(req, limits).then((body) => {
          req.body = body;
          next();
        }, next);
      };
    },
    checkPath: (req, _res, next) => {
      try {
        checkTarget(req.url);
      } catch (error) {
        next(error);
        return;
      }
      next();
    },
    notFound: (req, res, next) => {
      try {
        checkTarget(req.url);
      } catch (error) {
        next(error);
        return;
      }
      const answer = resolveUnmatched(req.method, unmatchedPathOf(req));
      if (answer instanceof RoleError) next(answer);
      else res.writeHead(answer.status, answer.headers).end();
    },
    // Express recognises error middleware by its four parameters: `next` must stay in the signature.
    handler: (error, req, res, _next) => answer(error, req, res),
    serve: (app) => (req, res) => {
      // Called by Express in place of its final handler, once it has made `req` and `res` its own.
      app(req, res, (error) => {
        const request = req as Request;
        const response = res as Response;
        const refuse = (thrown: unknown) => answer(thrown, request, response);
        if (error) return refuse(error);
        try {
          parts.notFound(request, response, refuse);
        } catch {
          // A target Express cannot parse (its `req.path` throws) is the client's malformed request.
          refuse(roleError('badRequest', { specific: 'The request target is malformed.' }));
        }
      });
    },
  };
  return { ...coreOf(kit), ...parts };
}
