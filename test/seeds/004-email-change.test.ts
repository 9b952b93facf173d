/**
 * Seed 004's email change as it ships, in its own process: `PATCH /me/email` answers a taken address and
 * a free one alike, and the change takes effect only once the token mailed to the new address is
 * redeemed, so it is neither an address oracle nor a way to hold someone else's address. The mail relay
 * is a stand-in server of this file.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  freshAddress as fresh,
  mailsBefore,
  newPassword as password,
  seedClient,
  seedWithMail,
  verificationToken as tokenIn,
} from './004-server.js';

const setup = seedWithMail();
const { passwords } = setup;
const { request, answer, login } = seedClient(() => setup.seed.url);
/** A self-signed-up user, not verified: its address, password and session. */
async function signedUp(name: string) {
  const email = fresh(name);
  const secret = password();
  expect((await request('POST', '/auth/signup', { body: { email, password: secret } })).status).toBe(202);
  return { email, secret, token: await login(email, secret) };
}
const mailsTo = (to: string, subject: string, count = 1) => setup.relay.to(to, subject, count);
const changeEmail = (token: string, email: string) =>
  answer(request('PATCH', '/me/email', { token, body: { email } }));
const me = async (token: string) => (await answer(request('GET', '/me', { token }))).body;

describe('seed 004: PATCH /me/email', () => {
  it('answers a change to a taken address and to a free one alike: the change is no address oracle', async () => {
    const { token } = await signedUp('probe');
    const taken = await changeEmail(token, 'owner@example.com');
    const admin = await changeEmail(token, 'admin@example.com');
    const free = await changeEmail(token, fresh('nobody'));
    expect([taken.status, admin.status, free.status]).toEqual([202, 202, 202]);
    expect(taken.text).toBe(free.text);
    expect(admin.text).toBe(free.text);
    // The holder of a taken address is told, with nothing to redeem.
    const [notice] = await mailsTo('owner@example.com', 'change');
    expect(tokenIn(notice!.text)).toBeUndefined();
    expect((await me(await login('owner@example.com', passwords.owner))).email).toBe('owner@example.com');
  });

  it('changes the address only once the token mailed to the new address is redeemed', async () => {
    const { email, secret, token } = await signedUp('mover');
    const target = fresh('moved');
    expect((await changeEmail(token, target)).status).toBe(202);
    // Nothing changed yet: the old address signs in, the new one does not.
    expect(await me(token)).toMatchObject({ email, verified: false });
    const early = await answer(request('POST', '/auth/login', { body: { email: target, password: secret } }));
    expect(early.body).toMatchObject({ code: 'AUTH_INVALID_CREDENTIALS' });
    const [mail] = await mailsTo(target, 'Verify');
    const confirmed = await answer(
      request('POST', '/auth/verify-email', { body: { token: tokenIn(mail!.text) } }),
    );
    expect(confirmed.status, confirmed.text).toBe(200);
    expect(confirmed.body).toMatchObject({ email: target, verified: true });
    expect(await me(token)).toMatchObject({ email: target, verified: true });
    await login(target, secret);
    // The old address is told, and is free again.
    await mailsTo(email, 'changed');
    expect((await request('POST', '/auth/signup', { body: { email, password: password() } })).status).toBe(
      202,
    );
    await mailsTo(email, 'Verify', 2);
  });

  it('never reserves an address by an unconfirmed change: its owner still signs up and keeps it', async () => {
    const attacker = await signedUp('squatter');
    const victim = fresh('victim');
    expect((await changeEmail(attacker.token, victim)).status).toBe(202);
    const [squat] = await mailsTo(victim, 'Verify');
    const secret = password();
    expect(
      (await request('POST', '/auth/signup', { body: { email: victim, password: secret } })).status,
    ).toBe(202);
    // A new account's verification, not "someone tried to sign up with your address".
    const mailed = await mailsTo(victim, 'Verify', 2);
    expect(setup.relay.mails.some((m) => m.to === victim && m.subject.includes('tried to sign up'))).toBe(
      false,
    );
    const own = await answer(
      request('POST', '/auth/verify-email', { body: { token: tokenIn(mailed[1]!.text) } }),
    );
    expect(own.body).toMatchObject({ email: victim, verified: true });
    // The change token, redeemed late, does not take the address from its owner.
    const late = await answer(
      request('POST', '/auth/verify-email', { body: { token: tokenIn(squat!.text) } }),
    );
    expect(late.status).toBe(400);
    expect(late.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await me(attacker.token)).toMatchObject({ email: attacker.email });
    expect(await me(await login(victim, secret))).toMatchObject({ email: victim, verified: true });
  });

  it('keeps one pending change per user: a newer request voids the token of the one before', async () => {
    const { token } = await signedUp('fickle');
    const first = fresh('first');
    const second = fresh('second');
    expect((await changeEmail(token, first)).status).toBe(202);
    expect((await changeEmail(token, second)).status).toBe(202);
    const [a] = await mailsTo(first, 'Verify');
    const [b] = await mailsTo(second, 'Verify');
    const stale = await answer(request('POST', '/auth/verify-email', { body: { token: tokenIn(a!.text) } }));
    expect(stale.body).toMatchObject({ details: { fieldErrors: { token: 'Invalid or expired' } } });
    const ok = await answer(request('POST', '/auth/verify-email', { body: { token: tokenIn(b!.text) } }));
    expect(ok.body).toMatchObject({ email: second, verified: true });
  });

  it('refuses a malformed or oversized address 400 without a change or a mail', async () => {
    const { token, email } = await signedUp('sloppy');
    await mailsTo(email, 'Verify');
    const before = setup.relay.mails.length;
    for (const bad of ['not-an-address', `${'x'.repeat(300)}@example.net`, 42, null]) {
      const res = await answer(request('PATCH', '/me/email', { token, body: { email: bad } }));
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    expect(await me(token)).toMatchObject({ email });
    // A good change after them: its verification mail, to the new address, is the control.
    const control = fresh('control');
    expect((await changeEmail(token, control)).status).toBe(202);
    expect((await mailsBefore(setup.relay, control, 'Verify')).slice(before)).toEqual([]);
  });
  it('voids a pending link when a newer request names a taken address: the link tells nothing', async () => {
    const { token } = await signedUp('prober');
    const mine = fresh('mine');
    expect((await changeEmail(token, mine)).status).toBe(202);
    const [link] = await mailsTo(mine, 'Verify');
    expect((await changeEmail(token, 'admin@example.com')).status).toBe(202);
    const stale = await answer(
      request('POST', '/auth/verify-email', { body: { token: tokenIn(link!.text) } }),
    );
    expect(stale.status).toBe(400);
    expect(stale.body).toMatchObject({ details: { fieldErrors: { token: 'Invalid or expired' } } });
  });

  it('caps changes per user per hour, free and taken addresses alike, and the notices a holder gets', async () => {
    const holder = await signedUp('holder');
    const caller = await signedUp('mailer');
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await changeEmail(caller.token, holder.email)).status);
    expect(statuses).toEqual([202, 202, 202, 202, 202]);
    const denied = await request('PATCH', '/me/email', {
      token: caller.token,
      body: { email: holder.email },
    });
    expect(denied.status).toBe(429);
    expect(Number(denied.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await denied.json()).toMatchObject({ code: 'RATE_LIMITED' });
    // A free address is counted on the same budget: the answer does not say which kind was asked.
    expect((await changeEmail(caller.token, fresh('free'))).status).toBe(429);
    // Another user's budget is its own; its mail is the control that the capped notices came before.
    const control = await signedUp('control');
    const ctl = fresh('ctl');
    expect((await changeEmail(control.token, ctl)).status).toBe(202);
    const before = await mailsBefore(setup.relay, ctl, 'Verify');
    const notices = before.filter((m) => m.to === holder.email && m.subject.includes('change'));
    expect(notices).toHaveLength(3);
  });
  it('mails one free address at most 3 change links an hour, whoever asks, and answers alike past it', async () => {
    const target = fresh('flooded');
    for (let i = 0; i < 4; i++) {
      const { token } = await signedUp(`flooder${i}`);
      expect((await changeEmail(token, target)).status).toBe(202);
    }
    const ctl = fresh('ctl-links');
    const { token } = await signedUp('ctl-links-user');
    expect((await changeEmail(token, ctl)).status).toBe(202);
    const before = await mailsBefore(setup.relay, ctl, 'Verify');
    expect(before.filter((m) => m.to === target)).toHaveLength(3);
  });

  it("spends the hour's budget only on requests that may mail: a refused body spends none", async () => {
    const { token } = await signedUp('careless');
    for (let i = 0; i < 6; i++) {
      const bad = await answer(request('PATCH', '/me/email', { token, body: { email: 'not-an-address' } }));
      expect(bad.status).toBe(400);
    }
    expect((await changeEmail(token, fresh('careful'))).status).toBe(202);
  });

  it('voids a pending link when the user asks for its own address back', async () => {
    const { email, token } = await signedUp('undecided');
    const elsewhere = fresh('elsewhere');
    expect((await changeEmail(token, elsewhere)).status).toBe(202);
    const [link] = await mailsTo(elsewhere, 'Verify');
    expect((await changeEmail(token, email)).status).toBe(202);
    const stale = await answer(
      request('POST', '/auth/verify-email', { body: { token: tokenIn(link!.text) } }),
    );
    expect(stale.status).toBe(400);
    expect(await me(token)).toMatchObject({ email });
  });
  it('refuses a change whose session ended while its body was read in: it acts for no one', async () => {
    const { token } = await signedUp('trickle');
    const target = fresh('trickled');
    const body = JSON.stringify({ email: target });
    const socket = connect(Number(new URL(setup.seed.url).port), '127.0.0.1');
    const answer = new Promise<string>((resolve, reject) => {
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk;
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    await once(socket, 'connect');
    socket.write(
      `PATCH /me/email HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body.slice(0, 5)}`,
    );
    // The head is read and the session checked; a refresh now ends that session before the body is whole.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const refreshed = await request('POST', '/auth/refresh', { token });
    expect(refreshed.status).toBe(200);
    socket.end(body.slice(5));
    expect(await answer).toMatch(/^HTTP\/1\.1 401 /);
    const ctl = fresh('ctl-trickle');
    const { token: other } = await signedUp('ctl-trickle-user');
    expect((await changeEmail(other, ctl)).status).toBe(202);
    expect((await mailsBefore(setup.relay, ctl, 'Verify')).some((m) => m.to === target)).toBe(false);
  });
});
