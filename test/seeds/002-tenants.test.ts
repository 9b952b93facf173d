/**
 * Seed 002 against what the instance and one company hold without bound:
 * - a full instance of accounts (MAX_USERS; MAX_TENANTS is in 002-limits.test.ts) refuses a new one, by
 *   password or Google, with the page's 500 REGISTRATION_FAILED before anything is stored;
 * - a company holds at most MAX_API_KEYS SDK keys; revoked and expired ones do not count.
 * Each seed runs in this process on a clock of the test's (`002-harness.ts`).
 */
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { optionsFromEnv } from '../../examples/seeds/002/config.js';
import { day, password, type Seed, withSeed } from './002-harness.js';

describe('seed 002: a full instance of accounts', () => {
  const failed = { status: 500, code: 'REGISTRATION_FAILED', policies: undefined, retryAfter: null };

  it("answers registration past MAX_USERS with the page's 500 REGISTRATION_FAILED, and keeps no company of it", async () => {
    await withSeed({ maxUsers: 1 }, async ({ call, register, signUp, logged }) => {
      await signUp('a@example.com', 'A Co');
      expect(await register('b@example.com', 'B Co')).toEqual(failed);
      // Neither row of the refused registration was stored: its name is not taken (a taken one answers
      // 409 TENANT_EXISTS before any cap), and its account does not exist.
      expect(await register('c@example.com', 'B Co')).toEqual(failed);
      expect(
        await call('POST', '/api/auth/login', { body: { email: 'b@example.com', password } }),
      ).toMatchObject({ status: 401, code: 'AUTH_INVALID_CREDENTIALS' });
      // The operator learns why: the error is logged with its cause.
      expect(logged.filter((line) => line.code === 'REGISTRATION_FAILED').length).toBe(2);
    });
  });

  it('answers a first Google sign-in past MAX_USERS with REGISTRATION_FAILED; a known account signs in', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const clientId = 'tours-web.apps.example';
    const google = { clientId, publicKey: await exportSPKI(publicKey) };
    await withSeed({ maxUsers: 2, google }, async ({ call, signUp, now }) => {
      const idToken = (email: string) =>
        new SignJWT({ email, email_verified: true })
          .setProtectedHeader({ alg: 'RS256' })
          .setIssuer('https://accounts.google.com')
          .setAudience(clientId)
          .setSubject(`google-${email}`)
          .setIssuedAt(Math.floor(now() / 1000))
          .setExpirationTime(Math.floor(now() / 1000) + 3600)
          .sign(privateKey);
      const signIn = async (email: string) =>
        call('POST', '/api/auth/google', { body: { idToken: await idToken(email) } });
      await signUp('a@example.com', 'A Co');
      expect(await signIn('g1@example.com')).toMatchObject({ status: 200 });
      expect(await signIn('g2@example.com')).toEqual(failed);
      expect(await signIn('g1@example.com')).toMatchObject({ status: 200 });
    });
  });

  it('reads MAX_USERS and MAX_API_KEYS from the environment', () => {
    expect(optionsFromEnv({ MAX_USERS: '7', MAX_API_KEYS: '3' })).toMatchObject({
      maxUsers: 7,
      maxApiKeys: 3,
    });
    expect(() => optionsFromEnv({ MAX_API_KEYS: '0' })).toThrow(/MAX_API_KEYS/);
  });
});

describe('seed 002: a company holds a bounded number of SDK keys', () => {
  /** The ids the company's key list shows. */
  const listed = async ({ send }: Seed, token: string) =>
    ((await (await send('GET', '/api/api-keys', { token })).json()) as { keys: { id: string }[] }).keys.map(
      (k) => k.id,
    );
  const mint = async ({ send }: Seed, token: string, expiresInDays: number) => {
    const res = await send('POST', '/api/api-keys', { token, body: { expiresInDays } });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; key: string };
  };

  it('answers the key past MAX_API_KEYS with 429 naming max-api-keys and Retry-After to the soonest expiry, storing nothing', async () => {
    await withSeed({ maxApiKeys: 2 }, async (seed) => {
      const { token } = await seed.signUp('a@example.com', 'A Co');
      await mint(seed, token, 30);
      await mint(seed, token, 10);
      const before = await listed(seed, token);
      expect(await seed.call('POST', '/api/api-keys', { token, body: { expiresInDays: 90 } })).toEqual({
        status: 429,
        code: 'RATE_LIMITED',
        policies: ['max-api-keys'],
        retryAfter: String((10 * day) / 1000),
      });
      expect(await listed(seed, token)).toEqual(before);
      // Another company has its own room.
      const other = await seed.signUp('b@example.com', 'B Co');
      await mint(seed, other.token, 90);
    });
  });

  it('makes room for a key once one is revoked, and the revoked key stays refused', async () => {
    await withSeed({ maxApiKeys: 2 }, async (seed) => {
      const { token } = await seed.signUp('a@example.com', 'A Co');
      const first = await mint(seed, token, 90);
      await mint(seed, token, 90);
      expect(await seed.call('POST', '/api/api-keys', { token })).toMatchObject({ status: 429 });
      expect((await seed.send('DELETE', `/api/api-keys/${first.id}`, { token })).status).toBe(204);
      const third = await mint(seed, token, 90);
      const ids = await listed(seed, token);
      expect(ids).not.toContain(first.id);
      expect(ids).toContain(third.id);
      const events = { events: [{ type: 'page_view' }] };
      expect(
        await seed.call('POST', '/api/sdk/events', { headers: { 'x-api-key': first.key }, body: events }),
      ).toMatchObject({
        status: 401,
        code: 'AUTH_FAILED',
      });
      expect(
        (await seed.send('POST', '/api/sdk/events', { headers: { 'x-api-key': third.key }, body: events }))
          .status,
      ).toBe(202);
      expect(await seed.call('POST', '/api/api-keys', { token })).toMatchObject({ status: 429 });
    });
  });

  it('forgets expired keys: they count for nothing once their lifetime is over', async () => {
    await withSeed({ maxApiKeys: 2 }, async (seed) => {
      let { token } = await seed.signUp('a@example.com', 'A Co');
      const short = await mint(seed, token, 1);
      await mint(seed, token, 90);
      expect(await seed.call('POST', '/api/api-keys', { token })).toMatchObject({ status: 429 });
      seed.advance(day);
      ({ token } = await seed.signIn('a@example.com'));
      const fresh = await mint(seed, token, 90);
      const ids = await listed(seed, token);
      expect(ids).not.toContain(short.id);
      expect(ids).toContain(fresh.id);
      expect(ids).toHaveLength(2);
    });
  });
});
