/** WebSocket helpers of the seed tests: a real `ws` client on 127.0.0.1, bounded waits only. */
import WebSocket from 'ws';
import type { Observed } from './harness.js';

/** An open socket and the messages it received, in order. */
export interface Socket {
  readonly ws: WebSocket;
  readonly messages: unknown[];
  /** The next message (after those already taken) matching `match`, within `timeoutMs`. */
  next(match?: (message: any) => boolean, timeoutMs?: number): Promise<any>;
  send(message: unknown): void;
  /** The close code, once closed (within `timeoutMs`). */
  closed(timeoutMs?: number): Promise<number>;
}

/**
 * Connects (from `localAddress`, a loopback address of its own, when given, with `headers`); resolves the
 * open socket, or the HTTP answer when the handshake is refused.
 */
export function connect(
  url: string,
  options: { localAddress?: string; headers?: Record<string, string> } = {},
): Promise<Socket | Extract<Observed, { kind: 'http' }>> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    const timer = setTimeout(() => reject(new Error(`no handshake answer from ${url}`)), 5000);
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => {
        clearTimeout(timer);
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers))
          if (typeof value === 'string') headers.set(name, value);
        resolve({ kind: 'http', status: res.statusCode ?? 0, headers, body });
        ws.terminate();
      });
    });
    ws.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    ws.once('open', () => {
      clearTimeout(timer);
      resolve(wrap(ws));
    });
  });
}

function wrap(ws: WebSocket): Socket {
  const messages: unknown[] = [];
  let taken = 0;
  const waiters = new Set<() => void>();
  let closeCode: number | undefined;
  ws.on('message', (data) => {
    try {
      messages.push(JSON.parse(String(data)));
    } catch {
      messages.push(String(data));
    }
    for (const wake of waiters) wake();
  });
  ws.on('close', (code) => {
    closeCode = code;
    for (const wake of waiters) wake();
  });
  ws.on('error', () => {});
  return {
    ws,
    messages,
    send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
    next(match = () => true, timeoutMs = 3000) {
      return new Promise((resolve, reject) => {
        const look = () => {
          while (taken < messages.length) {
            const message = messages[taken++];
            if (match(message)) {
              cleanup();
              resolve(message);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `no matching message within ${timeoutMs} ms; got ${JSON.stringify(messages.slice(-3))}`,
            ),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(look);
        };
        waiters.add(look);
        look();
      });
    },
    closed(timeoutMs = 3000) {
      return new Promise((resolve, reject) => {
        if (closeCode !== undefined) return resolve(closeCode);
        const timer = setTimeout(() => reject(new Error('not closed in time')), timeoutMs);
        ws.once('close', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
      });
    },
  };
}

/** An error event as an observation for the conformance harness. */
export const asEvent = (message: unknown): Observed => ({ kind: 'ws-event', body: JSON.stringify(message) });
