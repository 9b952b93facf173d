import type { IncomingMessage } from 'node:http';
import type { Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { type RoleError, roleError } from '../catalog/role-error.js';

/** Whether the request asks for WebSocket (`Upgrade: websocket`, among other protocols or not). */
export function asksForWebSocket(request: IncomingMessage): boolean {
  const upgrade = request.headers.upgrade;
  return typeof upgrade === 'string' && /(?:^|,)\s*websocket\s*(?:,|$)/i.test(upgrade);
}

// How many requests each socket has had passed on: node counts `maxRequestsPerSocket` per connection it
// parses, and each pass-on is a new one to it.
const passes = new WeakMap<Duplex, number>();

/** node's own listener of new connections on `server`, the one that parses HTTP on them. */
function httpListenerOf(server: Server, event: string): ((socket: Duplex) => void) | undefined {
  const found = server.listeners(event).find((listener) => listener.name === 'connectionListener');
  return found as ((socket: Duplex) => void) | undefined;
}

/** Calls `then` once no answer is being written on the socket (each queued one finishes in turn). */
function whenIdle(socket: Duplex, then: () => void): void {
  const current = (socket as { _httpMessage?: NodeJS.EventEmitter | null })._httpMessage;
  if (!current) then();
  else current.once('finish', () => setImmediate(() => whenIdle(socket, then)));
}

/**
 * Gives a request that asks to upgrade to another protocol (`Upgrade: h2c`, which `curl --http2` sends)
 * back to its HTTP server, as a request without the upgrade. node:http hands every request with an Upgrade
 * header to the `upgrade` listener once one exists, so that without this every route of an app with a
 * WebSocket endpoint would answer such a client with the endpoint's 404; a server without the listener
 * ignores the header and serves the request, as RFC 9110 lets it. The request head is written again from
 * the bytes node parsed (`rawHeaders`), without `Upgrade` and the `upgrade` token of `Connection`, before
 * the bytes that followed it, and node's HTTP listener takes the socket as a new connection: it parses it
 * again, under its own limits and timeouts, and the body and later requests follow on the same socket.
 * It is not passed on when node kept only part of its headers (`refuse` answers the catalog's 400, as
 * for a head over the size limit) or past `maxRequestsPerSocket` (its 503, as node answers), each once
 * the answers already being written are out, or when it comes pipelined behind another (the connection
 * is then closed after them, for the client to send it again). False when the socket has no HTTP server
 * to go back to (it is then the caller's to answer).
 */
export function passOn(
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  refuse: (thrown: RoleError) => void,
): boolean {
  const server = (
    request.socket as {
      server?: (Server & { maxHeadersCount?: number | null; maxRequestsPerSocket?: number | null }) | null;
    }
  ).server;
  // An HTTPS server serves the HTTP of a connection once its TLS is up: the socket is one already.
  const event = (socket as { encrypted?: boolean }).encrypted ? 'secureConnection' : 'connection';
  const listener = server && httpListenerOf(server, event);
  if (!server || !listener || socket !== request.socket || socket.destroyed) return false;
  const raw = request.rawHeaders;
  // node keeps at most this many header names and values; past it, the head written again would lose the
  // framing headers after them (Content-Length), and the body would be read as requests of its own.
  const kept =
    typeof server.maxHeadersCount === 'number' && server.maxHeadersCount > 0
      ? server.maxHeadersCount * 2
      : 2000;
  const count = (passes.get(socket) ?? 0) + 1;
  const most = server.maxRequestsPerSocket ?? 0;
  const pipelined = Boolean((socket as { _httpMessage?: unknown })._httpMessage);
  const refused = pipelined || raw.length >= kept || (most > 0 && count > most);
  // node let go of the socket for the upgrade, its 'error' listener with it: a peer's reset while the
  // refusal waits for the answers before it must not be an unhandled 'error' that ends the process.
  if (refused) socket.on('error', () => {});
  if (pipelined) {
    // Closed whole once written, not half: a client that never closes its side holds nothing open.
    whenIdle(socket, () => {
      const closing = socket as Duplex & { destroySoon?: () => void };
      if (typeof closing.destroySoon === 'function') closing.destroySoon();
      else socket.destroy();
    });
    return true;
  }
  if (raw.length >= kept) {
    const specific = 'The request header fields are too many.';
    whenIdle(socket, () => refuse(roleError('badRequest', { specific })));
    return true;
  }
  if (most > 0 && count > most) {
    const specific = 'The connection has carried as many requests as the server serves on one.';
    whenIdle(socket, () => refuse(roleError('serviceUnavailable', { specific })));
    return true;
  }
  passes.set(socket, count);
  const lines = [`${request.method} ${request.url} HTTP/${request.httpVersion}`];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (lower === 'upgrade') continue;
    let value = raw[i + 1]!;
    if (lower === 'connection') {
      value = value
        .split(',')
        .map((token) => token.trim())
        .filter((token) => token !== '' && token.toLowerCase() !== 'upgrade')
        .join(', ');
      if (value === '') continue;
    }
    lines.push(`${name}: ${value}`);
  }
  const text = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  socket.unshift(head.length === 0 ? text : Buffer.concat([text, head]));
  // node's listener alone: the app's own (a connection counter) saw this socket when it connected.
  listener.call(server, socket);
  return true;
}
