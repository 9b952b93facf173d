import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';

/** Starts a server on an ephemeral port of 127.0.0.1 and returns its base URL. */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Closes a server and every connection it holds. */
export async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** What `promise` rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** A response read off a raw socket. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function parseRaw(text: string): RawResponse {
  const [head = '', ...rest] = text.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
}

/**
 * Writes raw bytes to the server and reads the first response; `abortAfterWrite` cuts the connection
 * instead of waiting. Bounded by `timeoutMs`: a server that hangs fails the test instead of stalling it.
 */
export function rawRequest(
  baseUrl: string,
  chunks: readonly (string | Buffer)[],
  options: { timeoutMs?: number; abortAfterWrite?: boolean } = {},
): Promise<RawResponse | undefined> {
  const { port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no response within ${options.timeoutMs ?? 5000} ms`));
    }, options.timeoutMs ?? 5000);
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
      if (options.abortAfterWrite) {
        socket.destroy();
        clearTimeout(timer);
        resolve(undefined);
      }
    });
    socket.on('data', (data) => {
      received += data.toString('utf8');
      const response = parseRaw(received);
      const length = Number(response.headers['content-length']);
      if (received.includes('\r\n\r\n') && Buffer.byteLength(response.body) >= length) {
        clearTimeout(timer);
        socket.destroy();
        resolve(response);
      }
    });
    socket.on('error', () => {
      // A server that answers early and closes may reset the rest of an upload; the answer still counts.
    });
    socket.on('close', () => {
      clearTimeout(timer);
      if (received) resolve(parseRaw(received));
      else if (!options.abortAfterWrite) reject(new Error('connection closed without a response'));
    });
  });
}
