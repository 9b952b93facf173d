import { describe, expect, it } from 'vitest';
import { start } from '../../examples/seeds/004/app.js';
import { optionsFromEnv } from '../../examples/seeds/004/config.js';
import type { Mail } from '../../examples/seeds/004/mail.js';
import {
  freshAddress as fresh,
  invalidTokenAnswer as invalidToken,
  mailed,
  onClock as onClockOf,
  newPassword as password,
  seedClient,
  testHashCost,
  verificationToken as verifyToken,
} from './004-server.js';

const hour = 60 * 60_000;
const resetTtl = 30 * 60_000;

/** A seed on a clock the test moves, as this file's tests need it. */
const onClock = (options: { unverifiedMax?: number } = {}) =>
  onClockOf({ unverifiedTtlMs: hour, idleTimeoutMs: 10 * hour, resetTokenTtlMs: resetTtl, ...options });

describe('seed 004: an unverified registration past UNVERIFIED_TTL_MS', () => {
  const clock = onClock();
  const { request, answer, signUp, loginAs } = seedClient(() => clock.running.url);

  it('holds its address until the bound, then frees it: a sign-up replaces it, ends its sessions, and its link is refused', async () => {
    const email = fresh('lapsed');
    const squat = password();
    const madeAt = clock.now;
    expect((await signUp(email, squat)).status).toBe(202);
    const session = (await loginAs(email, squat)).body.token as string;
    const [stale] = await mailed(clock.mails, email, 'Verify');
    expect(stale!.text).toContain('lapses in 1 hour');
    // Just before the bound the address is still held: the owner who signs up is told, the session works.
    clock.now = madeAt + hour - 1;
    expect((await signUp(email, password())).status).toBe(202);
    await mailed(clock.mails, email, 'tried to sign up');
    expect((await answer(request('GET', '/me', { token: session }))).status).toBe(200);
    expect(clock.mails.filter((m) => m.to === email && m.subject.includes('Verify'))).toHaveLength(1);
    // At the bound it lapses.
    clock.now = madeAt + hour;
    const secret = password();
    expect((await signUp(email, secret)).status).toBe(202);
    const mails = await mailed(clock.mails, email, 'Verify', 2);
    expect(clock.mails.filter((m) => m.to === email && m.subject.includes('tried to sign up'))).toHaveLength(
      1,
    );
    expect((await answer(request('GET', '/me', { token: session }))).status).toBe(401);
    expect((await loginAs(email, squat)).body).toMatchObject({ code: 'AUTH_INVALID_CREDENTIALS' });
    const late = await answer(
      request('POST', '/auth/verify-email', { body: { token: verifyToken(stale!.text) } }),
    );
    expect(late.status).toBe(400);
    expect(late.body).toMatchObject(invalidToken);
    const own = await answer(
      request('POST', '/auth/verify-email', { body: { token: verifyToken(mails[1]!.text) } }),
    );
    expect(own.body).toMatchObject({ email, verified: true });
    expect((await loginAs(email, secret)).status).toBe(200);
  });

  it('never frees a verified address, however old: its holder is told instead', async () => {
    const { identity } = clock.running.seed;
    const secret = password();
    await identity.addUser('owner@example.com', secret);
    clock.now += 100 * hour;
    expect((await signUp('owner@example.com', password())).status).toBe(202);
    await mailed(clock.mails, 'owner@example.com', 'tried to sign up');
    expect((await loginAs('owner@example.com', secret)).status).toBe(200);
  });

  it('forgets lapsed registrations of distinct addresses: many sign-ups past the bound leave one held', async () => {
    const { identity } = clock.running.seed;
    clock.now += 2 * hour;
    const users = identity.users.size;
    const early = await signUp(fresh('many'), password());
    expect(early.status).toBe(202);
    for (let i = 0; i < 199; i++) expect((await signUp(fresh('many'), password())).status).toBe(202);
    expect(identity.users.size).toBe(users + 200);
    clock.now += hour;
    expect((await signUp(fresh('after'), password())).status).toBe(202);
    expect(identity.users.size).toBe(users + 1);
    expect(identity.unverifiedCount).toBe(1);
  });

  it('answers 202 with the same bytes for a known address and an unknown one even when the account’s mail fails: the lookup runs after the answer', async () => {
    const failing = await start(0, {
      log: () => {},
      passwordHashCost: testHashCost,
      mail: (mail) => {
        if (mail.subject.includes('Reset')) throw new Error('relay refused');
      },
    });
    try {
      const { identity } = failing.seed;
      const known = fresh('known');
      await identity.addUser(known, password());
      const client = seedClient(() => failing.url);
      const forgot = (email: string) =>
        client.answer(client.request('POST', '/auth/forgot-password', { body: { email } }));
      const a = await forgot(known);
      const b = await forgot(fresh('unknown'));
      expect([a.status, b.status]).toEqual([202, 202]);
      expect(a.text).toBe(b.text);
    } finally {
      await failing.close();
    }
  });
});

