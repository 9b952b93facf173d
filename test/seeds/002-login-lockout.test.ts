/**
 * Seed 002: the budget of failed password logins is an account's from one client address, so wrong
 * passwords sent from elsewhere cannot lock the owner out of password sign-in, while guesses from one
 * address still end in the page's 429. The seed runs in this process; its clients are two loopback addresses.
 */
import { describe, expect, it } from 'vitest';
import { password, withSeed } from './002-harness.js';

const attacker = '127.0.0.2';

describe('seed 002: failed password logins', () => {
  it('locks the guessing address out of an account, never its owner signing in from another address', async () => {
    await withSeed({ loginFailures: { limit: 3 } }, async ({ call, register }) => {
      expect((await register('owner@example.com', 'Owner Co')).status).toBe(201);
      const login = (email: string, secret: string, from?: string) =>
        call('POST', '/api/auth/login', { body: { email, password: secret }, from });
      const guesses = [];
      for (let i = 0; i < 5; i++)
        guesses.push((await login('owner@example.com', `guess ${i}`, attacker)).code);
      expect(guesses).toEqual([
        'AUTH_INVALID_CREDENTIALS',
        'AUTH_INVALID_CREDENTIALS',
        'AUTH_INVALID_CREDENTIALS',
        'RATE_LIMITED',
        'RATE_LIMITED',
      ]);
      // The guessing address is held off even with the right password, under any spelling of the account.
      const held = await login('OWNER@example.com', password, attacker);
      expect(held).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
      expect(Number(held.retryAfter)).toBeGreaterThan(0);
      expect((await login('owner@example.com', password)).status).toBe(200);
    });
  });
});
