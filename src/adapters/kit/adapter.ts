import type { Socket } from 'node:net';
import type { Catalog } from '../../catalog/types.js';
import { type BodyLimits, type BodyOptions, toBodyLimits } from '../../server/body.js';
import { type ErrorHandler, type ErrorHandlerOptions, toErrorHandler } from '../../server/handle-error.js';
import { clientErrorListener } from './client-error.js';
import {
  type CheckContinueListener,
  type CheckExpectationListener,
  checkContinueListener,
  checkExpectationListener,
} from './continue.js';
import { type LingerBounds, type LingerOptions, toLingerBounds } from './linger.js';

/** A `clientError` listener for a node:http server: requests node's parser refuses get the catalog's 400. */
export type ClientErrorListener = (error: Error, socket: Socket) => void;

export type { CheckContinueListener, CheckExpectationListener } from './continue.js';

/**
 * What every adapter returns, whatever its framework: the catalog that answers, the compiled error
 * handler (`handle`, `normalize`, `render`), and the `clientError`, `checkContinue` and `checkExpectation`
 * listeners for the node:http server under it. `Parts` are the framework's own pieces (middlewares, a plugin, a wrapper), typed per adapter.
 * @example
 * const errors: Adapter<{ readonly handler: ErrorRequestHandler }> = createExpressErrors({ catalog });
 * server.on('clientError', errors.clientError).on('checkContinue', errors.checkContinue)
 *   .on('checkExpectation', errors.checkExpectation);
 */
export type Adapter<Parts extends object = object> = AdapterCore & Parts;

/** The part of an adapter's shape that is the same on every framework. */
export interface AdapterCore {
  /** The catalog whose errors the adapter answers (faultline's standard one when none was given). */
  readonly catalog: Catalog<any>;
  /** The compiled error handler: the one place a thrown value becomes status, headers and body. */
  readonly errors: ErrorHandler;
  /** A `clientError` listener for the node:http server: requests node's parser refuses get the catalog's 400. */
  readonly clientError: ClientErrorListener;
  /**
   * A `checkContinue` listener for the node:http server: `Expect: 100-continue` is answered `100 Continue`
   * when the body is first read, so that a body refused before it is read (413 for a declared length) is
   * never uploaded. Without it, node sends `100 Continue` before any route runs.
   */
  readonly checkContinue: CheckContinueListener;
  /**
   * A `checkExpectation` listener for the node:http server: an `Expect` other than `100-continue` is the
   * catalog's 417, where node answers a bare 417 with an empty body.
   */
  readonly checkExpectation: CheckExpectationListener;
}

/** The options every adapter takes besides the error handler's. */
export interface KitOptions {
  /** Bounds of the lingering close after an answer that leaves a body unread (413, 415, 408). */
  linger?: LingerOptions;
  /** Default limits of the adapter's JSON reader; each route may override them. */
  body?: BodyOptions;
}

/** What an adapter is built on: its error handler, body limits and linger bounds, checked once. */
export interface Kit extends AdapterCore {
  /** The adapter's default body limits. */
  readonly limits: BodyLimits;
  /** The linger bounds, with every default applied. */
  readonly bounds: LingerBounds;
  /** A route's limits: the adapter's, overridden by `options` when given. */
  limitsOf(options?: BodyOptions): BodyLimits;
}

/**
 * Builds the kit of one adapter from the error handler's options (or a compiled handler) and the
 * options every adapter shares; a malformed option throws `FAULTLINE_INVALID_OPTION` here, at setup.
 */
export function createKit<Raw>(options: ErrorHandlerOptions<Raw> | ErrorHandler, kit: KitOptions = {}): Kit {
  const errors = toErrorHandler(options);
  const limits = toBodyLimits(kit.body);
  const bounds = toLingerBounds(kit.linger);
  const checkExpectation = checkExpectationListener(errors, bounds);
  return {
    catalog: errors.catalog,
    errors,
    limits,
    bounds,
    clientError: clientErrorListener(errors),
    checkContinue: checkContinueListener(bounds, checkExpectation),
    checkExpectation,
    limitsOf: (given) => (given ? toBodyLimits(given, limits) : limits),
  };
}

/** The shared part of an adapter's shape, from its kit. */
export function coreOf(kit: Kit): AdapterCore {
  return {
    catalog: kit.catalog,
    errors: kit.errors,
    clientError: kit.clientError,
    checkContinue: kit.checkContinue,
    checkExpectation: kit.checkExpectation,
  };
}
