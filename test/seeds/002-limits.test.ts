/**
 * Seed 002 against what a signed-in company could make without bound, and a refresh token used twice:
 * - flows, audiences and pending invites are capped per company; invites and AI suggestions are counted
 *   per company per day; every company route is limited per signed-in account (all 429 RATE_LIMITED);
 * - a client address registers a bounded number of companies a day, and its invites and AI suggestions
 *   are counted per day whatever the company: many companies from one address multiply nothing;
 * - an already-rotated refresh token, presented again, ends its whole session.
 * Each seed runs in this process on a clock of the test's, and is reached over HTTP on 127.0.0.1 (or
 * another loopback address, for a second client).
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { optionsFromEnv } from '../../examples/seeds/002/config.js';
import { day, type Init, password, withSeed } from './002-harness.js';

/** A stand-in AI provider for one describe block: it counts its calls and always suggests a line. */
function fakeProvider() {
  let server: Server;
  let calls = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      calls++;
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"Welcome aboard"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return {
    url: () => `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/complete`,
    calls: () => calls,
  };
}

/** The statuses of `count` calls of `make`, one after another. */
async function statuses(count: number, make: (i: number) => Promise<Response>): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < count; i++) {
    const res = await make(i);
    seen.push(res.status);
    await res.body?.cancel();
  }
  return seen;
}

describe('seed 002: a company holds a bounded number of flows, audiences and pending invites', () => {
  it('answers the flow past MAX_FLOWS with 429 RATE_LIMITED naming max-flows, without Retry-After, and stores nothing', async () => {
    await withSeed({ maxFlows: 3 }, async ({ send, call, signUp }) => {
      const a = await signUp('a@example.com', 'A Co');
      const flow = (i: number) =>
        send('POST', '/api/flows', { token: a.token, body: { title: `Tour ${i}` } });
      expect(await statuses(3, flow)).toEqual([201, 201, 201]);
      expect(await call('POST', '/api/flows', { token: a.token, body: { title: 'One too many' } })).toEqual({
        status: 429,
        code: 'RATE_LIMITED',
        policies: ['max-flows'],
        retryAfter: null,
      });
      expect(await call('GET', '/api/flows/flow_none', { token: a.token })).toMatchObject({ status: 404 });
      // Another company has its own room.
      const b = await signUp('b@example.com', 'B Co');
      expect((await send('POST', '/api/flows', { token: b.token, body: { title: 'Tour' } })).status).toBe(
        201,
      );
    });
  });

  it('answers the audience past MAX_AUDIENCES with 429 RATE_LIMITED naming max-audiences; deleting one makes room', async () => {
    await withSeed({ maxAudiences: 2 }, async ({ send, call, signUp }) => {
      const a = await signUp('a@example.com', 'A Co');
      const audience = (name: string) => send('POST', '/api/audiences', { token: a.token, body: { name } });
      const first = (await (await audience('trial')).json()) as { id: string };
      expect((await audience('paid')).status).toBe(201);
      expect(await call('POST', '/api/audiences', { token: a.token, body: { name: 'churned' } })).toEqual({
        status: 429,
        code: 'RATE_LIMITED',
        policies: ['max-audiences'],
        retryAfter: null,
      });
      expect((await send('DELETE', `/api/audiences/${first.id}`, { token: a.token })).status).toBe(204);
      expect((await audience('churned')).status).toBe(201);
    });
  });

  it('answers the invite past MAX_PENDING_INVITES with 429 naming max-pending-invites and Retry-After until the oldest lapses, and mails nothing', async () => {
    await withSeed({ maxPendingInvites: 3 }, async ({ send, call, signUp, signIn, sent, advance }) => {
      let { token } = await signUp('a@example.com', 'A Co');
      const invite = (i: number) =>
        send('POST', '/api/invites', { token, body: { email: `someone+${i}@victim.example` } });
      expect(await statuses(1, invite)).toEqual([202]);
      advance(60 * 60_000);
      ({ token } = await signIn('a@example.com'));
      expect(await statuses(2, (i) => invite(i + 1))).toEqual([202, 202]);
      const refused = await call('POST', '/api/invites', {
        token,
        body: { email: 'someone+3@victim.example' },
      });
      // The oldest invite was sent an hour ago: it lapses 7 days after that.
      expect(refused).toEqual({
        status: 429,
        code: 'RATE_LIMITED',
        policies: ['max-pending-invites'],
        retryAfter: String((7 * day - 60 * 60_000) / 1000),
      });
      expect(sent.map((m) => m.to)).toEqual([0, 1, 2].map((i) => `someone+${i}@victim.example`));
    });
  });

  it('frees a pending invite when it is accepted, and forgets one that lapsed unused', async () => {
    await withSeed({ maxPendingInvites: 2 }, async ({ send, signUp, signIn, sent, advance }) => {
      let { token } = await signUp('a@example.com', 'A Co');
      const guest = await signUp('guest@example.com', 'Guest Co');
      const invite = (email: string) => send('POST', '/api/invites', { token, body: { email } });
      expect((await invite('guest@example.com')).status).toBe(202);
      expect((await invite('other@example.com')).status).toBe(202);
      expect((await invite('third@example.com')).status).toBe(429);
      const accepted = await send('POST', '/api/invites/accept', {
        token: guest.token,
        body: { token: sent[0]!.token },
      });
      expect(accepted.status).toBe(200);
      expect((await invite('third@example.com')).status).toBe(202);
      expect((await invite('fourth@example.com')).status).toBe(429);
      // Both pending invites lapse unused: the company's room comes back whole.
      advance(7 * day + 1);
      ({ token } = await signIn('a@example.com'));
      const again = await statuses(2, (i) => invite(`later${i}@example.com`));
      expect(again).toEqual([202, 202]);
    });
  });
});