describe('seed 004: UNVERIFIED_MAX', () => {
  const clock = onClock({ unverifiedMax: 3 });
  const { signUp, answer, request, loginAs } = seedClient(() => clock.running.url);

  it('holds at most UNVERIFIED_MAX registrations: past it the one that waited longest gives way, no sign-up is refused', async () => {
    const first = fresh('held');
    const firstSecret = password();
    expect((await signUp(first, firstSecret)).status).toBe(202);
    const [firstLink] = clock.mails.filter((m) => m.to === first);
    clock.now += 10 * 60_000;
    const later = [fresh('held'), fresh('held')];
    for (const email of later) expect((await signUp(email, password())).status).toBe(202);
    expect(clock.running.seed.identity.unverifiedCount).toBe(3);
    // A fourth: answered as any sign-up, mailed its link, and the first registration is forgotten.
    const fourth = fresh('full');
    expect((await signUp(fourth, password())).status).toBe(202);
    expect(clock.mails.some((m) => m.to === fourth)).toBe(true);
    expect(clock.running.seed.identity.unverifiedCount).toBe(3);
    expect((await loginAs(first, firstSecret)).status).toBe(401);
    const stale = await answer(
      request('POST', '/auth/verify-email', { body: { token: verifyToken(firstLink!.text) } }),
    );
    expect(stale.status).toBe(400);
    // Its owner signs up again, and gets a link that works.
    expect((await signUp(first, firstSecret)).status).toBe(202);
    const relink = clock.mails.filter((m) => m.to === first).at(-1)!;
    const own = await answer(
      request('POST', '/auth/verify-email', { body: { token: verifyToken(relink.text) } }),
    );
    expect(own.status, own.text).toBe(200);
  });

  it('reads UNVERIFIED_MAX from the environment, and refuses a value that is not a positive integer', () => {
    expect(optionsFromEnv({ UNVERIFIED_MAX: '3' }).unverifiedMax).toBe(3);
    expect(optionsFromEnv({}).unverifiedMax).toBeUndefined();
    for (const bad of ['0', '-1', '1.5', 'many', '1e400'])
      expect(() => optionsFromEnv({ UNVERIFIED_MAX: bad }), bad).toThrow(/UNVERIFIED_MAX/);
  });
});

describe('seed 004: a reset token past RESET_TOKEN_TTL_MS', () => {
  const clock = onClock();
  const { request, answer, signUp, loginAs } = seedClient(() => clock.running.url);
  const forgot = (email: string) => answer(request('POST', '/auth/forgot-password', { body: { email } }));
  const reset = (mail: Mail, secret: string) =>
    answer(
      request('POST', '/auth/reset-password', {
        body: { token: /reset token: (\S+)/.exec(mail.text)?.[1], password: secret },
      }),
    );

  it('works until the bound, then is refused with the catalog validation error, and the password stays', async () => {
    const email = fresh('slow');
    const secret = password();
    await signUp(email, secret);
    expect((await forgot(email)).status).toBe(202);
    const [first] = await mailed(clock.mails, email, 'Reset your password');
    clock.now += resetTtl;
    const res = await reset(first!, password());
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject(invalidToken);
    expect((await loginAs(email, secret)).status).toBe(200);
    // A newer token, redeemed just before its bound, works.
    expect((await forgot(email)).status).toBe(202);
    const mails = await mailed(clock.mails, email, 'Reset your password', 2);
    clock.now += resetTtl - 1;
    const newer = password();
    expect((await reset(mails[1]!, newer)).status).toBe(204);
    expect((await loginAs(email, newer)).status).toBe(200);
  });
});
