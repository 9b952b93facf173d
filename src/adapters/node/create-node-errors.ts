import type { IncomingMessage, ServerResponse } from 'node:http';
import { compileTrust, type TrustProxy } from '../../server/client-ip.js';
import type { ErrorHandler, ErrorHandlerOptions } from '../../server/handle-error.js';
import { checkTarget } from '../../server/routing.js';
import { type Adapter, coreOf, createKit } from '../kit/adapter.js';
import type { LingerOptions } from '../kit/linger.js';
import { keepTrust, type NodeRaw, toAnswerView } from '../kit/node-request.js';
import { sendError } from '../kit/sink.js';
import { directRouteOf } from './router.js';

export type { NodeRaw } from '../kit/node-request.js';

/** A node:http request handler, sync or async. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

/** Options of the node:http adapter besides the error handler's. */
export interface NodeErrorsOptions {
  /** Bounds of the lingering close after an answer that leaves a body unread (413, 415, 408). */
  linger?: LingerOptions;
  /**
   * The proxies whose `X-Forwarded-For` says who the client is, as Express's `trust proxy` takes them:
   * `true`, a number of hops, addresses and CIDR ranges (`'loopback'`, `'linklocal'`, `'uniquelocal'`),
   * or a function of an address and its hop (0 is the socket's peer). `guard()` keys `byIp` on that
   * client when the wrapper of this layer serves the request. Untrusted by default: the header is
   * ignored and the key is the socket's address. A malformed value throws `FAULTLINE_INVALID_OPTION` here.
   * @default false
   */
  trustProxy?: TrustProxy;
}

/** The node:http parts of the adapter: the wrapper itself, and `send`. */
export interface NodeParts {
  /** Wraps a node:http handler so that any throw or rejection becomes the catalog response. */
  (handler: NodeHandler): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** Sends the catalog answer for anything thrown while serving `req`. */
  send(thrown: unknown, req: IncomingMessage, res: ServerResponse): void;
  /** The compiled error handler (the same as `errors`). */
  readonly handler: ErrorHandler;
}

/** The node:http error layer: wraps handlers, and sends the catalog answer for anything thrown. */
export type NodeErrors = Adapter<NodeParts>;

/**
 * Creates the node:http error layer: a wrapper that turns any throw or rejection of a handler into the
 * catalog response, checks the request target first (malformed percent-encoding is a 400), and closes
 * after a refused body with a lingering close so that the client reads the answer.
 * @example
 * const errors = createNodeErrors({ catalog });
 * const server = http.createServer(errors(router.handle)).on('clientError', errors.clientError);
 */
export function createNodeErrors(
  options: ErrorHandlerOptions<NodeRaw> | ErrorHandler = {},
  nodeOptions: NodeErrorsOptions = {},
): NodeErrors {
  const kit = createKit(options, { linger: nodeOptions.linger });
  const { errors, bounds } = kit;
  const trust = compileTrust(nodeOptions.trustProxy);
  // Inside the wrapper the request already holds the layer's trust; `send`, public, may come first.
  const answer = (thrown: unknown, req: IncomingMessage, res: ServerResponse) =>
    sendError(errors, thrown, req, res, toAnswerView(req, res), bounds);
  const send = (thrown: unknown, req: IncomingMessage, res: ServerResponse) => {
    keepTrust(req, trust);
    answer(thrown, req, res);
  };
  // Synchronous until the handler returns a promise: a sync throw is answered without a rejection. Given a
  // router's `handle` itself, the router answers its 404, 405 and its handlers' rejections through `answer`.
  const wrap = (handler: NodeHandler) => {
    const direct = directRouteOf(handler);
    return (req: IncomingMessage, res: ServerResponse) => {
      keepTrust(req, trust);
      try {
        checkTarget(req.url);
        const result = direct === undefined ? handler(req, res) : direct(req, res, answer);
        if (isPromise(result)) return result.then(noop, (thrown: unknown) => answer(thrown, req, res));
      } catch (thrown) {
        answer(thrown, req, res);
      }
      return resolved;
    };
  };
  return Object.assign(wrap, { ...coreOf(kit), send, handler: errors });
}

const resolved = Promise.resolve();
const noop = () => {};

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | undefined)?.then === 'function';
}
