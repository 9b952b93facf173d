import type { RedisServer } from './redis.js';

// Faults a live redis-server by its pid. A frozen server (SIGSTOP) keeps its sockets open: clients
// queue their commands, which run in order once it resumes (SIGCONT), as after a long GC pause, a
// swapped-out host or a stalled VM.

/** Freezes the server: it accepts nothing and answers nothing until `thaw`. */
export function freeze(server: RedisServer): void {
  process.kill(server.pid, 'SIGSTOP');
}

/** Resumes a frozen server; the commands queued meanwhile then run in the order they were sent. */
export function thaw(server: RedisServer): void {
  process.kill(server.pid, 'SIGCONT');
}

/**
 * Freezes the server for the time `during` takes, and always thaws it, even when `during` throws: a test
 * that fails must not leave a stopped server behind for the next one.
 */
export async function whileFrozen<T>(server: RedisServer, during: () => Promise<T>): Promise<T> {
  freeze(server);
  try {
    return await during();
  } finally {
    thaw(server);
  }
}

/** A TCP proxy to a redis-server that can hold replies back and drop every connection. */
export interface ReplyProxy {
  readonly port: number;
  /** Replies are held this long (ms) before they go on; commands pass at once. */
  holdReplies: number;
  /** Drops every connection: the replies held are lost, as in a network blip or a proxy's reset. */
  drop(): void;
  close(): Promise<void>;
}

/** Starts a proxy to `server` on a free port of 127.0.0.1. */
export async function replyProxy(server: RedisServer): Promise<ReplyProxy> {
  const { createServer, connect } = await import('node:net');
  const sockets = new Set<import('node:net').Socket>();
  const proxy = createServer((client) => {
    const upstream = connect(server.port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      const wait = state.holdReplies;
      if (wait <= 0) client.write(chunk);
      else setTimeout(() => client.destroyed || client.write(chunk), wait);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const state: ReplyProxy = {
    port: (proxy.address() as import('node:net').AddressInfo).port,
    holdReplies: 0,
    drop() {
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        state.drop();
        proxy.close(() => resolve());
      }),
  };
  return state;
}