describe('seed 002: invites and AI suggestions are counted per company per day', () => {
  // The quota guard reads the calendar off the system clock: these seeds run on it.
  const systemClock = { now: () => Date.now() };
  /** Seconds from now to the next UTC midnight, as `Retry-After` counts them (rounded up). */
  const toMidnight = () => Math.ceil((new Date().setUTCHours(24, 0, 0, 0) - Date.now()) / 1000);

  it('answers the invite past INVITES_PER_DAY with 429 RATE_LIMITED naming invites-per-day, until the next UTC day', async () => {
    await withSeed({ invitesPerDay: 3, clock: systemClock }, async ({ send, call, signUp, sent }) => {
      const a = await signUp('a@example.com', 'A Co');
      const invite = (i: number) =>
        send('POST', '/api/invites', { token: a.token, body: { email: `someone+${i}@victim.example` } });
      expect(await statuses(3, invite)).toEqual([202, 202, 202]);
      const refused = await call('POST', '/api/invites', {
        token: a.token,
        body: { email: 'someone+3@victim.example' },
      });
      expect(refused).toMatchObject({ status: 429, code: 'RATE_LIMITED', policies: ['invites-per-day'] });
      expect(Math.abs(Number(refused.retryAfter) - toMidnight())).toBeLessThanOrEqual(2);
      expect(sent).toHaveLength(3);
      // Another company has a day of its own.
      const b = await signUp('b@example.com', 'B Co');
      const other = await send('POST', '/api/invites', { token: b.token, body: { email: 'x@example.com' } });
      expect(other.status).toBe(202);
    });
  });

  it('counts only invites that were mailed: a refused one spends nothing of the day', async () => {
    await withSeed({ invitesPerDay: 2, clock: systemClock }, async ({ send, signUp }) => {
      const a = await signUp('a@example.com', 'A Co');
      const bad = await statuses(3, () =>
        send('POST', '/api/invites', { token: a.token, body: { email: 'not an address' } }),
      );
      expect(bad).toEqual([400, 400, 400]);
      const good = await statuses(2, (i) =>
        send('POST', '/api/invites', { token: a.token, body: { email: `g${i}@example.com` } }),
      );
      expect(good).toEqual([202, 202]);
    });
  });

  describe('AI suggestions', () => {
    const provider = fakeProvider();

    it('answers the suggestion past AI_SUGGESTIONS_PER_DAY with 429 RATE_LIMITED naming suggestions-per-day, and calls the provider no more', async () => {
      const aiProvider = provider.url();
      await withSeed(
        { suggestionsPerDay: 2, aiProvider, clock: systemClock },
        async ({ send, call, signUp }) => {
          const a = await signUp('a@example.com', 'A Co');
          const before = provider.calls();
          const suggest = () =>
            send('POST', '/api/ai/suggest', { token: a.token, body: { prompt: 'Step one' } });
          expect(await statuses(2, suggest)).toEqual([200, 200]);
          const refused = await call('POST', '/api/ai/suggest', {
            token: a.token,
            body: { prompt: 'Step two' },
          });
          expect(refused).toMatchObject({
            status: 429,
            code: 'RATE_LIMITED',
            policies: ['suggestions-per-day'],
          });
          expect(Math.abs(Number(refused.retryAfter) - toMidnight())).toBeLessThanOrEqual(2);
          expect(provider.calls() - before).toBe(2);
          // A company of its own is a budget of its own.
          const b = await signUp('b@example.com', 'B Co');
          expect(
            (await send('POST', '/api/ai/suggest', { token: b.token, body: { prompt: 'Hi' } })).status,
          ).toBe(200);
        },
      );
    });
  });
});

