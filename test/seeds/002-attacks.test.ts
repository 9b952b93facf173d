/**
 * Seed 002 against the attacks an outside pass found, each through real HTTP on 127.0.0.1:
 * - a pre-registered account keeping access after the owner of the address resets its password, and a
 *   refresh token outliving its logout;
 * - SDK events held in memory without a byte bound (SDK keys are public in web pages);
 * - session cookies without SameSite or Secure, and cookie-authenticated POSTs from a foreign Origin;
 * - a company id told apart from an unknown one by a user who is not its member.
 * The shipped `server.ts` runs in its own process; the event buffer's bytes are read off a seed started in
 * this process, reached over HTTP as well.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start } from '../../examples/seeds/002/app.js';
import { optionsFromEnv } from '../../examples/seeds/002/config.js';
import type { Mail } from '../../examples/seeds/002/mail.js';
import { type MailRelay, type SeedProcess, startMailRelay, startSeed } from './harness.js';

const ownerPassword = randomBytes(12).toString('base64url');
let main: SeedProcess;
let relay: MailRelay;
/** What the seed mailed, in order: seed 002 posts its own mail shape (a template and its values). */
const mails = (): Mail[] => (relay?.mails ?? []) as unknown as Mail[];

interface Init {
  token?: string;
  cookie?: string;
  tenant?: string;
  origin?: string;
  body?: unknown;
}
function request(method: string, path: string, init: Init = {}, base = main.url): Promise<Response> {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.cookie) headers.cookie = init.cookie;
  if (init.tenant) headers['x-tenant-id'] = init.tenant;
  if (init.origin) headers.origin = init.origin;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${base}${path}`, {
    method,
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}
const codeOf = async (res: Response) => ({
  status: res.status,
  code: ((await res.json().catch(() => ({}))) as { error?: { code: string } }).error?.code,
});
/** A cookie-authenticated POST with a `Host` of the test's choosing (fetch sets its own): its status. */
function rawPost(port: string, headers: { host: string; origin: string }): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: Number(port),
        method: 'POST',
        path: '/api/api-keys',
        headers: { ...headers, cookie: owner.access },
        timeout: 5000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.end();
  });
}

/** The `name=value` of a Set-Cookie of `res`. */
const cookieOf = (res: Response, name: string) =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith(`${name}=`));

/** Signs in by password: the access token and both cookies. */
async function login(email: string, password: string, base = main.url) {
  const res = await request('POST', '/api/auth/login', { body: { email, password } }, base);
  expect(res.status, await res.clone().text()).toBe(200);
  return {
    token: ((await res.json()) as { token: string }).token,
    access: cookieOf(res, 'token')!,
    refresh: cookieOf(res, 'refresh')!,
  };
}

/** The newest mail of `template` to `to`, waiting (bounded) for the provider to receive it. */
async function mailTo(to: string, template: Mail['template'], after: number): Promise<Mail> {
  for (let i = 0; i < 100; i++) {
    const found = mails()
      .slice(after)
      .findLast((mail) => mail.to === to && mail.template === template);
    if (found) return found;
    await sleep(20);
  }
  throw new Error(`no ${template} mail to ${to}`);
}

let owner: { token: string; access: string; refresh: string; tenant: string };
let seq = 0;
const unique = (what: string) => `${what}${Date.now()}-${++seq}`;

beforeAll(async () => {
  relay = await startMailRelay();
  main = await startSeed('002', {
    OWNER_PASSWORD: ownerPassword,
    MAIL_URL: relay.url,
    AUTH_IP_RATE: '100000',
  });
  const signedIn = await login('owner@example.com', ownerPassword);
  const me = await request('GET', '/api/me', { token: signedIn.token });
  owner = { ...signedIn, tenant: ((await me.json()) as { tenants: { id: string }[] }).tenants[0]!.id };
}, 90_000);

afterAll(async () => {
  await main?.stop();
  await relay?.close();
});

describe('seed 002: sessions end with logout and with a password reset', () => {
  it('ends the refresh token of a session at its logout, even a logout by bearer token alone', async () => {
    const session = await login('owner@example.com', ownerPassword);
    const out = await request('POST', '/api/auth/logout', { token: session.token });
    expect(out.status).toBe(204);
    const refreshed = await request('POST', '/api/auth/refresh', { cookie: session.refresh });
    expect(await codeOf(refreshed)).toEqual({ status: 401, code: 'AUTH_INVALID_REFRESH_TOKEN' });
    // The owner's other session goes on.
    expect((await request('GET', '/api/me', { token: owner.token })).status).toBe(200);
  });

  it('ends the session at logout: an access token minted by its refresh token is revoked too', async () => {
    const session = await login('owner@example.com', ownerPassword);
    const rotated = await request('POST', '/api/auth/refresh', { cookie: session.refresh });
    expect(rotated.status).toBe(200);
    const { token: minted } = (await rotated.json()) as { token: string };
    expect((await request('POST', '/api/auth/logout', { token: session.token })).status).toBe(204);
    expect(await codeOf(await request('GET', '/api/me', { token: minted }))).toEqual({
      status: 401,
      code: 'AUTH_TOKEN_REVOKED',
    });
    const again = await request('POST', '/api/auth/refresh', { cookie: cookieOf(rotated, 'refresh')! });
    expect(await codeOf(again)).toEqual({ status: 401, code: 'AUTH_INVALID_REFRESH_TOKEN' });
  });

  it('ends every session of an account at a password reset: a pre-registered address keeps no access once its owner proves it by mail', async () => {
    const victim = `${unique('victim')}@example.org`;
    // The attacker registers the victim's address (no proof of it is asked), signs in twice, logs one out.
    const reg = await request('POST', '/api/auth/register', {
      body: { email: victim, password: 'attacker-pw-1', company: unique('Attacker Co ') },
    });
    expect(reg.status).toBe(201);
    const kept = await login(victim, 'attacker-pw-1');
    const loggedOut = await login(victim, 'attacker-pw-1');
    expect((await request('POST', '/api/auth/logout', { token: loggedOut.token })).status).toBe(204);
    // The victim cannot register, so resets the password through the mail, and signs in.
    const before = mails().length;
    expect((await request('POST', '/api/auth/forgot', { body: { email: victim } })).status).toBe(202);
    const { token } = await mailTo(victim, 'password-reset', before);
    const reset = await request('POST', '/api/auth/reset', { body: { token, password: 'victim-pw-123' } });
    expect(reset.status).toBe(204);
    const mine = await login(victim, 'victim-pw-123');
    // The owner invites the victim as admin; the victim accepts.
    const invited = mails().length;
    const sent = await request('POST', '/api/invites', {
      token: owner.token,
      tenant: owner.tenant,
      body: { email: victim, role: 'admin' },
    });
    expect(sent.status).toBe(202);
    const invite = await mailTo(victim, 'invite', invited);
    const accepted = await request('POST', '/api/invites/accept', {
      token: mine.token,
      body: { token: invite.token },
    });
    expect(accepted.status).toBe(200);
    // Every token the attacker held is dead: both refresh cookies, the access token as bearer and cookie.
    for (const cookie of [kept.refresh, loggedOut.refresh]) {
      const res = await request('POST', '/api/auth/refresh', { cookie });
      expect(await codeOf(res)).toEqual({ status: 401, code: 'AUTH_INVALID_REFRESH_TOKEN' });
    }
    for (const init of [{ token: kept.token }, { cookie: kept.access }]) {
      const res = await request('GET', '/api/me', init);
      expect(await codeOf(res)).toEqual({ status: 401, code: 'AUTH_TOKEN_REVOKED' });
    }
    const minted = await request('POST', '/api/api-keys', { token: kept.token, tenant: owner.tenant });
    expect(minted.status).toBe(401);
    // The old password is gone; the victim's own session works.
    const old = await request('POST', '/api/auth/login', {
      body: { email: victim, password: 'attacker-pw-1' },
    });
    expect(old.status).toBe(401);
    expect((await request('GET', '/api/me', { token: mine.token })).status).toBe(200);
  });

  it('answers a logout whose token is already revoked with 401, and a refresh cookie sent twice only once', async () => {
    const session = await login('owner@example.com', ownerPassword);
    expect((await request('POST', '/api/auth/logout', { token: session.token })).status).toBe(204);
    const twice = await request('POST', '/api/auth/logout', { token: session.token });
    expect(await codeOf(twice)).toEqual({ status: 401, code: 'AUTH_TOKEN_REVOKED' });
    const other = await login('owner@example.com', ownerPassword);
    const answers = await Promise.all(
      [1, 2, 3].map(() => request('POST', '/api/auth/refresh', { cookie: other.refresh })),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([200, 401, 401]);
  });
});

describe('seed 002: cookies and cross-site requests', () => {
  it('sets both session cookies HttpOnly, SameSite=Lax and Secure', async () => {
    const res = await request('POST', '/api/auth/login', {
      body: { email: 'owner@example.com', password: ownerPassword },
    });
    const cookies = res.headers.getSetCookie();
    expect(cookies).toHaveLength(2);
    for (const cookie of cookies) {
      const attributes = cookie.split(';').map((part) => part.trim().toLowerCase());
      expect(attributes, cookie).toEqual(expect.arrayContaining(['httponly', 'samesite=lax', 'secure']));
    }
    const refreshed = await request('POST', '/api/auth/refresh', { cookie: cookieOf(res, 'refresh')! });
    for (const cookie of refreshed.headers.getSetCookie())
      expect(cookie.toLowerCase()).toMatch(/; httponly.*; samesite=lax.*; secure/);
  });

  it('leaves Secure out with COOKIE_SECURE=false, for a plain-HTTP host that is not localhost', async () => {
    expect(optionsFromEnv({ COOKIE_SECURE: 'false' }).cookieSecure).toBe(false);
    expect(optionsFromEnv({}).cookieSecure).toBeUndefined();
    expect(() => optionsFromEnv({ COOKIE_SECURE: 'sometimes' })).toThrow(/COOKIE_SECURE/);
    const running = await start(0, { passwordHashCost: 10, cookieSecure: false, log: () => {} });
    try {
      await running.seed.tours.register('plain@example.com', 'long enough pw', 'Plain Co');
      const res = await request(
        'POST',
        '/api/auth/login',
        { body: { email: 'plain@example.com', password: 'long enough pw' } },
        running.url,
      );
      for (const cookie of res.headers.getSetCookie()) {
        expect(cookie.toLowerCase()).toContain('samesite=lax');
        expect(cookie.toLowerCase()).not.toContain('secure');
      }
    } finally {
      await running.close();
    }
  });

  it('refuses a cookie-authenticated POST from a foreign Origin with 403 FORBIDDEN, whatever its body, and mints no key', async () => {
    const count = async () =>
      ((await (await request('GET', '/api/api-keys', { token: owner.token })).json()) as { keys: unknown[] })
        .keys.length;
    const before = await count();
    for (const [type, body] of [
      [undefined, undefined],
      ['text/plain', 'a=1'],
      ['application/x-www-form-urlencoded', 'a=1'],
      ['application/json', '{}'],
    ] as const) {
      for (const origin of ['https://evil.example', 'null', `http://127.0.0.1:${main.port + 1}`]) {
        const res = await fetch(`${main.url}/api/api-keys`, {
          method: 'POST',
          headers: { cookie: owner.access, origin, ...(type ? { 'content-type': type } : {}) },
          body,
        });
        expect(await codeOf(res), `${origin} ${type}`).toEqual({ status: 403, code: 'FORBIDDEN' });
      }
    }
    for (const path of ['/api/auth/logout', '/api/auth/refresh']) {
      const res = await request('POST', path, {
        cookie: `${owner.access}; ${owner.refresh}`,
        origin: 'https://evil.example',
      });
      expect(await codeOf(res), path).toEqual({ status: 403, code: 'FORBIDDEN' });
    }
    expect(await count()).toBe(before);
    // The session survived the attempts.
    expect((await request('GET', '/api/me', { cookie: owner.access })).status).toBe(200);
  });

  it('serves cookie-authenticated POSTs from its own Origin, or with no Origin (not a browser)', async () => {
    for (const origin of [main.url, undefined]) {
      const res = await request('POST', '/api/api-keys', {
        cookie: owner.access,
        ...(origin ? { origin } : {}),
      });
      expect(res.status, await res.clone().text()).toBe(201);
    }
    // A Host that names the default port is the origin without it, as a browser writes that origin.
    const port = new URL(main.url).port;
    const viaDefaultPort = await rawPost(port, { host: 'api.example:80', origin: 'http://api.example' });
    expect(viaDefaultPort).toBe(201);
    const otherPort = await rawPost(port, { host: 'api.example:8080', origin: 'http://api.example' });
    expect(otherPort).toBe(403);
    // A bearer token is no ambient credential: a page of another origin cannot send one without CORS.
    const bearer = await request('POST', '/api/api-keys', {
      token: owner.token,
      origin: 'https://tools.example',
    });
    expect(bearer.status).toBe(201);
    // Reading stays open: SameSite=Lax already keeps cookies off cross-site subresource requests.
    const read = await request('GET', '/api/me', { cookie: owner.access, origin: 'https://evil.example' });
    expect(read.status).toBe(200);
  });
});

