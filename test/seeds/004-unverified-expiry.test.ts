/**
 * Seed 004's bounds on unconfirmed things, as it ships with them shortened: a registration left unverified
 * past `UNVERIFIED_TTL_MS` no longer holds its address (a sign-up replaces it and ends its sessions), and a
 * reset token past `RESET_TOKEN_TTL_MS` is refused.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  freshAddress as fresh,
  invalidTokenAnswer as invalidToken,
  newPassword as password,
  seedClient,
  seedWithMail,
  verificationToken as verifyToken,
} from './004-server.js';

/** Both bounds, shortened so that a test outlives them by waiting `past`. */
const bound = 400;
const past = () => sleep(bound * 2);
const setup = seedWithMail({ UNVERIFIED_TTL_MS: String(bound), RESET_TOKEN_TTL_MS: String(bound) });
const { passwords } = setup;
const { request, answer, signUp, loginAs } = seedClient(() => setup.seed.url);

describe('seed 004: an unverified registration past UNVERIFIED_TTL_MS', () => {
  it('frees its address: a sign-up replaces it, ends its sessions, and its verification link is refused', async () => {
    const email = fresh('lapsed');
    const squat = password();
    expect((await signUp(email, squat)).status).toBe(202);
    const session = (await loginAs(email, squat)).body.token as string;
    const [stale] = await setup.relay.to(email, 'Verify');
    await past();
    const secret = password();
    expect((await signUp(email, secret)).status).toBe(202);
    // A new registration's verification, not "someone tried to sign up with your address".
    const mailed = await setup.relay.to(email, 'Verify', 2);
    expect(setup.relay.mails.some((m) => m.to === email && m.subject.includes('tried to sign up'))).toBe(
      false,
    );
    expect((await answer(request('GET', '/me', { token: session }))).status).toBe(401);
    expect((await loginAs(email, squat)).body).toMatchObject({ code: 'AUTH_INVALID_CREDENTIALS' });
    const late = await answer(
      request('POST', '/auth/verify-email', { body: { token: verifyToken(stale!.text) } }),
    );
    expect(late.status).toBe(400);
    expect(late.body).toMatchObject(invalidToken);
    const own = await answer(
      request('POST', '/auth/verify-email', { body: { token: verifyToken(mailed[1]!.text) } }),
    );
    expect(own.body).toMatchObject({ email, verified: true });
    expect((await loginAs(email, secret)).status).toBe(200);
  });

  it('never frees a verified address, however old: its holder is told instead', async () => {
    await past();
    expect((await signUp('owner@example.com', password())).status).toBe(202);
    await setup.relay.to('owner@example.com', 'tried to sign up');
    expect((await loginAs('owner@example.com', passwords.owner)).status).toBe(200);
  });
});

describe('seed 004: a reset token past RESET_TOKEN_TTL_MS', () => {
  it('is refused with the catalog validation error, and the password stays', async () => {
    const email = fresh('slow');
    const secret = password();
    await signUp(email, secret);
    expect((await answer(request('POST', '/auth/forgot-password', { body: { email } }))).status).toBe(202);
    const [mail] = await setup.relay.to(email, 'Reset your password');
    await past();
    const res = await answer(
      request('POST', '/auth/reset-password', {
        body: { token: /reset token: (\S+)/.exec(mail!.text)?.[1], password: password() },
      }),
    );
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject(invalidToken);
    expect((await loginAs(email, secret)).status).toBe(200);
  });
});
