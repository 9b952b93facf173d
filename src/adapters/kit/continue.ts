import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { roleError } from '../../catalog/role-error.js';
import { announcesBody } from '../../server/body.js';
import type { ErrorHandler } from '../../server/handle-error.js';
import { isLingering, type LingerBounds, linger } from './linger.js';
import { toRequestView } from './node-request.js';
import { hasUnreadBody } from './read-body.js';
import { sendError } from './sink.js';

const bareContinue = /^[\t ]*100-continue[\t ]*$/i;

/** A `checkContinue` listener for a node:http server. */
export type CheckContinueListener = (req: IncomingMessage, res: ServerResponse) => void;

// The stream's own `_read`, shadowed on the one request until its first read.
type Consumed = { _read?: (this: IncomingMessage, size: number) => void };

/**
 * A `checkContinue` listener for a node:http server: a request with `Expect: 100-continue` gets its
 * `100 Continue` when its body is first read, as nginx sends it, instead of before any route runs (node's
 * default). A body faultline's readers refuse before reading it (a declared `Content-Length` over the
 * limit) or that no route reads (an unknown path, a missing key) is then never uploaded: the answer is
 * final, and the connection closes after it with a lingering close, so that a client that sent its body
 * without waiting still reads the answer. Any reader counts (faultline's, body-parser, a Web stream over
 * the request); an answer already sent, or a body left unread, sends no `100` after it. The request is then
 * served by the server's `request` listeners, as any other. It may be called as a method or on its own. An
 * `Expect` that holds more than `100-continue` is one the server cannot meet: `refuse` answers it (417).
 */
export function checkContinueListener(
  bounds: LingerBounds,
  refuse: CheckExpectationListener,
): CheckContinueListener {
  return function checkContinue(this: unknown, req, res) {
    // node hands over any `Expect` that names 100-continue among others (`foo, 100-continue`,
    // `100-continue;x=1`): only the bare expectation is one the server can meet (RFC 9110 §10.1.1).
    if (!bareContinue.test(String(req.headers.expect))) return refuse(req, res);
    const request = req as unknown as Consumed;
    // A request that announces no body has nothing to upload: its 100 goes at once, as node's own listener
    // sends it, and node keeps the connection (it closes after an answer to one still owed its 100).
    let continued = !announcesBody(toRequestView(req));
    if (continued) res.writeContinue();
    // The stream asks for bytes on its first read (a 'data' listener, resume, read): the body is wanted now.
    request._read = function firstRead(this: IncomingMessage, size: number) {
      delete request._read;
      if (
        !continued &&
        !res.headersSent &&
        !res.writableEnded &&
        !hasUnreadBody(req) &&
        !isLingering(req.socket)
      ) {
        continued = true;
        res.writeContinue();
      }
      this._read(size);
    };
    // An answer the app wrote without the body (no 100 asked for it): node closes after it, and a client
    // that sent the body anyway must not meet a reset before it reads the answer.
    res.once('prefinish', () => {
      if (!continued && !req.complete && !isLingering(req.socket)) linger(req, bounds);
    });
    // The server that accepted the socket; else the emitter that called this listener (a connection handed
    // to the server by `emit('connection')` has no `server`). Called as a method, `this` is no server.
    const server = (req.socket as { server?: Server } | null)?.server ?? serverOf(this);
    if (server !== undefined) {
      server.emit('request', req, res);
      return;
    }
    res.writeHead(500, { connection: 'close' }).end();
  };
}

function serverOf(value: unknown): Server | undefined {
  const emitter = value as Partial<Server> | null | undefined;
  return typeof emitter?.emit === 'function' && typeof emitter.listenerCount === 'function'
    ? (emitter as Server)
    : undefined;
}

const expectationFailed = roleError('expectationFailed', {
  specific:
    'The request carries an expectation the server cannot meet: only "Expect: 100-continue" is supported.',
});

/** A `checkExpectation` listener for a node:http server. */
export type CheckExpectationListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A `checkExpectation` listener for a node:http server: a request whose `Expect` is other than
 * `100-continue` (the one expectation HTTP defines, RFC 9110 §10.1.1) gets the catalog's
 * `expectationFailed` (417 `EXPECTATION_FAILED` by default), where node answers a bare 417 with an empty
 * body. A body it announces is never read: the connection then closes after the answer with a
 * lingering close; one without a body keeps its connection.
 */
export function checkExpectationListener(
  errors: ErrorHandler,
  bounds: LingerBounds,
): CheckExpectationListener {
  return (req, res) => {
    sendError(errors, expectationFailed, req, res, toRequestView(req), bounds);
  };
}
