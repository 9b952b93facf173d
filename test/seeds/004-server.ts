/**
 * Seed 004 as it ships: `examples/seeds/004/server.ts` in its own process (`node --import tsx`), configured
 * by environment only. Tests reach it over HTTP, read what it printed (its URL and credentials) and its
 * JSON log lines from stderr, and stop it by its pid.
 */
import { type SeedProcess, startSeed } from './harness.js';

export type { SeedProcess };

/**
 * Starts the shipped server with `env` (and nothing of this process's environment that configures seed
 * 004) on a free port; rejects if it does not print its URL within 30 s.
 */
export function startSeed004(env: Record<string, string>): Promise<SeedProcess> {
  return startSeed('004', env, {
    isolate:
      /^(OWNER_|ADMIN_|PROVIDER_|DRAFT_|MAIL_|RECORDINGS_|LICENSE_|IDLE_|WIDGET_|TRAINING_|CALL_|IP_RATE|GOOGLE_)/,
  });
}
