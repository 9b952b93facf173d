/**
 * Seed 004's password reset as it ships, in its own process: `POST /auth/forgot-password` answers every
 * address alike and mails a single-use token to a known one; `POST /auth/reset-password` redeems it, sets
 * the password, verifies the address and ends every session of the account. With it, the owner of an
 * address someone else signed up with (account pre-hijacking) takes the address back.
 */
import { describe, expect, it } from 'vitest';
import {
  freshAddress as fresh,
  invalidTokenAnswer as invalidToken,
  mailsBefore,
  newPassword as password,
  seedClient,
  seedWithMail,
  verificationToken as verifyToken,
} from './004-server.js';

const setup = seedWithMail();
const { request, answer, signUp, loginAs, login } = seedClient(() => setup.seed.url);
const forgot = (email: unknown) => answer(request('POST', '/auth/forgot-password', { body: { email } }));
const reset = (token: unknown, secret: unknown) =>
  answer(request('POST', '/auth/reset-password', { body: { token, password: secret } }));
const resetToken = (text: string) => /reset token: (\S+)/.exec(text)?.[1];
/** The reset token of the `count`th reset mail to `email`. */
async function resetMail(email: string, count = 1) {
  const found = await setup.relay.to(email, 'Reset your password', count);
  return resetToken(found[count - 1]!.text)!;
}
/**
 * The mails (but the control's own) sent before a reset token to a new account, asked for now: the mails
 * of every earlier `POST /auth/forgot-password` went out before it.
 */
async function mailsBeforeAReset() {
  const control = fresh('control');
  expect((await signUp(control, password())).status).toBe(202);
  expect((await forgot(control)).status).toBe(202);
  return (await mailsBefore(setup.relay, control, 'Reset your password')).filter((m) => m.to !== control);
}

