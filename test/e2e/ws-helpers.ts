import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { createWsErrors, type WsErrors, type WsErrorsOptions } from 'faultline/ws';
import WebSocket from 'ws';
import { freePort } from '../helpers/spawn.js';

export interface Served<C = unknown> {
  url: string;
  port: number;
  endpoint: WsErrors<C>;
  server: Server;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 whose upgrades go to one endpoint. */
export async function serve<C>(options: WsErrorsOptions<C>): Promise<Served<C>> {
  const endpoint = createWsErrors<C>(options);
  const server = createServer((_req, res) => {
    res.statusCode = 426;
    res.end();
  });
  server.on('upgrade', endpoint.upgrade);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    endpoint,
    server,
    async close() {
      await endpoint.close({ timeout: 200 });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What a `ws` client saw: messages in order, then the close. */
export interface Seen {
  socket: WebSocket;
  messages: any[];
  order: string[];
  opened: Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
  next(): Promise<any>;
}

export function watch(url: string, options: WebSocket.ClientOptions = {}): Seen {
  const socket = new WebSocket(url, options);
  const messages: any[] = [];
  const order: string[] = [];
  const waiting: ((m: any) => void)[] = [];
  socket.on('error', () => {});
  socket.on('message', (data) => {
    const text = String(data);
    let message: any = text;
    try {
      message = JSON.parse(text);
    } catch {}
    order.push('message');
    const waiter = waiting.shift();
    if (waiter) waiter(message);
    else messages.push(message);
  });
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', () => reject(new Error('refused')));
  });
  opened.catch(() => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.once('close', (code, reason) => {
      order.push(`close:${code}`);
      resolve({ code, reason: String(reason) });
    });
  });
  return {
    socket,
    messages,
    order,
    opened,
    closed,
    next: () =>
      messages.length > 0
        ? Promise.resolve(messages.shift())
        : new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('no message within 3 s')), 3000);
            waiting.push((m) => {
              clearTimeout(timer);
              resolve(m);
            });
          }),
  };
}

/** The raw HTTP answer to an upgrade request written by hand. */
export function rawUpgrade(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(text);
    }, 3000);
    socket.on('data', (d) => (text += d));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
    socket.on('error', reject);
    socket.write(head);
  });
}

/** An HTTP refusal of a `ws` client: status, headers and body. */
export function refusal(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const socket = new WebSocket(url, { headers });
      socket.on('error', () => {});
      socket.on('open', () => reject(new Error('upgraded')));
      socket.on('unexpected-response', (req, res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode!, headers: res.headers, body });
        });
      });
    },
  );
}

export const upgradeHead = (path: string, extra = '') =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;

/** `npm start`'s demo, started as a user starts it, and the socket URL it prints. */
export interface StartedDemo {
  readonly port: number;
  readonly socketUrl: string;
  stop(): void;
}

/**
 * Starts `demo/server.ts` on a free port without `DEMO_API_KEY`, so that it makes its key at start and prints
 * it in the socket URL; resolves once it has (at most 30 s).
 */
export async function startDemo(): Promise<StartedDemo> {
  const port = await freePort();
  const { DEMO_API_KEY: _unset, ...env } = process.env;
  const child = spawn('npx', ['tsx', 'demo/server.ts'], {
    cwd: resolve(import.meta.dirname, '../..'),
    env: { ...env, PORT: String(port) },
    detached: true,
  });
  const stop = () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // Already gone.
    }
  };
  const socketUrl = await new Promise<string>((done, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`no socket URL within 30 s: ${out}`)), 30_000);
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const found = /socket:\s+(ws:\/\/\S+)/.exec(out);
      if (found) {
        clearTimeout(timer);
        done(found[1]!);
      }
    });
    child.once('exit', (code) => fail(new Error(`demo exited with ${code}: ${out}`)));
  }).catch((error: unknown) => {
    stop();
    throw error;
  });
  return { port, socketUrl, stop };
}
