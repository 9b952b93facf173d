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
