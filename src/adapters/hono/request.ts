import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import type { RequestView } from '../../server/request.js';

/** The node request under `@hono/node-server` (its `c.env.incoming`), when the app runs there. */
export function incomingOf(c: Context): IncomingMessage | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming && typeof incoming.on === 'function' && incoming.socket ? incoming : undefined;
}

/**
 * The request view of a Hono context: method, URL and Web headers; the peer address from `ip(c)`, or
 * from the socket under `@hono/node-server`.
 */
export function toRequestView(c: Context, ip?: (c: Context) => string | undefined): RequestView {
  return {
    method: c.req.method,
    url: c.req.url,
    headers: c.req.raw.headers,
    ip: ip ? ip(c) : incomingOf(c)?.socket.remoteAddress,
  };
}
