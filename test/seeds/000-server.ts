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
