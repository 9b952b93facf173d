/**
 * Seed 002: an access token is exactly `payload.signature`. One with anything after its signature is the
 * page's malformed token, 401 AUTH_INVALID_TOKEN, on the bearer header and the cookie alike. The seed runs
 * in this process.
 */
import { describe, expect, it } from 'vitest';
import { withSeed } from './002-harness.js';

describe('seed 002: access token shape', () => {
  it('answers a token with parts after its signature 401 AUTH_INVALID_TOKEN, as the page does a malformed one', async () => {
    await withSeed({}, async ({ call, signUp }) => {
      const { token } = await signUp('shape@example.com', 'Shape Co');
      expect((await call('GET', '/api/me', { token })).status).toBe(200);
      for (const extra of ['.garbage', '.', '.x.y'])
        for (const init of [{ token: `${token}${extra}` }, { cookie: `token=${token}${extra}` }])
          expect(await call('GET', '/api/me', init), `${extra} ${Object.keys(init)}`).toMatchObject({
            status: 401,
            code: 'AUTH_INVALID_TOKEN',
          });
    });
  });
});