describe('seed 002: every company route is limited per signed-in account', () => {
  it('answers past ACCOUNT_RATE with 429 RATE_LIMITED naming account and Retry-After, whatever address header the caller sends', async () => {
    await withSeed({ accountRate: 5 }, async ({ send, call, signUp, advance }) => {
      const a = await signUp('a@example.com', 'A Co');
      const spoofed = (i: number) => ({
        'x-forwarded-for': `203.0.113.${i}`,
        'x-real-ip': `198.51.100.${i}`,
      });
      const routes = [
        () => send('POST', '/api/flows', { token: a.token, body: { title: 'Tour' } }),
        () => send('GET', '/api/flows/flow_none', { token: a.token }),
        () => send('POST', '/api/audiences', { token: a.token, body: { name: 'trial' } }),
        () => send('GET', '/api/api-keys', { token: a.token }),
        () => send('GET', `/api/users/nobody`, { token: a.token }),
      ];
      expect(await statuses(5, (i) => routes[i]!())).toEqual([201, 404, 201, 200, 404]);
      for (const [i, path] of ['/api/flows', '/api/audiences', '/api/invites'].entries()) {
        const refused = await call('POST', path, {
          token: a.token,
          headers: spoofed(i),
          body: { title: 'Tour', name: 'x', email: 'x@example.com' },
        });
        expect(refused, path).toEqual({
          status: 429,
          code: 'RATE_LIMITED',
          policies: ['account'],
          retryAfter: '60',
        });
      }
      // Another account has its own budget; a caller that is not signed in is answered 401, as ever.
      const b = await signUp('b@example.com', 'B Co');
      expect((await send('POST', '/api/flows', { token: b.token, body: { title: 'Tour' } })).status).toBe(
        201,
      );
      expect(await call('POST', '/api/flows', { body: { title: 'Tour' } })).toMatchObject({
        status: 401,
        code: 'AUTH_NO_TOKEN',
      });
      advance(60_000);
      expect((await routes[0]!()).status).toBe(201);
    });
  });

  it('reads the limits and caps from the environment', () => {
    const env = {
      ACCOUNT_RATE: '120',
      INVITES_PER_DAY: '20',
      AI_SUGGESTIONS_PER_DAY: '50',
      MAX_FLOWS: '500',
      MAX_AUDIENCES: '40',
      MAX_PENDING_INVITES: '30',
    };
    expect(optionsFromEnv(env)).toMatchObject({
      accountRate: 120,
      invitesPerDay: 20,
      suggestionsPerDay: 50,
      maxFlows: 500,
      maxAudiences: 40,
      maxPendingInvites: 30,
    });
    expect(() => optionsFromEnv({ MAX_FLOWS: '0' })).toThrow(/MAX_FLOWS/);
  });
});

