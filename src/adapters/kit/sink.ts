import type { IncomingMessage, ServerResponse } from 'node:http';
import { cutAnswer } from '../../guards/node-context.js';
import { announcesBody } from '../../server/body.js';
import type { ErrorHandler } from '../../server/handle-error.js';
import type { RequestView } from '../../server/request.js';
import { type LingerBounds, linger, toLingerBounds } from './linger.js';
import { answerBody } from './methods.js';
import { toRequestView } from './node-request.js';
import { hasUnreadBody } from './read-body.js';

const defaultLinger = toLingerBounds();

/**
 * Whether the answer to `req` must close the connection: a body still arriving that no one will read
 * (refused early, timed out, or never sent as announced). A body that has arrived whole is discarded
 * instead, and the connection kept: node has already handed the requests pipelined behind it to the app
 * (while a guard awaited, say), so closing would run them without their answers reaching the client, and
 * a client that sent them again would have them run twice. `complete` is read only when a body was
 * announced: for a bodiless request the parser sets it after the request listener returns.
 */
export function mustClose(req: IncomingMessage, view: RequestView): boolean {
  if (!hasUnreadBody(req) && !announcesBody(view)) return false;
  if (!req.complete) return true;
  // Arrived whole: what no reader took is in memory (node stops reading past the stream's buffer).
  if (!req.readableEnded) req.resume();
  return false;
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

// Headers that describe the connection or a policy of the server, not the representation that failed: an
// error answer keeps them when the app set them before it threw. Express's finalhandler and Koa's onerror
// drop every header, CORS and security headers with them, and a browser then hides the error from the page.
const keptNames = new Set([
  'vary',
  'connection',
  'strict-transport-security',
  'content-security-policy',
  'content-security-policy-report-only',
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
  'permissions-policy',
  'cross-origin-opener-policy',
  'cross-origin-embedder-policy',
  'cross-origin-resource-policy',
  // What the guards set before the handler ran (draft-ietf-httpapi-ratelimit-headers; `X-RateLimit-*` below).
  'ratelimit',
  'ratelimit-policy',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
]);

/**
 * Whether an error answer keeps a header (`name` lower case) the app set before it threw: CORS
 * (`access-control-*`), `Vary`, `Connection`, the security policies and the rate-limit headers. Every
 * other one described the representation that failed (`Content-Encoding`, `Set-Cookie`, `Cache-Control`,
 * `ETag`, ...) and is dropped; the error's own headers and faultline's are then set over what is kept.
 */
export function keptOnError(name: string): boolean {
  return keptNames.has(name) || name.startsWith('access-control-') || name.startsWith('x-ratelimit-');
}

/** Removes from a node:http response, before an error answer, every header `keptOnError` does not keep. */
export function dropStaleHeaders(res: ServerResponse): void {
  // The common case, no header set before, costs one empty array: no header store exists to walk.
  const names = res.getHeaderNames();
  if (names.length === 0) return;
  // Removing `Date` turns node's own off: the answer is dated by the server still.
  const sendDate = res.sendDate;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (!keptOnError(name)) res.removeHeader(name);
  }
  res.sendDate = sendDate;
}

/**
 * Writes a rendered answer on a node:http response; HEAD gets the headers only. Headers set on `res`
 * before are dropped but for those `keptOnError` keeps.
 */
export function writeAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string,
): void {
  if (res.headersSent || res.writableEnded || res.destroyed) {
    // Too late for an error answer: cutting the connection is the only honest signal left.
    cutAnswer(res);
    return;
  }
  dropStaleHeaders(res);
  // A reason phrase the app set belongs to the answer that failed; node fills in the status's own when empty.
  res.statusMessage = '';
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
