/**
 * Seed 000 as it ships: `examples/seeds/000/server.ts` in its own process (`node --import tsx`), configured
 * by environment only. Tests reach it over HTTP and WebSocket, read its JSON log lines from stderr,
 * and stop it by its pid.
 */
import { type SeedProcess, startSeed } from './harness.js';

export type { SeedProcess };

/** Starts the shipped server with `env` on a free port; rejects if it does not listen within 30 s. */
export function startSeedProcess(env: Record<string, string>): Promise<SeedProcess> {
  return startSeed('000', env, { isolate: /^SEED_000_/ });
}

/** A request to the seed: its key or bearer token, a JSON body or raw bytes of a type (CSV, audio). */
export interface SeedRequest {
  key?: string;
  token?: string;
  body?: unknown;
  raw?: string | Buffer;
  /** The type of `raw`. @default 'text/plain' */
  type?: string;
  headers?: Record<string, string>;
}

/** Sends `init` to the seed at `base`, as its clients do. */
export function send000(
  base: string,
  method: string,
  path: string,
  init: SeedRequest = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.key) headers['x-api-key'] = init.key;
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let body: string | Blob | undefined;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] = 'application/json';
  } else if (init.raw !== undefined) {
    body = typeof init.raw === 'string' ? init.raw : new Blob([new Uint8Array(init.raw)]);
    headers['content-type'] = init.type ?? 'text/plain';
  }
  return fetch(`${base}${path}`, { method, headers, body });
}
