import type { IncomingMessage, ServerResponse } from 'node:http';
import { hasRequestBody } from '../../server/content-type.js';
import type { ErrorHandler } from '../../server/handle-error.js';
import type { RequestView } from '../../server/request.js';
import { hasUnreadBody } from './read-json.js';
import { toRequestView } from './request.js';

/** Sends the catalog answer for anything thrown while serving `req` on a node:http response. */
export function sendError(
  errors: ErrorHandler,
  thrown: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  view: RequestView = toRequestView(req),
): void {
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
