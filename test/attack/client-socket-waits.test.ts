/**
 * The wait `connectSocket` takes before it reconnects comes only from what ended the connection: the close
 * (with the error event that announced it, whose code the close's reason names) or the refused handshake.
 * A wait past `maxRetryAfter` stops the client, which reports it, rather than sleeping it. Real `ws`
 * servers on 127.0.0.1; no wait is slept and none is asserted as a time.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { ApiError } from 'faultline';
import { connectSocket, type SocketClient, type WebSocketConstructor } from 'faultline/client';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';

const Ws = WebSocket as unknown as WebSocketConstructor;
const servers: Server[] = [];
const raw = new Set<Duplex>();
const clients: SocketClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const socket of raw) socket.destroy();
  raw.clear();
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

/** A server whose upgrades go to `onUpgrade`, with a WebSocket server at hand; resolves its ws:// URL. */
async function serve(onUpgrade: (wss: WebSocketServer, req: any, socket: Duplex, head: Buffer) => void) {
  const server = createServer((_req, res) => res.end());
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    raw.add(socket);
    socket.on('error', () => {});
    onUpgrade(wss, req, socket, head);
  });
  server.on('close', () => wss.close());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A server that, on each connection, sends `events` then closes with `code` and `reason`. */
function closing(events: unknown[], code: number, reason = '') {
  return serve((wss, req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => {
      for (const event of events) ws.send(JSON.stringify(event));
      ws.close(code, reason);
    }),
  );
}

/** Connects, and resolves the first decision: the reconnect delay it schedules, or the close that ends it. */
function firstDecision(url: string, reconnect: Parameters<typeof connectSocket>[1]['reconnect'] = {}) {
  const client = connectSocket(url, { WebSocket: Ws, reconnect: { base: 1, cap: 2, ...reconnect } });
  clients.push(client);
  const errors: ApiError[] = [];
  client.on('error', (error) => errors.push(error));
  const decision = new Promise<{ delay?: number; decision?: string; error?: ApiError }>((resolve) => {
    client.on('reconnect', (delay) => {
      client.close();
      resolve({ delay });
    });
    client.on('close', (error, decision) => {
      if (decision === 'never' || decision === 'stop') resolve({ decision, ...(error ? { error } : {}) });
    });
  });
  return { decision, errors };
}

const event = (code: string, wait: number) => ({
  type: 'error',
  error: { code, status: 429, retry_after: wait },
});

describe('connectSocket’s reconnect wait', () => {
  it('never applies an in-session error event’s retry_after to a later, unrelated close (1012)', async () => {
    const url = await closing([event('RATE_LIMITED', 30)], 1012);
    const { decision, errors } = firstDecision(url);
    const { delay } = await decision;
    expect(errors[0]?.retryAfter).toBe(30);
    // Backoff, whose cap is 2 ms here: the 30 s were advice about one message.
    expect(delay).toBeLessThanOrEqual(2);
  });

  it('waits the retry_after of the error event whose code the close’s reason names', async () => {
    const url = await closing([event('SLOW_DOWN', 3)], 4429, 'SLOW_DOWN');
    const { delay } = await firstDecision(url).decision;
    expect(delay).toBeGreaterThanOrEqual(3000);
  });

  it('stops, and reports, on a close announced with a retry_after past maxRetryAfter, never sleeping it', async () => {
    const url = await closing([event('SLOW_DOWN', 3600)], 4429, 'SLOW_DOWN');
    const { decision, error } = await firstDecision(url).decision;
    expect(decision).toBe('never');
    expect(error).toBeInstanceOf(ApiError);
  });

  it('takes a wait of an hour under a maxRetryAfter that allows it', async () => {
    const url = await closing([event('SLOW_DOWN', 3600)], 4429, 'SLOW_DOWN');
    const { delay } = await firstDecision(url, { maxRetryAfter: 2 * 3600_000 }).decision;
    expect(delay).toBeGreaterThanOrEqual(3600_000);
  });

  it('stops on a refused handshake with Retry-After: 1000000000 (past maxRetryAfter), never sleeping 24.8 days', async () => {
    const url = await serve((_wss, _req, socket) =>
      socket.end(
        'HTTP/1.1 503 Service Unavailable\r\nretry-after: 1000000000\r\ncontent-type: application/json\r\n' +
          'content-length: 2\r\n\r\n{}',
      ),
    );
    const { decision, error } = await firstDecision(url).decision;
    expect(decision).toBe('never');
    expect(error?.status).toBe(503);
    expect(error?.retryAfter).toBe(1_000_000_000);
  });

  it('waits out the 90 s a faultline connection limit asks for by default, under the default maxRetryAfter', async () => {
    const url = await serve((_wss, _req, socket) =>
      socket.end('HTTP/1.1 429 Too Many Requests\r\nretry-after: 90\r\ncontent-length: 0\r\n\r\n'),
    );
    const { decision, delay } = await firstDecision(url).decision;
    expect(decision).not.toBe('never');
    expect(delay).toBeGreaterThanOrEqual(90_000);
  });

  it('waits a refused handshake’s Retry-After within maxRetryAfter', async () => {
    const url = await serve((_wss, _req, socket) =>
      socket.end('HTTP/1.1 503 Service Unavailable\r\nretry-after: 2\r\ncontent-length: 0\r\n\r\n'),
    );
    const { delay } = await firstDecision(url).decision;
    expect(delay).toBeGreaterThanOrEqual(2000);
  });
});
