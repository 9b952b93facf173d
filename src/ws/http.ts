import type { Duplex } from 'node:stream';
import { reasonPhrase } from '../catalog/status.js';
import { headerToken, isSafeHeaderValue } from '../server/header-grammar.js';

/**
 * Writes a whole HTTP/1.1 answer on an upgrade socket (there is no `ServerResponse` on `'upgrade'`), then
 * closes it. Headers whose name or value could break the head (CR, LF, NUL) are left out.
 */
export function writeHttpAnswer(
  socket: Duplex,
  status: number,
  headers: Readonly<Record<string, string>>,
  body: string,
): void {
  if (socket.destroyed) return;
  let head = `HTTP/1.1 ${status} ${reasonPhrase(status) || 'Error'}\r\n`;
  for (const name in headers) {
    const value = headers[name];
    const lower = name.toLowerCase();
    if (lower === 'content-length' || lower === 'connection' || lower === 'transfer-encoding') continue;
    if (typeof value !== 'string' || !headerToken.test(name) || !isSafeHeaderValue(value)) continue;
    head += `${name}: ${value}\r\n`;
  }
  head += `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n`;
  try {
    socket.end(head + body);
  } catch {
    socket.destroy();
    return;
  }
  // A peer that never reads must not hold the socket: destroy it once written, or after a bounded wait.
  const timer = setTimeout(() => socket.destroy(), 5_000);
  timer.unref();
  socket.once('finish', () => {
    clearTimeout(timer);
    socket.destroy();
  });
  socket.once('close', () => clearTimeout(timer));
}
