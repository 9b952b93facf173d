import type { IncomingMessage } from 'node:http';
import type { Server } from 'node:net';
import type { Duplex } from 'node:stream';

/** Whether the request asks for WebSocket (`Upgrade: websocket`, among other protocols or not). */
export function asksForWebSocket(request: IncomingMessage): boolean {
  const upgrade = request.headers.upgrade;
  return typeof upgrade === 'string' && /(?:^|,)\s*websocket\s*(?:,|$)/i.test(upgrade);
}

/**
 * Gives a request that asks to upgrade to another protocol (`Upgrade: h2c`, which `curl --http2` sends)
 * back to its HTTP server, as a request without the upgrade. node:http hands every request with an Upgrade
 * header to the `upgrade` listener once one exists, so that without this every route of an app with a
 * WebSocket endpoint would answer such a client with the endpoint's 404; a server without the listener
 * ignores the header and serves the request, as RFC 9110 lets it. The request head is written again from
 * the bytes node parsed (`rawHeaders`), without `Upgrade` and the `upgrade` token of `Connection`, before
 * the bytes that followed it, and the socket becomes a new connection of the server: node parses it again,
 * under its own limits and timeouts, and its body and any later requests follow on the same socket.
 * False when the socket has no HTTP server to go back to (it is then the caller's to answer).
 */
export function passOn(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
  const server = (request.socket as { server?: Server | null }).server;
  if (!server || socket !== request.socket || socket.destroyed) return false;
  const lines = [`${request.method} ${request.url} HTTP/${request.httpVersion}`];
  const raw = request.rawHeaders;
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
  // A request pipelined behind one whose answer is still being written: node would queue the new answer
  // behind that one, on a connection state it no longer drives. The connection is closed instead, as a
  // server may close one between pipelined requests: the client sends the rest again on a new one.
  if ((socket as { _httpMessage?: unknown })._httpMessage) {
    socket.destroy();
    return true;
  }
  const text = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  socket.unshift(head.length === 0 ? text : Buffer.concat([text, head]));
  // An HTTPS server serves the HTTP of a connection once its TLS is up: the socket is one already.
  server.emit((socket as { encrypted?: boolean }).encrypted ? 'secureConnection' : 'connection', socket);
  return true;
}