describe('seed 002: many companies from one client address multiply nothing', () => {
  // The quota guard reads the calendar off the system clock: these seeds run on it.
  const systemClock = { now: () => Date.now() };
  const toMidnight = () => Math.ceil((new Date().setUTCHours(24, 0, 0, 0) - Date.now()) / 1000);
  const spoofed = { 'x-forwarded-for': '203.0.113.9', 'x-real-ip': '198.51.100.9' };

  it('answers the registration past IP_REGISTRATIONS_PER_DAY with 429 RATE_LIMITED naming ip-registrations-per-day, until the next UTC day, whatever address header the caller sends', async () => {
    await withSeed({ ipRegistrationsPerDay: 2, clock: systemClock }, async ({ send, call, signUp }) => {
      const register = (email: string, company: string, init: Init = {}) =>
        call('POST', '/api/auth/register', { body: { email, password, company }, ...init });
      await signUp('a@example.com', 'A Co');
      // A registration refused (a taken address, an invalid body) makes no company and counts nothing.
      expect(await register('a@example.com', 'Other Co')).toMatchObject({
        status: 409,
        code: 'EMAIL_EXISTS',
      });
      expect(await register('not an address', 'Other Co')).toMatchObject({ status: 400 });
      await signUp('b@example.com', 'B Co');
      const refused = await register('c@example.com', 'C Co', { headers: spoofed });
      expect(refused).toMatchObject({
        status: 429,
        code: 'RATE_LIMITED',
        policies: ['ip-registrations-per-day'],
      });
      expect(Math.abs(Number(refused.retryAfter) - toMidnight())).toBeLessThanOrEqual(2);
      // Nothing was stored: the address is free, and it signs in nowhere.
      expect(
        await call('POST', '/api/auth/login', { body: { email: 'c@example.com', password } }),
      ).toMatchObject({ status: 401, code: 'AUTH_INVALID_CREDENTIALS' });
      // Another client address has a day of its own.
      await signUp('c@example.com', 'C Co', '127.0.0.2');
      expect((await send('GET', '/api/health')).status).toBe(200);
    });
  });

  it('lets one client address register 3 companies a day at the defaults', async () => {
    await withSeed({ clock: systemClock }, async ({ call, signUp }) => {
      for (let i = 0; i < 3; i++) await signUp(`owner${i}@attacker.example`, `Spam ${i}`);
      const fourth = await call('POST', '/api/auth/register', {
        body: { email: 'owner3@attacker.example', password, company: 'Spam 3' },
      });
      expect(fourth).toMatchObject({ status: 429, policies: ['ip-registrations-per-day'] });
    });
  });

  it('gives a registration refused by a full instance (MAX_TENANTS) its unit back: REGISTRATION_FAILED, not 429', async () => {
    await withSeed(
      { maxTenants: 1, ipRegistrationsPerDay: 2, clock: systemClock },
      async ({ call, signUp }) => {
        await signUp('a@example.com', 'A Co');
        for (let i = 0; i < 3; i++)
          expect(
            await call('POST', '/api/auth/register', {
              body: { email: `full${i}@example.com`, password, company: `Full ${i}` },
            }),
          ).toMatchObject({ status: 500, code: 'REGISTRATION_FAILED' });
      },
    );
  });

  it('answers the invite past IP_INVITES_PER_DAY with 429 RATE_LIMITED naming ip-invites-per-day, whatever the company and address header', async () => {
    await withSeed(
      { invitesPerDay: 3, ipInvitesPerDay: 4, clock: systemClock },
      async ({ send, call, signUp, sent }) => {
        const a = await signUp('a@example.com', 'A Co');
        const b = await signUp('b@example.com', 'B Co');
        const invite = (token: string | undefined, email: string, from?: string) =>
          call('POST', '/api/invites', { token, body: { email }, headers: spoofed, from });
        for (let i = 0; i < 3; i++)
          expect(await invite(a.token, `a${i}@victim.example`)).toMatchObject({ status: 202 });
        // A request the route refuses anyway (no token, a foreign company) spends nothing of the address's day.
        expect(await invite(undefined, 'x@victim.example')).toMatchObject({ status: 401 });
        const foreign = await send('POST', '/api/invites', {
          token: b.token,
          tenant: a.tenant,
          body: { email: 'x@victim.example' },
        });
        expect(foreign.status).toBe(404);
        expect(await invite(b.token, 'b0@victim.example')).toMatchObject({ status: 202 });
        const refused = await invite(b.token, 'b1@victim.example');
        expect(refused).toMatchObject({
          status: 429,
          code: 'RATE_LIMITED',
          policies: ['ip-invites-per-day'],
        });
        expect(Math.abs(Number(refused.retryAfter) - toMidnight())).toBeLessThanOrEqual(2);
        expect(sent).toHaveLength(4);
        // The company's own day is not spent by the refusal: from another address, B goes on.
        expect(await invite(b.token, 'b1@victim.example', '127.0.0.2')).toMatchObject({ status: 202 });
        expect(sent.map((m) => m.to)).not.toContain('x@victim.example');
      },
    );
  });

  it('sends at most 200 invite mails a day from one client address at the defaults, however many companies it registers', async () => {
    await withSeed({ clock: systemClock }, async ({ send, signUp, sent }) => {
      const seen: number[] = [];
      for (let c = 0; c < 3; c++) {
        const { token } = await signUp(`owner${c}@attacker.example`, `Spam ${c}`);
        seen.push(
          ...(await statuses(100, (i) =>
            send('POST', '/api/invites', { token, body: { email: `victim${c}-${i}@elsewhere.example` } }),
          )),
        );
      }
      expect(sent).toHaveLength(200);
      expect(seen.filter((status) => status === 202)).toHaveLength(200);
      expect(seen.filter((status) => status === 429)).toHaveLength(100);
    });
  });

  describe('AI suggestions', () => {
    const provider = fakeProvider();

    it('answers the suggestion past IP_AI_SUGGESTIONS_PER_DAY with 429 RATE_LIMITED naming ip-suggestions-per-day, whatever the company, and calls the provider no more', async () => {
      const aiProvider = provider.url();
      await withSeed(
        { suggestionsPerDay: 2, ipSuggestionsPerDay: 3, aiProvider, clock: systemClock },
        async ({ call, signUp }) => {
          const a = await signUp('a@example.com', 'A Co');
          const b = await signUp('b@example.com', 'B Co');
          const before = provider.calls();
          const suggest = (token: string, from?: string) =>
            call('POST', '/api/ai/suggest', { token, body: { prompt: 'Step one' }, headers: spoofed, from });
          // A request the route refuses anyway (no token, a foreign company) spends nothing of the address's day.
          const stranger = await call('POST', '/api/ai/suggest', { body: { prompt: 'Step one' } });
          expect(stranger).toMatchObject({ status: 401 });
          const foreign = await call('POST', '/api/ai/suggest', {
            token: b.token,
            tenant: a.tenant,
            body: { prompt: 'Step one' },
          });
          expect(foreign).toMatchObject({ status: 404, code: 'TENANT_NOT_FOUND' });
          for (const token of [a.token, a.token, b.token])
            expect(await suggest(token)).toMatchObject({ status: 200 });
          const refused = await suggest(b.token);
          expect(refused).toMatchObject({
            status: 429,
            code: 'RATE_LIMITED',
            policies: ['ip-suggestions-per-day'],
          });
          expect(Math.abs(Number(refused.retryAfter) - toMidnight())).toBeLessThanOrEqual(2);
          expect(provider.calls() - before).toBe(3);
          // Another client address has a day of its own.
          const c = await signUp('c@example.com', 'C Co', '127.0.0.2');
          expect(await suggest(c.token, '127.0.0.2')).toMatchObject({ status: 200 });
        },
      );
    });
  });

  it('reads the per-address limits from the environment', () => {
    const env = { IP_REGISTRATIONS_PER_DAY: '5', IP_INVITES_PER_DAY: '50', IP_AI_SUGGESTIONS_PER_DAY: '60' };
    expect(optionsFromEnv(env)).toMatchObject({
      ipRegistrationsPerDay: 5,
      ipInvitesPerDay: 50,
      ipSuggestionsPerDay: 60,
    });
    expect(() => optionsFromEnv({ IP_REGISTRATIONS_PER_DAY: '0' })).toThrow(/IP_REGISTRATIONS_PER_DAY/);
  });
});