describe('seed 002: a company id is no oracle', () => {
  it('answers a company the caller is not a member of exactly as an unknown one: 404 TENANT_NOT_FOUND, same bytes', async () => {
    const email = `${unique('probe')}@example.net`;
    const reg = await request('POST', '/api/auth/register', {
      body: { email, password: 'probe-pass-1', company: unique('Probe ') },
    });
    expect(reg.status).toBe(201);
    const { token } = await login(email, 'probe-pass-1');
    const answers = [];
    for (const tenant of [owner.tenant, 'ten_000000000000'])
      for (const [method, path] of [
        ['GET', '/api/flows/flow_x'],
        ['POST', '/api/api-keys'],
        ['GET', '/api/users/usr_x'],
      ]) {
        const res = await request(method!, path!, { token, tenant });
        const headers = Object.fromEntries(
          [...res.headers].filter(([name]) => !['date', 'x-request-id'].includes(name)),
        );
        answers.push({ path, status: res.status, headers, body: await res.text() });
      }
    expect(answers[0]).toMatchObject({ status: 404 });
    expect(JSON.parse(answers[0]!.body).error.code).toBe('TENANT_NOT_FOUND');
    expect(answers.slice(0, 3)).toEqual(answers.slice(3));
  });
});

describe('seed 002: SDK events are bounded in bytes', () => {
  const page = (key: string, events: unknown[], base: string) =>
    fetch(`${base}/api/sdk/events`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
    });
  /** An event whose JSON is about `bytes` long. */
  const sized = (bytes: number) => ({ type: 'page_view', properties: { text: 'v'.repeat(bytes - 60) } });

  it('refuses an event larger than 32 KiB with 400 VALIDATION_ERROR naming it, and keeps none of the batch', async () => {
    const running = await start(0, { passwordHashCost: 10, log: () => {} });
    try {
      const { tenant } = await running.seed.tours.register('sdk@example.com', 'long enough pw', 'Sdk Co');
      const { key } = running.seed.tours.createApiKey(tenant);
      const res = await page(key, [sized(100), sized(40 * 1024)], running.url);
      const body = (await res.json()) as { error: { code: string; details: { path: string }[] } };
      expect([res.status, body.error.code]).toEqual([400, 'VALIDATION_ERROR']);
      expect(body.error.details.map((d) => d.path)).toEqual(['events.1']);
      expect(running.seed.tours.events.size).toBe(0);
      const fits = await page(key, [sized(30 * 1024)], running.url);
      expect(fits.status).toBe(202);
    } finally {
      await running.close();
    }
  });

  it('holds at most SDK_EVENT_BYTES of events: past it the oldest are dropped and counted, never a 500', async () => {
    const budget = 256 * 1024;
    const running = await start(0, { passwordHashCost: 10, eventBytes: budget, log: () => {} });
    try {
      const { tenant } = await running.seed.tours.register('sdk@example.com', 'long enough pw', 'Sdk Co');
      const { key } = running.seed.tours.createApiKey(tenant);
      const statuses: number[] = [];
      // 40 requests of 30 events of 1 KiB: about 1.2 MiB offered to a 256 KiB budget.
      for (let i = 0; i < 40; i++) {
        const res = await page(
          key,
          Array.from({ length: 30 }, (_, n) => ({ ...sized(1024), userId: `u${i}-${n}` })),
          running.url,
        );
        statuses.push(res.status);
        await res.body?.cancel();
      }
      expect(statuses).toEqual(Array(40).fill(202));
      const { events } = running.seed.tours;
      expect(events.bytes).toBeLessThanOrEqual(budget);
      expect(events.bytes).toBeGreaterThan(budget - 2048);
      expect(events.size + events.evicted).toBe(1200);
      const kept = events.drain() as { userId: string }[];
      // The newest are the ones kept, in order.
      expect(kept.at(-1)!.userId).toBe('u39-29');
      expect(kept.length).toBeLessThan(1200);
      expect(events.bytes).toBe(0);
    } finally {
      await running.close();
    }
  });

  it('refuses an SDK_EVENT_BYTES smaller than one event may be, at start', () => {
    expect(optionsFromEnv({ SDK_EVENT_BYTES: '1048576' }).eventBytes).toBe(1048576);
    expect(() => optionsFromEnv({ SDK_EVENT_BYTES: 'lots' })).toThrow(/SDK_EVENT_BYTES/);
    return expect(start(0, { passwordHashCost: 10, eventBytes: 1000 })).rejects.toThrow(/event buffer/);
  });
});

