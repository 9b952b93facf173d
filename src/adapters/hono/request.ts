import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import type { RequestView } from '../../server/request.js';
import { RawHeaders } from '../node/request.js';

/** The node request under `@hono/node-server` (its `c.env.incoming`), when the app runs there. */
export function incomingOf(c: Context): IncomingMessage | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming && typeof incoming.on === 'function' && incoming.socket ? incoming : undefined;
}

/**
 * The request view of a Hono context: method, URL and headers; the peer address from `ip(c)`, or from
 * the socket under `@hono/node-server`. There the headers are read from node's raw headers: the Web
 * `Headers` of `c.req.raw` are built on first access, from all of them.
 */
export function toRequestView(c: Context, ip?: (c: Context) => string | undefined): RequestView {
  const incoming = incomingOf(c);
  return {
    method: c.req.method,
    url: c.req.url,
    headers: incoming ? new RawHeaders(incoming.rawHeaders) : c.req.raw.headers,
    ip: ip ? ip(c) : incoming?.socket.remoteAddress,
  };
}
