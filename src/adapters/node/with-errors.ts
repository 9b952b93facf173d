import type { IncomingMessage, ServerResponse } from 'node:http';
import { hasRequestBody } from '../../server/content-type.js';
import { type ErrorHandler, type ErrorHandlerOptions, toErrorHandler } from '../../server/handle-error.js';
import { hasUnreadBody } from './read-json.js';
import { nodeRequestView } from './request-view.js';

/** A node:http request handler, sync or async. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

/** Sends the catalog answer for anything thrown while serving `req`. */
export function sendError(
  errors: ErrorHandler,
  thrown: unknown,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const view = nodeRequestView(req);
  const { status, headers, body } = errors.handle(thrown, view);
  if (res.headersSent || res.writableEnded || res.destroyed) {
    // Too late for an error answer: cutting the connection is the only honest signal left.
    res.destroy();
    return;
  }
  headers['content-length'] = String(Buffer.byteLength(body));
  // A body left unread (refused early, or never sent as announced) must not hold the connection open.
  // `complete` is checked only when a body was announced: for a bodiless request the parser sets it
  // after the request listener returns, and closing every such connection halves keep-alive throughput.
  if (hasUnreadBody(req) || (!req.complete && hasRequestBody(view.headers))) headers.connection = 'close';
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
  const errors = toErrorHandler(options);
  // Synchronous until the handler returns a promise: a sync throw is answered without a rejection.
  return (req, res) => {
    try {
      const result = handler(req, res);
      if (isPromise(result))
        return result.then(noop, (thrown: unknown) => sendError(errors, thrown, req, res));
    } catch (thrown) {
      sendError(errors, thrown, req, res);
    }
    return resolved;
  };
}

const resolved = Promise.resolve();
const noop = () => {};

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | undefined)?.then === 'function';
}