describe('seed 002: password hashes', () => {
  it('hashes at scrypt N=2^17 by default, in a string that records its cost, and reads PASSWORD_HASH_COST', async () => {
    expect(optionsFromEnv({ PASSWORD_HASH_COST: '12' }).passwordHashCost).toBe(12);
    expect(() => optionsFromEnv({ PASSWORD_HASH_COST: '9' })).toThrow(/PASSWORD_HASH_COST/);
    expect(() => optionsFromEnv({ PASSWORD_HASH_COST: '21' })).toThrow(/PASSWORD_HASH_COST/);
    const running = await start(0, { log: () => {} });
    try {
      const { user } = await running.seed.tours.register('strong@example.com', 'long enough pw', 'Strong Co');
      expect(user.passwordHash).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
      expect(JSON.stringify(user)).not.toContain('long enough pw');
    } finally {
      await running.close();
    }
  }, 30_000);

  it('makes an older hash again at the current cost on its next sign-in', async () => {
    const old = await start(0, { passwordHashCost: 10, log: () => {} });
    const { user } = await old.seed.tours.register('older@example.com', 'long enough pw', 'Older Co');
    await old.close();
    expect(user.passwordHash).toMatch(/^\$scrypt\$ln=10,/);
    const running = await start(0, { passwordHashCost: 11, log: () => {} });
    try {
      running.seed.tours.users.set(user.id, user);
      running.seed.tours.byEmail.set(user.email, user.id);
      await expect(running.seed.tours.login('older@example.com', 'wrong password')).rejects.toMatchObject({
        code: 'AUTH_INVALID_CREDENTIALS',
      });
      expect(user.passwordHash).toMatch(/^\$scrypt\$ln=10,/);
      expect((await running.seed.tours.login('older@example.com', 'long enough pw')).id).toBe(user.id);
      expect(user.passwordHash).toMatch(/^\$scrypt\$ln=11,/);
      await expect(running.seed.tours.login('nobody@example.com', 'long enough pw')).rejects.toMatchObject({
        code: 'AUTH_INVALID_CREDENTIALS',
      });
    } finally {
      await running.close();
    }
  });
});

