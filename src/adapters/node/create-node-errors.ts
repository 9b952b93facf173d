import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ErrorHandler, type ErrorHandlerOptions, toErrorHandler } from '../../server/handle-error.js';
import { sendError } from './sink.js';

/** A node:http request handler, sync or async. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

/** The node:http error layer: wraps handlers, and sends the catalog answer for anything thrown. */
export interface NodeErrors {
  /** Wraps a node:http handler so that any throw or rejection becomes the catalog response. */
  (handler: NodeHandler): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** Sends the catalog answer for anything thrown while serving `req`. */
  send(thrown: unknown, req: IncomingMessage, res: ServerResponse): void;
  /** The compiled error handler. */
  readonly handler: ErrorHandler;
}

/**
 * Creates the node:http error layer: a wrapper that turns any throw or rejection of a handler into the
 * catalog response.
 * @example
 * const errors = createNodeErrors({ catalog });
 * http.createServer(errors(router.handle)).listen(3000);
 */
export function createNodeErrors(options: ErrorHandlerOptions | ErrorHandler = {}): NodeErrors {
  const errors = toErrorHandler(options);
  const send = (thrown: unknown, req: IncomingMessage, res: ServerResponse) =>
    sendError(errors, thrown, req, res);
  // Synchronous until the handler returns a promise: a sync throw is answered without a rejection.
  const wrap = (handler: NodeHandler) => (req: IncomingMessage, res: ServerResponse) => {
    try {
      const result = handler(req, res);
      if (isPromise(result)) return result.then(noop, (thrown: unknown) => send(thrown, req, res));
    } catch (thrown) {
      send(thrown, req, res);
    }
    return resolved;
  };
  return Object.assign(wrap, { send, handler: errors });
}

const resolved = Promise.resolve();
const noop = () => {};

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | undefined)?.then === 'function';
}
