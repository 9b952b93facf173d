import type { WebSocket } from 'ws';
import { closeCodeKind } from '../catalog/ws-codes.js';
import { clampReason } from './reason.js';

/**
 * Closes a socket without ever throwing: an unsendable code becomes 1011, the reason is clamped to
 * 123 bytes, and a socket that cannot take a close frame is terminated.
 * @example
 * safeClose(socket, 4401, 'UNAUTHORIZED');
 */
export function safeClose(socket: WebSocket, code: number, reason?: string): void {
  try {
    if (socket.readyState === socket.CLOSED) return;
    if (socket.readyState === socket.CONNECTING) {
      socket.terminate();
      return;
    }
    socket.close(closeCodeKind(code) === 'sendable' ? code : 1011, clampReason(reason));
  } catch {
    safeTerminate(socket);
  }
}

/** Destroys a socket at once (the peer sees 1006); never throws. */
export function safeTerminate(socket: WebSocket): void {
  try {
    socket.terminate();
  } catch {
    // Nothing left to do: the socket is gone either way.
  }
}

// How long a socket closed without a slot is kept for its peer to read the close and answer it.
const letGoAfter = 2000;

/**
 * A socket closed without a slot of its own (refused over the socket, or let through while the endpoint
 * closes): a peer that never answers the close frame is let go long before ws's own 30 s close timeout, as
 * clientError lets go of an answered socket.
 */
export function letGo(ws: WebSocket): void {
  const grace = setTimeout(() => safeTerminate(ws), letGoAfter);
  grace.unref();
  ws.once('close', () => clearTimeout(grace));
}
