import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { isLingering } from './linger.js';
import { hasUnreadBody } from './read-body.js';

/** A `checkContinue` listener for a node:http server. */
export type CheckContinueListener = (req: IncomingMessage, res: ServerResponse) => void;

// The stream's own `_read`, shadowed on the one request until its first read.
type Consumed = { _read?: (this: IncomingMessage, size: number) => void };

/**
 * A `checkContinue` listener for a node:http server: a request with `Expect: 100-continue` gets its
 * `100 Continue` when its body is first read, as nginx sends it, instead of before any route runs (node's
 * default). A body refused before it is read (a declared `Content-Length` over the limit, an unknown path,
 * a missing key) is then refused before the client sends it: the answer is final, node closes the
 * connection after it, and the client has spent nothing on the upload. Any reader counts (faultline's,
 * body-parser, a Web stream over the request); an answer already sent, or a body left unread, sends no
 * `100` after it. The request is then served by the server's `request` listeners, as any other.
 */
export const checkContinue: CheckContinueListener = function checkContinue(
  this: Server | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const request = req as unknown as Consumed;
  // The stream asks for bytes on its first read (a 'data' listener, resume, read): the body is wanted now.
  request._read = function firstRead(this: IncomingMessage, size: number) {
    delete request._read;
    if (!res.headersSent && !res.writableEnded && !hasUnreadBody(req) && !isLingering(req.socket)) {
      res.writeContinue();
    }
    this._read(size);
  };
  const server = this ?? (req.socket as { server?: Server }).server;
  server?.emit('request', req, res);
};
