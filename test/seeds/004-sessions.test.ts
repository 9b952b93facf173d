import { describe, expect, it } from 'vitest';
import type { SeedOptions } from '../../examples/seeds/004/app.js';
import { optionsFromEnv } from '../../examples/seeds/004/config.js';
import {
  freshAddress as fresh,
  mailed,
  onClock as onClockOf,
  newPassword as password,
  seedClient,
} from './004-server.js';

const idle = 30 * 60_000;

/** A seed on a clock the test moves, as this file's tests need it. */
const onClock = (options: SeedOptions = {}) =>
  onClockOf({ idleTimeoutMs: idle, ipRate: 100_000, ...options });

/** A client of the seed of `clock`, with `GET /me` and `POST /auth/refresh` of a token. */
function client(clock: ReturnType<typeof onClock>) {
  const seed = seedClient(() => clock.running.url);
  return {
    ...seed,
    me: (token: string) => seed.answer(seed.request('GET', '/me', { token })),
    refresh: (token: string) => seed.answer(seed.request('POST', '/auth/refresh', { token })),
    /** An unverified sign-up, as anyone can make without a mailbox, and its password. */
    async account(name: string) {
      const email = fresh(name);
      const secret = password();
      expect((await seed.signUp(email, secret)).status).toBe(202);
      return { email, secret };
    },
  };
}

/** The answer to a token whose session has ended: the one to a token never issued. */
const ended = { status: 401, body: expect.objectContaining({ code: 'UNAUTHORIZED' }) };

describe('seed 004: SESSIONS_MAX', () => {
  const clock = onClock();
  const { login, me, account } = client(clock);

  it('holds at most 20 sessions per account by default: the 21st sign-in ends the oldest, the newest 20 work', async () => {
    const { email, secret } = await account('many');
    const tokens: string[] = [];
    for (let i = 0; i < 21; i++) tokens.push(await login(email, secret));
    expect(await me(tokens[0]!)).toMatchObject(ended);
    for (const token of tokens.slice(1)) expect((await me(token)).status).toBe(200);
  });

  it('leaves every other account’s sessions alone when one account passes the bound', async () => {
    const other = await account('other');
    const kept = await login(other.email, other.secret);
    const { email, secret } = await account('flood');
    for (let i = 0; i < 25; i++) await login(email, secret);
    expect((await me(kept)).status).toBe(200);
  });
});

describe('seed 004: SESSIONS_MAX from the environment', () => {
  const clock = onClock(optionsFromEnv({ SESSIONS_MAX: '3' }));
  const { login, me, account } = client(clock);

  it('ends the session used least recently, not one in use', async () => {
    const { email, secret } = await account('three');
    const [first, second, third] = [
      await login(email, secret),
      await login(email, secret),
      await login(email, secret),
    ];
    clock.now += 1000;
    expect((await me(first!)).status).toBe(200);
    clock.now += 1000;
    const fourth = await login(email, secret);
    expect(await me(second!)).toMatchObject(ended);
    for (const token of [first!, third!, fourth]) expect((await me(token)).status).toBe(200);
  });

  it('refuses a value that is not a positive integer, naming the variable', () => {
    expect(optionsFromEnv({}).sessionsMax).toBeUndefined();
    for (const bad of ['0', '-1', '1.5', 'many', '1e400'])
      expect(() => optionsFromEnv({ SESSIONS_MAX: bad }), bad).toThrow(/SESSIONS_MAX/);
  });
});

describe('seed 004: idle sessions', () => {
  const clock = onClock();
  const { login, me, refresh, account } = client(clock);

  it('answers AUTH_SESSION_IDLE_EXPIRED for a session idle past the window; the account’s next sign-in ends it', async () => {
    const a = await account('idle-a');
    const b = await account('idle-b');
    const stale = await login(a.email, a.secret);
    const untouched = await login(b.email, b.secret);
    clock.now += idle + 1;
    const renewed = await login(a.email, a.secret);
    expect(await me(stale)).toMatchObject(ended);
    expect((await me(renewed)).status).toBe(200);
    // Another account's idle session is not its to end: it answers the page's code, at the refresh endpoint.
    expect(await refresh(untouched)).toMatchObject({
      status: 401,
      body: expect.objectContaining({ code: 'AUTH_SESSION_IDLE_EXPIRED' }),
    });
  });
});

describe('seed 004: ending one account’s sessions', () => {
  const clock = onClock();
  const { request, answer, login, me, account } = client(clock);

  it('a password reset ends the account’s sessions and the impersonations of it, and no other account’s', async () => {
    const adminSecret = password();
    const admin = await clock.running.seed.identity.addUser(fresh('admin'), adminSecret, {
      platformAdmin: true,
    });
    const adminToken = await login(admin.email, adminSecret);
    const a = await account('reset');
    const b = await account('bystander');
    const aTokens = [await login(a.email, a.secret), await login(a.email, a.secret)];
    const bToken = await login(b.email, b.secret);
    const impersonate = async (email: string) => {
      const target = clock.running.seed.identity.byEmail(email)!.id;
      const res = await answer(
        request('POST', '/admin/impersonate', { token: adminToken, body: { target } }),
      );
      expect(res.status, res.text).toBe(200);
      return res.body.token as string;
    };
    const asA = await impersonate(a.email);
    const asB = await impersonate(b.email);

    expect(
      (await answer(request('POST', '/auth/forgot-password', { body: { email: a.email } }))).status,
    ).toBe(202);
    const [mail] = await mailed(clock.mails, a.email, 'Reset your password');
    const token = /reset token: (\S+)/.exec(mail!.text)?.[1];
    const reset = await answer(
      request('POST', '/auth/reset-password', { body: { token, password: password() } }),
    );
    expect(reset.status, reset.text).toBe(204);

    for (const gone of [...aTokens, asA]) expect(await me(gone)).toMatchObject(ended);
    for (const kept of [bToken, asB, adminToken]) expect((await me(kept)).status).toBe(200);
    expect((await me(asB)).body).toMatchObject({ email: b.email });
  });
});
