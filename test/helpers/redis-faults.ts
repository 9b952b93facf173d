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