describe('seed 002: a refresh token used twice ends its session', () => {
  it('ends the session when a rotated refresh token comes back: the thief refreshed first, and neither holder goes on', async () => {
    await withSeed({}, async ({ send, call, signUp, signIn }) => {
      const owner = await signUp('a@example.com', 'A Co');
      const other = await signIn('a@example.com');
      // The thief, holding a copy of the owner's refresh cookie, refreshes first.
      const thief = await send('POST', '/api/auth/refresh', { cookie: owner.refresh });
      expect(thief.status).toBe(200);
      const thiefAccess = ((await thief.json()) as { token: string }).token;
      const thiefRefresh = thief.headers
        .getSetCookie()
        .map((c) => c.split(';')[0]!)
        .find((c) => c.startsWith('refresh='))!;
      expect(await call('GET', '/api/me', { token: thiefAccess })).toMatchObject({ status: 200 });
      // The owner's refresh presents the rotated token: refused, and the session ends for both.
      expect(await call('POST', '/api/auth/refresh', { cookie: owner.refresh })).toMatchObject({
        status: 401,
        code: 'AUTH_INVALID_REFRESH_TOKEN',
      });
      expect(await call('POST', '/api/auth/refresh', { cookie: thiefRefresh })).toMatchObject({
        status: 401,
        code: 'AUTH_INVALID_REFRESH_TOKEN',
      });
      for (const token of [thiefAccess, owner.token])
        expect(await call('GET', '/api/me', { token })).toMatchObject({
          status: 401,
          code: 'AUTH_TOKEN_REVOKED',
        });
      // The account's other session goes on, and the owner signs in again.
      expect(await call('GET', '/api/me', { token: other.token })).toMatchObject({ status: 200 });
      expect((await send('POST', '/api/auth/refresh', { cookie: other.refresh })).status).toBe(200);
    });
  });

  it('leaves the session alive when a refresh token is merely forged: only one this server issued ends it', async () => {
    await withSeed({}, async ({ send, call, signUp }) => {
      const owner = await signUp('a@example.com', 'A Co');
      const [sid] = decodeURIComponent(owner.refresh.slice('refresh='.length)).split('.');
      for (const forged of [`${sid}.0.forged`, `${sid}.1.forged`, `${sid}.00.x`, 'stale'])
        expect(
          await call('POST', '/api/auth/refresh', { cookie: `refresh=${forged}` }),
          forged,
        ).toMatchObject({
          status: 401,
          code: 'AUTH_INVALID_REFRESH_TOKEN',
        });
      expect(await call('GET', '/api/me', { token: owner.token })).toMatchObject({ status: 200 });
      expect((await send('POST', '/api/auth/refresh', { cookie: owner.refresh })).status).toBe(200);
    });
  });
});
