/**
 * Seed 000 as it ships: `examples/seeds/000/server.ts` in its own process (`node --import tsx`), configured
 * by environment only. Tests reach it over HTTP and WebSocket, read its JSON log lines from stderr,
 * and stop it by its pid.
 */
import { rmSync } from 'node:fs';
import { type Seed, type SeedOptions, start } from '../../examples/seeds/000/app.js';
import { type SeedProcess, startSeed } from './harness.js';

export type { SeedProcess };

/** Seed 000 in this process: reached over HTTP like the shipped one, with its domain in reach of the test. */
export interface LocalSeed {
  readonly url: string;
  /** The key of the demo account's admin. */
  readonly key: string;
  readonly seed: Seed;
  /** Closes the server and removes its recordings folder. */
  close(): Promise<void>;
}

/**
 * Starts seed 000 in this process on a free port with the data `server.ts` makes at start (account `demo`,
 * project `support-bot`, its admin), no log and no rate limit unless `options` set them.
 */
export async function startSeedInProcess(options: SeedOptions = {}): Promise<LocalSeed> {
  const running = await start(0, { log: () => {}, rate: 1_000_000, ipRate: 1_000_000, ...options });
  const { seed } = running;
  seed.platform.createAccount('demo');
  seed.platform.createProject('demo', 'support-bot');
  const { key } = seed.auth.addUser({ account: 'demo', role: 'admin', realtime: true });
  return {
    url: running.url,
    key,
    seed,
    close: async () => {
      await running.close();
      rmSync(seed.recordings, { recursive: true, force: true });
    },
  };
}

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
