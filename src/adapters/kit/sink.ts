import type { IncomingMessage, ServerResponse } from 'node:http';
import { announcesBody } from '../../server/body.js';
import type { ErrorHandler } from '../../server/handle-error.js';
import type { RequestView } from '../../server/request.js';
import { type LingerBounds, linger, toLingerBounds } from './linger.js';
import { answerBody } from './methods.js';
import { toRequestView } from './node-request.js';
import { hasUnreadBody } from './read-body.js';

const defaultLinger = toLingerBounds();

/**
 * Whether the answer to `req` must close the connection: a body left unread (refused early, timed out,
 * or never sent as announced). `complete` is checked only when a body was announced: for a bodiless
 * request the parser sets it after the request listener returns, and closing every such connection
 * halves keep-alive throughput.
 */
export function mustClose(req: IncomingMessage, view: RequestView): boolean {
  return hasUnreadBody(req) || (!req.complete && announcesBody(view));
}

/**
 * Prepares the connection for an answer that leaves the body unread: `Connection: close` in `headers`,
 * and a lingering close so that the client reads the answer. Returns whether it did.
 */
export function closeAfter(
  req: IncomingMessage,
  view: RequestView,
  headers: Record<string, string>,
  bounds: LingerBounds = defaultLinger,
): boolean {
  if (!mustClose(req, view)) return false;
  headers.connection = 'close';
  linger(req, bounds);
  return true;
}

/** Writes a rendered answer on a node:http response; HEAD gets the headers only. */
export function writeAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string,
): void {
  if (res.headersSent || res.writableEnded || res.destroyed) {
    // Too late for an error answer: cutting the connection is the only honest signal left.
    res.destroy();
    return;
  }
  headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(status, headers);
  res.end(answerBody(req.method, body));
}

/** Sends the catalog answer for anything thrown while serving `req` on a node:http response. */
export function sendError(
  errors: ErrorHandler,
  thrown: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  view: RequestView = toRequestView(req),
  bounds: LingerBounds = defaultLinger,
): void {
  const { status, headers, body } = errors.handle(thrown, view);
  if (!res.headersSent) closeAfter(req, view, headers, bounds);
  writeAnswer(req, res, status, headers, body);
}
