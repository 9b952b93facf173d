/**
 * Seed 004's bounds on unconfirmed things, as it ships with them shortened: a registration left unverified
 * past `UNVERIFIED_TTL_MS` no longer holds its address (a sign-up replaces it and ends its sessions), and a
 * reset token past `RESET_TOKEN_TTL_MS` is refused.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MailRelay, type SeedProcess, startMailRelay, startSeed004 } from './004-server.js';

const password = () => randomBytes(12).toString('base64url');
const passwords = { owner: password(), admin: password() };
/** Both bounds, shortened so that a test outlives them by waiting `past`. */
const bound = 400;
const past = () => sleep(bound * 2);
let seed: SeedProcess;
let relay: MailRelay;
let n = 0;
const fresh = (name: string) => `${name}-${n++}-${randomBytes(3).toString('hex')}@example.net`;

function request(method: string, path: string, init: { token?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${seed.url}${path}`, {
    method,
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
}
async function answer(res: Promise<Response>) {
  const r = await res;
  const text = await r.text();
  return { status: r.status, text, body: JSON.parse(text || 'null') as Record<string, any> };
}
const signUp = (email: string, secret: string) =>
  answer(request('POST', '/auth/signup', { body: { email, password: secret } }));
const loginAs = (email: string, secret: string) =>
  answer(request('POST', '/auth/login', { body: { email, password: secret } }));
const verifyToken = (text: string) => /verification token: (\S+)/.exec(text)?.[1];
const invalidToken = {
  code: 'VALIDATION_FAILED',
  details: { fieldErrors: { token: 'Invalid or expired' } },
};

beforeAll(async () => {
  relay = await startMailRelay();
  seed = await startSeed004({
    OWNER_PASSWORD: passwords.owner,
    ADMIN_PASSWORD: passwords.admin,
    MAIL_URL: relay.url,
    IP_RATE: '100000',
    UNVERIFIED_TTL_MS: String(bound),
    RESET_TOKEN_TTL_MS: String(bound),
  });
}, 60_000);

afterAll(async () => {
  await seed?.stop();
  await relay?.close();
});

describe('seed 004: an unverified registration past UNVERIFIED_TTL_MS', () => {
  it('frees its address: a sign-up replaces it, ends its sessions, and its verification link is refused', async () => {
    const email = fresh('lapsed');
    const squat = password();
    expect((await signUp(email, squat)).status).toBe(202);
    const session = (await loginAs(email, squat)).body.token as string;
    const [stale] = await relay.to(email, 'Verify');
    await past();
    const secret = password();
    expect((await signUp(email, secret)).status).toBe(202);
    // A new registration's verification, not "someone tried to sign up with your address".
    const mailed = await relay.to(email, 'Verify', 2);
    expect(relay.mails.some((m) => m.to === email && m.subject.includes('tried to sign up'))).toBe(false);
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
    await relay.to('owner@example.com', 'tried to sign up');
    expect((await loginAs('owner@example.com', passwords.owner)).status).toBe(200);
  });
});

describe('seed 004: a reset token past RESET_TOKEN_TTL_MS', () => {
  it('is refused with the catalog validation error, and the password stays', async () => {
    const email = fresh('slow');
    const secret = password();
    await signUp(email, secret);
    expect((await answer(request('POST', '/auth/forgot-password', { body: { email } }))).status).toBe(202);
    const [mail] = await relay.to(email, 'Reset your password');
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