describe('seed 004: POST /auth/forgot-password', () => {
  it('answers 202 with the same bytes for a known address and an unknown one, and mails only the known one', async () => {
    const email = fresh('known');
    expect((await signUp(email, password())).status).toBe(202);
    const unknown = fresh('unknown');
    const known = await forgot(email);
    const other = await forgot(unknown);
    const owner = await forgot('OWNER@example.com');
    expect([known.status, other.status, owner.status]).toEqual([202, 202, 202]);
    expect(known.text).toBe(other.text);
    expect(owner.text).toBe(other.text);
    expect(resetToken((await setup.relay.to(email, 'Reset your password'))[0]!.text)).toBeTruthy();
    await setup.relay.to('owner@example.com', 'Reset your password');
    expect((await mailsBeforeAReset()).some((m) => m.to === unknown)).toBe(false);
  });

  it('refuses a malformed body 400 in the catalog envelope, without a mail', async () => {
    const before = setup.relay.mails.length;
    for (const email of ['not-an-address', `${'x'.repeat(300)}@example.net`, 42, null, ['a@example.net']]) {
      const res = await forgot(email);
      expect(res.status, JSON.stringify(email)).toBe(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    const broken = await answer(request('POST', '/auth/forgot-password', { raw: '{"email":' }));
    expect(broken.status).toBe(400);
    expect(broken.text).not.toMatch(/at .*\.ts/);
    expect((await mailsBeforeAReset()).slice(before)).toEqual([]);
  });

  it('mails an address at most 3 reset tokens an hour, however often it is asked, and answers alike', async () => {
    const email = fresh('flooded');
    await signUp(email, password());
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push(await forgot(email));
    expect(new Set(answers.map((a) => `${a.status} ${a.text}`)).size).toBe(1);
    await setup.relay.to(email, 'Reset your password', 3);
    const before = await mailsBeforeAReset();
    expect(before.filter((m) => m.to === email && m.subject.includes('Reset')).length).toBe(3);
  });
});

describe('seed 004: what a caller can make the server mail', () => {
  it('sends the holder of a taken address at most 3 sign-up notices an hour, and answers every sign-up alike', async () => {
    const email = fresh('noticed');
    await signUp(email, password());
    await setup.relay.to(email, 'Verify');
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await signUp(email, password()));
    expect(new Set(answers.map((a) => `${a.status} ${a.text}`)).size).toBe(1);
    await setup.relay.to(email, 'tried to sign up', 3);
    // A sign-up with a new address, after them: its verification mail is the control.
    const control = fresh('control');
    expect((await signUp(control, password())).status).toBe(202);
    const before = await mailsBefore(setup.relay, control, 'Verify');
    expect(before.filter((m) => m.to === email && m.subject.includes('tried to sign up')).length).toBe(3);
  });
});

describe('seed 004: POST /auth/reset-password', () => {
  it('sets the password, verifies the address and ends every session and refresh of the account', async () => {
    const email = fresh('forgetful');
    const old = password();
    await signUp(email, old);
    const first = await login(email, old);
    const second = await login(email, old);
    await forgot(email);
    const secret = password();
    const done = await reset(await resetMail(email), secret);
    expect(done.status, done.text).toBe(204);
    for (const token of [first, second]) {
      expect((await answer(request('GET', '/me', { token }))).status).toBe(401);
      expect((await answer(request('POST', '/auth/refresh', { token }))).status).toBe(401);
    }
    expect((await loginAs(email, old)).body).toMatchObject({ code: 'AUTH_INVALID_CREDENTIALS' });
    const session = await login(email, secret);
    expect((await answer(request('GET', '/me', { token: session }))).body).toMatchObject({
      email,
      verified: true,
    });
    // The account's holder is told.
    await setup.relay.to(email, 'password was changed');
  });

  it('refuses a token that is unknown, used, or voided by a newer request, with the catalog validation error', async () => {
    const email = fresh('twice');
    await signUp(email, password());
    await forgot(email);
    const older = await resetMail(email, 1);
    await forgot(email);
    const newer = await resetMail(email, 2);
    expect((await reset(older, password())).body).toMatchObject(invalidToken);
    expect((await reset(newer, password())).status).toBe(204);
    const again = await reset(newer, password());
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject(invalidToken);
    expect((await reset('no-such-token', password())).body).toMatchObject(invalidToken);
  });

  it('refuses a malformed body or a weak password 400 without using the token', async () => {
    const email = fresh('careful');
    await signUp(email, password());
    await forgot(email);
    const token = await resetMail(email);
    for (const [t, p] of [
      [token, 'short'],
      [token, 'x'.repeat(201)],
      [token, 42],
      ['x'.repeat(101), password()],
      ['', password()],
      [null, password()],
    ] as const) {
      const res = await reset(t, p);
      expect(res.status, JSON.stringify([t, p])).toBe(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    expect((await reset(token, password())).status).toBe(204);
  });
});

describe('seed 004: an address someone else signed up with (account pre-hijacking)', () => {
  it('tells the owner who signs up how to take it back, and the reset does: the squatter is out', async () => {
    const victim = fresh('victim');
    const squat = password();
    expect((await signUp(victim, squat)).status).toBe(202);
    const squatter = await login(victim, squat);
    // The squatter asks to move the account to an address of theirs, to redeem once the owner verifies.
    const theirs = fresh('squatter');
    expect(
      (await answer(request('PATCH', '/me/email', { token: squatter, body: { email: theirs } }))).status,
    ).toBe(202);
    const [change] = await setup.relay.to(theirs, 'Verify');
    // The verification mail of the squatter's sign-up says what to do if it was not you.
    const [verification] = await setup.relay.to(victim, 'Verify');
    expect(verification!.text).toMatch(/not you/i);
    expect(verification!.text).toContain('/auth/forgot-password');
    // The owner signs up: answered as any sign-up, and mailed how to take the address back.
    expect((await signUp(victim, password())).status).toBe(202);
    const [notice] = await setup.relay.to(victim, 'tried to sign up');
    expect(notice!.text).toMatch(/not you/i);
    expect(notice!.text).toContain('/auth/forgot-password');
    await forgot(victim);
    const secret = password();
    expect((await reset(await resetMail(victim), secret)).status).toBe(204);
    // The squatter's session, password, sign-up link and pending change are all dead.
    expect((await answer(request('GET', '/me', { token: squatter }))).status).toBe(401);
    expect((await loginAs(victim, squat)).body).toMatchObject({ code: 'AUTH_INVALID_CREDENTIALS' });
    const late = await answer(
      request('POST', '/auth/verify-email', { body: { token: verifyToken(change!.text) } }),
    );
    expect(late.body).toMatchObject(invalidToken);
    const owner = await login(victim, secret);
    expect((await answer(request('GET', '/me', { token: owner }))).body).toMatchObject({
      email: victim,
      verified: true,
    });
  });
});
