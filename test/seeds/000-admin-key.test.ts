/**
 * Seed 000 takes its admin's API key from `SEED_000_ADMIN_KEY`, as seeds 001 and 002 take theirs: at least
 * 16 characters, or the server does not start. Any length was taken, `a` included, for the key of the admin
 * who creates accounts.
 */
import { describe, expect, it } from 'vitest';
import { startSeedProcess } from './000-server.js';

describe('seed 000 admin key', () => {
  it('refuses to start on a key shorter than 16 characters, naming the variable and not the key', async () => {
    const key = 'short-key-15chr';
    const started = startSeedProcess({ SEED_000_ADMIN_KEY: key });
    // Should it start after all, it is stopped below rather than left running.
    const outcome = await started.then(
      async (server) => {
        await server.stop();
        return 'listened';
      },
      (error: Error) => error.message,
    );
    expect(outcome).toMatch(/exited with 1 before listening/);
    expect(outcome).toContain('SEED_000_ADMIN_KEY must be at least 16 characters long');
    expect(outcome).not.toContain(key);
  });

  it('starts on a key of 16 characters and answers it over HTTP', async () => {
    const key = 'key-of-16-chars!';
    const server = await startSeedProcess({ SEED_000_ADMIN_KEY: key });
    try {
      const res = await fetch(`${server.url}/v1/projects/support-bot`, { headers: { 'x-api-key': key } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ id: 'support-bot', account: 'demo' });
    } finally {
      await server.stop();
    }
  });
});
