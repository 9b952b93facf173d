import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createErrorHandler,
  type ErrorHandler,
  type ErrorHandlerOptions,
} from '../../server/handle-error.js';
import { hasUnreadBody } from './read-json.js';

/** A node:http request handler, sync or async. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

function isHandler(value: ErrorHandlerOptions | ErrorHandler): value is ErrorHandler {
  return typeof (value as ErrorHandler).handle === 'function';
}

/** Sends the catalog answer for anything thrown while serving `req`. */
export function sendError(
  errors: ErrorHandler,
  thrown: unknown,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const { status, headers, body } = errors.handle(thrown, req);
  if (res.headersSent || res.writableEnded || res.destroyed) {
    // Too late for an error answer: cutting the connection is the only honest signal left.
    res.destroy();
    return;
  }
  headers['content-length'] = String(Buffer.byteLength(body));
  // A body left unread (refused early, or never sent as announced) must not hold the connection open.
  if (hasUnreadBody(req) || !req.complete) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * Wraps a node:http handler so that any throw or rejection becomes the catalog response.
 * @example
 * http.createServer(withErrors(async (req, res) => { ... }, { catalog })).listen(3000);
 */
export function withErrors(
  handler: NodeHandler,
  options: ErrorHandlerOptions | ErrorHandler = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const errors = isHandler(options) ? options : createErrorHandler(options);
  return async (req, res) => {
    try {
      await handler(req, res);
    } catch (thrown) {
      sendError(errors, thrown, req, res);
    }
  };
}