describe('seed 002: a password reset and the hash queue', () => {
  it('keeps the token of a reset refused while the hashes are queued, for its retry', async () => {
    const running = await start(0, {
      passwordHashCost: 10,
      passwordHashes: { running: 1, waiting: 0 },
      log: () => {},
    });
    try {
      const { tours } = running.seed;
      await tours.register('queued@example.com', 'long enough pw', 'Queued Co');
      const { token } = tours.forgot('queued@example.com')!;
      // One sign-in holds the only slot: the reset is refused 429, and its token is not spent.
      const signIn = tours.login('queued@example.com', 'long enough pw');
      await expect(tours.reset(token, 'a new long password')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
      await signIn;
      await tours.reset(token, 'a new long password');
      // Spent now: a second use is refused.
      await expect(tours.reset(token, 'another password!')).rejects.toMatchObject({
        code: 'INVALID_RESET_TOKEN',
      });
      expect((await tours.login('queued@example.com', 'a new long password')).email).toBe(
        'queued@example.com',
      );
    } finally {
      await running.close();
    }
  });

  it('spends no failed attempt on a sign-in the full hash queue refused: following its Retry-After never locks', async () => {
    // A cost whose hash holds the only slot long enough for the refused sign-ins below to arrive during it.
    const running = await start(0, {
      passwordHashCost: 15,
      passwordHashes: { running: 1, waiting: 0 },
      loginFailures: { limit: 2 },
      log: () => {},
    });
    try {
      const { tours } = running.seed;
      await tours.register('busy@example.com', 'long enough pw', 'Busy Co');
      const login = () =>
        request(
          'POST',
          '/api/auth/login',
          { body: { email: 'busy@example.com', password: 'long enough pw' } },
          running.url,
        );
      let busy = 0;
      for (let round = 0; round < 20 && busy < 3; round++) {
        const holder = tours.login('busy@example.com', 'long enough pw');
        const answers = await Promise.all([login(), login(), login()]);
        for (const res of answers) {
          if (res.status !== 429) continue;
          expect(res.headers.get('retry-after')).toBe('1');
          busy++;
        }
        await holder;
      }
      // More refusals than the failure budget holds: before, the right password then answered a lockout.
      expect(busy).toBeGreaterThanOrEqual(3);
      expect((await login()).status).toBe(200);
    } finally {
      await running.close();
    }
  });

  it('refuses a sign-in whose password a reset replaced while its hash ran', async () => {
    const running = await start(0, { passwordHashCost: 10, log: () => {} });
    try {
      const { tours } = running.seed;
      const { user } = await tours.register('raced@example.com', 'long enough pw', 'Raced Co');
      const replaced = (await tours.register('other@example.com', 'a new long password', 'Other Co')).user
        .passwordHash;
      const signIn = tours.login('raced@example.com', 'long enough pw');
      // What a reset does once its hash is made, while the sign-in's hash still runs (it runs off the
      // event loop: its check comes after this line, whichever order the pool finishes in).
      user.passwordHash = replaced;
      await expect(signIn).rejects.toMatchObject({ code: 'AUTH_INVALID_CREDENTIALS' });
    } finally {
      await running.close();
    }
  });
});
