/**
 * Seed 002 as it ships: `examples/seeds/002/server.ts` in its own process, configured by environment only,
 * reached over HTTP alone. It starts with owner@example.com (OWNER_PASSWORD) and the company Example Co;
 * every other account, company, invite and key is made through the API. Google's key, the AI provider and
 * the mail provider are given as GOOGLE_PUBLIC_KEY, AI_PROVIDER_URL and MAIL_URL (a fake of this file that
 * keeps the mails, so that invite links can be followed). Two servers:
 * - `main`: the page's defaults (600 SDK requests per minute per key), AUTH_IP_RATE raised for the run;
 * - `faults`: MAX_TENANTS=1 (the owner's company fills it) and SDK events in a real redis-server
 *   (REDIS_URL), killed and restarted to produce INTERNAL_ERROR.
 *
 * Rows that cannot be reached over HTTP: none. All 26 rows of the page are produced by real requests.
 * Tests that need a clock moved (key and invite expiry, account locks) run the seed in this process.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors, format } from '../../examples/reference/002.js';
import { start } from '../../examples/seeds/002/app.js';
import type { Mail, Mailer } from '../../examples/seeds/002/mail.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import {
  expectRow,
  type Observed,
  observe,
  type Probe,
  rowsOf,
  type SeedProcess,
  startSeed,
  summary,
} from './harness.js';

const contract = { catalog: errors, format, correlationHeader: 'x-request-id' };
const ownerPassword = randomBytes(12).toString('base64url');
const password = 'long enough pw';

let main: SeedProcess;
let faults: SeedProcess;
let redis: RedisServer;
let ai: Server;
let mailServer: Server;
/** Mails the fake provider took, newest last. */
const mails: Mail[] = [];
let owner: { token: string; tenant: string };
let second: { token: string; tenant: string };
let member: { token: string };
let apiKey: string;

/** The Google sign-in the tests configure: a key pair made here, the public half given to the seed. */
const clientId = 'tours-web.apps.example';
let googleKey: CryptoKey;
let otherKey: CryptoKey;
let publicKey: CryptoKey;
let publicPem: string;
interface IdTokenInit {
  sub?: string;
  email?: string;
  emailVerified?: boolean;
  audience?: string;
  issuer?: string;
  /** Seconds since the epoch. */
  issuedAt?: number;
  expiresAt?: number;
  key?: CryptoKey;
}
/** A Google ID token as Google signs one (RS256, iss, aud, sub, email, iat, exp), issued now. */
function idToken(init: IdTokenInit = {}): Promise<string> {
  const email = init.email ?? 'g@example.com';
  const issuedAt = init.issuedAt ?? Math.floor(Date.now() / 1000);
  return new SignJWT({ email, email_verified: init.emailVerified ?? true })
    .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
    .setIssuer(init.issuer ?? 'https://accounts.google.com')
    .setAudience(init.audience ?? clientId)
    .setSubject(init.sub ?? `google-${email}`)
    .setIssuedAt(issuedAt)
    .setExpirationTime(init.expiresAt ?? issuedAt + 3600)
    .sign(init.key ?? googleKey);
}

interface Init {
  token?: string;
  cookie?: string;
  tenant?: string;
  key?: string;
  body?: unknown;
  /** The server. @default main */
  base?: string;
}

function request(method: string, path: string, init: Init = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.cookie) headers.cookie = init.cookie;
  if (init.tenant) headers['x-tenant-id'] = init.tenant;
  if (init.key) headers['x-api-key'] = init.key;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${init.base ?? main.url}${path}`, {
    method,
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}
const call = (method: string, path: string, init?: Init): Promise<Observed> =>
  observe(request(method, path, init));

/** Signs in by password; the token. */
async function login(email: string, secret = password, base?: string): Promise<string> {
  const res = await request('POST', '/api/auth/login', {
    body: { email, password: secret },
    ...(base ? { base } : {}),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

/** Registers an account with its own company; its token and company id. */
async function signUp(email: string, company: string): Promise<{ token: string; tenant: string }> {
  const reg = await request('POST', '/api/auth/register', { body: { email, password, company } });
  expect(reg.status, await reg.clone().text()).toBe(201);
  const { tenantId } = (await reg.json()) as { tenantId: string };
  return { token: await login(email), tenant: tenantId };
}

/** The newest mail of `template` to `to`, waiting (bounded) for the provider to receive it. */
async function mailTo(to: string, template: Mail['template'], after = 0): Promise<Mail> {
  for (let i = 0; i < 100; i++) {
    const found = mails.slice(after).findLast((mail) => mail.to === to && mail.template === template);
    if (found) return found;
    await sleep(20);
  }
  throw new Error(`no ${template} mail to ${to}`);
}

/** `inviter` invites `email` to `tenant`; the invite's token, as its mail carries it. */
async function invite(inviter: string, tenant: string, email: string): Promise<string> {
  const before = mails.length;
  const res = await request('POST', '/api/invites', { token: inviter, tenant, body: { email } });
  expect(res.status, await res.clone().text()).toBe(202);
  return (await mailTo(email, 'invite', before)).token;
}

async function newKey(): Promise<string> {
  const res = await request('POST', '/api/api-keys', { token: owner.token, tenant: owner.tenant });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { key: string }).key;
}

/** Sends `count` SDK requests at once with one key: how many were admitted, and one denial. */
async function burst(
  key: string,
  count: number,
): Promise<{ admitted: number; denied: Response | undefined }> {
  let admitted = 0;
  let denied: Response | undefined;
  // Batches of 100 at once until the limit answers (bounded by `count`).
  for (let sent = 0; sent < count && !denied; sent += 100) {
    const answers = await Promise.all(
      Array.from({ length: Math.min(100, count - sent) }, () =>
        request('POST', '/api/sdk/events', { key, body: { events: [{ type: 'page_view' }] } }),
      ),
    );
    for (const res of answers) {
      if (res.status === 202) admitted++;
      else if (res.status === 429 && !denied) {
        denied = res;
        continue;
      }
      await res.body?.cancel();
    }
  }
  return { admitted, denied };
}

const probes: Record<string, Probe> = {
  VALIDATION_ERROR: () =>
    call('POST', '/api/sdk/events', { key: apiKey, body: { events: [{ type: 'clicked' }] } }),
  INVALID_INVITE_TOKEN: () =>
    call('POST', '/api/invites/accept', { token: member.token, body: { token: 'forged' } }),
  INVALID_RESET_TOKEN: () =>
    call('POST', '/api/auth/reset', { body: { token: 'expired-or-forged', password: 'new password 1' } }),
  MISSING_TENANT_ID: async () => {
    // The owner joins a second company: which one is meant must now be said.
    const token = await invite(second.token, second.tenant, 'owner@example.com');
    const accepted = await request('POST', '/api/invites/accept', { token: owner.token, body: { token } });
    expect(accepted.status, await accepted.text()).toBe(200);
    return call('GET', '/api/flows/flow_1', { token: owner.token });
  },
  AUTH_FAILED: () =>
    call('POST', '/api/sdk/events', { token: owner.token, body: { events: [{ type: 'page_view' }] } }),
  AUTH_NO_TOKEN: () => call('GET', '/api/flows/flow_1'),
  AUTH_INVALID_TOKEN: () => call('GET', '/api/flows/flow_1', { token: `${owner.token.slice(0, -2)}xx` }),
  AUTH_TOKEN_REVOKED: async () => {
    const token = await login('second@example.com');
    await request('POST', '/api/auth/logout', { cookie: `token=${token}` });
    return call('GET', '/api/flows/flow_1', { cookie: `token=${token}` });
  },
  AUTH_INVALID_CREDENTIALS: () =>
    call('POST', '/api/auth/login', { body: { email: 'owner@example.com', password: 'guess' } }),
  AUTH_PROVIDER_MISMATCH: async () => {
    const signIn = await request('POST', '/api/auth/google', { body: { idToken: await idToken() } });
    expect(signIn.status, await signIn.text()).toBe(200);
    return call('POST', '/api/auth/login', { body: { email: 'g@example.com', password: 'anything at all' } });
  },
  AUTH_NO_REFRESH_TOKEN: () => call('POST', '/api/auth/refresh'),
  AUTH_INVALID_REFRESH_TOKEN: () => call('POST', '/api/auth/refresh', { cookie: 'refresh=stale' }),
  // A company the caller is not in answers TENANT_NOT_FOUND (no oracle of company ids); 403 is what a
  // cookie-authenticated POST from another site gets.
  FORBIDDEN: () =>
    observe(
      fetch(`${main.url}/api/api-keys`, {
        method: 'POST',
        headers: { cookie: `token=${owner.token}`, origin: 'https://evil.example' },
      }),
    ),
  INSUFFICIENT_ROLE: () => call('POST', '/api/api-keys', { token: member.token }),
  NOT_FOUND: () => call('GET', '/api/tours', { token: owner.token }),
  USER_NOT_FOUND: () => call('GET', '/api/users/usr_missing', { token: owner.token, tenant: owner.tenant }),
  TENANT_NOT_FOUND: () => call('GET', '/api/flows/flow_1', { token: owner.token, tenant: 'ten_missing' }),
  CONTENT_NOT_FOUND: () => call('GET', '/api/flows/flow_404', { token: member.token }),
  EMAIL_EXISTS: () =>
    call('POST', '/api/auth/register', { body: { email: 'owner@example.com', password, company: 'Else' } }),
  TENANT_EXISTS: () =>
    call('POST', '/api/auth/register', {
      body: { email: 'new@example.com', password, company: 'example co' },
    }),
  MEMBER_EXISTS: async () => {
    const token = await invite(owner.token, owner.tenant, 'member@example.com');
    return call('POST', '/api/invites/accept', { token: member.token, body: { token } });
  },
  AUDIENCE_IN_USE: async () => {
    const as = { token: owner.token, tenant: owner.tenant };
    const audience = (await (
      await request('POST', '/api/audiences', { ...as, body: { name: 'trial users' } })
    ).json()) as { id: string };
    await request('POST', '/api/flows', { ...as, body: { title: 'Welcome', audienceId: audience.id } });
    return call('DELETE', `/api/audiences/${audience.id}`, as);
  },
  RATE_LIMITED: async () => {
    const { denied } = await burst(await newKey(), 3000);
    return observe(denied!);
  },
  INTERNAL_ERROR: async () => {
    // The stream the analytics pipeline reads is gone: a fault of the server, never of the caller.
    const token = await login('owner@example.com', ownerPassword, faults.url);
    const made = await request('POST', '/api/api-keys', { token, base: faults.url });
    const { key } = (await made.json()) as { key: string };
    const send = () =>
      request('POST', '/api/sdk/events', {
        key,
        base: faults.url,
        body: { events: [{ type: 'page_view' }] },
      });
    const before = await send();
    expect(before.status).toBe(202);
    await redis.kill();
    try {
      return await observe(send());
    } finally {
      await redis.restart();
      let status = 0;
      for (let i = 0; i < 100 && status !== 202; i++) {
        const res = await send();
        status = res.status;
        await res.body?.cancel();
        if (status !== 202) await sleep(100);
      }
      expect(status, 'events are taken again once Redis is back').toBe(202);
    }
  },
  EXTERNAL_SERVICE_ERROR: () =>
    call('POST', '/api/ai/suggest', {
      token: owner.token,
      tenant: owner.tenant,
      body: { prompt: 'Write a welcome step' },
    }),
  REGISTRATION_FAILED: () =>
    call('POST', '/api/auth/register', {
      base: faults.url,
      body: { email: 'x@example.com', password, company: 'Full Co' },
    }),
};

/** Rows no HTTP request can produce, with the reason: none. */
const unreachable: Record<string, string> = {};

beforeAll(async () => {
  ({ privateKey: googleKey, publicKey } = await generateKeyPair('RS256', { extractable: true }));
  publicPem = await exportSPKI(publicKey);
  otherKey = (await generateKeyPair('RS256')).privateKey;
  ai = createServer((_req, res) => res.writeHead(502).end('upstream down'));
  mailServer = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => {
      raw += chunk;
    });
    req.on('end', () => {
      mails.push(JSON.parse(raw) as Mail);
      res.writeHead(202).end();
    });
  });
  await Promise.all([ai, mailServer].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  const portOf = (s: Server) => (s.address() as { port: number }).port;
  redis = await startRedis();
  [main, faults] = await Promise.all([
    startSeed('002', {
      OWNER_PASSWORD: ownerPassword,
      GOOGLE_CLIENT_ID: clientId,
      GOOGLE_PUBLIC_KEY: publicPem,
      AI_PROVIDER_URL: `http://127.0.0.1:${portOf(ai)}/v1/complete`,
      MAIL_URL: `http://127.0.0.1:${portOf(mailServer)}/mail`,
      AUTH_IP_RATE: '100000',
      SDK_EVENT_BUFFER: '100',
    }),
    startSeed('002', { OWNER_PASSWORD: ownerPassword, MAX_TENANTS: '1', REDIS_URL: redis.url }),
  ]);
  const me = async (token: string) =>
    (await (await request('GET', '/api/me', { token })).json()) as { tenants: { id: string }[] };
  const ownerToken = await login('owner@example.com', ownerPassword);
  owner = { token: ownerToken, tenant: (await me(ownerToken)).tenants[0]!.id };
  second = await signUp('second@example.com', 'Second Co');
  // The member signs in with Google, so has no company of its own, and joins the owner's by invite.
  const signIn = await request('POST', '/api/auth/google', {
    body: { idToken: await idToken({ email: 'member@example.com' }) },
  });
  member = { token: ((await signIn.json()) as { token: string }).token };
  const token = await invite(owner.token, owner.tenant, 'member@example.com');
  const accepted = await request('POST', '/api/invites/accept', { token: member.token, body: { token } });
  expect(accepted.status, await accepted.text()).toBe(200);
  apiKey = await newKey();
}, 90_000);

afterAll(async () => {
  await Promise.all([main?.stop(), faults?.stop()]);
  await redis?.stop();
  ai?.close();
  mailServer?.close();
});

describe('seed 002: every row of the page over HTTP, from the shipped server', () => {
  const rows = rowsOf('002');
  const reached = new Set<string>();
  for (const { key, row } of rows) {
    if (key in unreachable) continue;
    it(`answers ${key} (${row.group}) as the page documents`, { timeout: 30_000 }, async () => {
      const probe = probes[key];
      expect(probe, `no probe for ${key}`).toBeDefined();
      await expectRow(contract, row, await probe!());
      reached.add(key);
    });
  }

  it('reports reachable/total', () => {
    console.log(summary('002', reached, unreachable));
    expect(reached.size + Object.keys(unreachable).length).toBe(rows.length);
  });
});

describe("seed 002: the page's behaviour", () => {
  const seven = ['VALIDATION', 'AUTH', 'NOT_FOUND', 'CONFLICT', 'RATE_LIMIT', 'EXTERNAL_SERVICE', 'INTERNAL'];

  it('answers validation with details[] of { path, message }, as the page example', async () => {
    const res = await call('POST', '/api/sdk/events', {
      key: apiKey,
      body: { events: [{ type: 'clicked' }] },
    });
    expect(JSON.parse((res as { body: string }).body)).toEqual({
      error: {
        message: 'Invalid request body',
        statusCode: 400,
        code: 'VALIDATION_ERROR',
        category: 'VALIDATION',
        details: [{ path: 'events.0.type', message: expect.any(String) }],
      },
    });
  });

  it('gives every code of its catalog one of the seven categories of the page', () => {
    const outside = errors.codes
      .map((code) => [code, errors.entries[code].category] as const)
      .filter(([, category]) => !seven.includes(category));
    expect(outside).toEqual([]);
  });

  it('answers 405, 413 and 415 with a category of the page, never INVALID_REQUEST', async () => {
    const answers = [
      await request('PUT', '/api/health'),
      await fetch(`${main.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'x', password: 'y'.repeat(1024 * 1024 + 1) }),
      }),
      await fetch(`${main.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'email=x',
      }),
    ];
    const seen = await Promise.all(
      answers.map(async (res) => [
        res.status,
        ((await res.json()) as { error: { category: string } }).error.category,
      ]),
    );
    expect(seen.map(([status]) => status)).toEqual([405, 413, 415]);
    for (const [, category] of seen) expect(seven).toContain(category);
  });

  it('admits 600 requests per minute per API key, then answers 429 with Retry-After', async () => {
    const { admitted, denied } = await burst(await newKey(), 1000);
    // Exactly 600 in the minute from the key's first request: a fixed window, however long the burst took.
    expect(admitted).toBe(600);
    expect(denied).toBeDefined();
    const wait = Number(denied!.headers.get('retry-after'));
    // To the end of the key's minute: GCRA, which refills one unit every 100 ms, would ask for 1 s.
    expect(wait).toBeGreaterThan(1);
    expect(wait).toBeLessThanOrEqual(60);
    expect(denied!.headers.get('ratelimit-policy')).toBe('"sdk";q=600;w=60');
    const other = await request('POST', '/api/sdk/events', {
      key: await newKey(),
      body: { events: [{ type: 'page_view' }] },
    });
    expect(other.status).toBe(202);
  });

  it('keeps accepting SDK events past SDK_EVENT_BUFFER: the oldest are evicted, never a 500', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await request('POST', '/api/sdk/events', {
        key: apiKey,
        body: { events: Array.from({ length: 50 }, () => ({ type: 'page_view' })) },
      });
      statuses.push(res.status);
      await res.body?.cancel();
    }
    expect(statuses).toEqual(Array(6).fill(202));
  });

  it('resets a password through the link its mail carries; the old password stops working', async () => {
    await signUp('forgetful@example.com', 'Forgetful Co');
    const before = mails.length;
    const asked = await request('POST', '/api/auth/forgot', { body: { email: 'forgetful@example.com' } });
    expect(asked.status).toBe(202);
    const { token } = await mailTo('forgetful@example.com', 'password-reset', before);
    const reset = await request('POST', '/api/auth/reset', { body: { token, password: 'a brand new one' } });
    expect(reset.status).toBe(204);
    expect(await login('forgetful@example.com', 'a brand new one')).toEqual(expect.any(String));
    const old = await call('POST', '/api/auth/login', { body: { email: 'forgetful@example.com', password } });
    expect(old.kind === 'http' && old.status).toBe(401);
  });
});

describe('seed 002: safe to copy', () => {
  const google = (body: unknown, url = main.url) =>
    observe(
      fetch(`${url}/api/auth/google`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    );
  const answer = (observed: Observed) => {
    if (observed.kind !== 'http') throw new Error(`not an HTTP answer: ${observed.kind}`);
    const body = JSON.parse(observed.body) as { token?: string; error?: { code: string } };
    return { status: observed.status, code: body.error?.code, token: body.token };
  };
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  describe('password guessing', () => {
    /** A seed on a clock the test moves, with two password accounts. */
    async function guarded(options: { authIpRate?: number; loginFailures?: { limit: number } }) {
      let at = Date.UTC(2026, 0, 1);
      const running = await start(0, {
        passwordHashCost: 10,
        clock: { now: () => at },
        log: () => {},
        ...options,
      });
      await running.seed.tours.register('victim@example.com', 'the right password', 'Victim Co');
      await running.seed.tours.register('bystander@example.com', 'the right password', 'Bystander Co');
      const attempt = async (email: string, secret: string) => {
        const res = await fetch(`${running.url}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password: secret }),
        });
        const body = (await res.json()) as { token?: string; error?: { code: string } };
        return { status: res.status, code: body.error?.code, retryAfter: res.headers.get('retry-after') };
      };
      return {
        running,
        login: attempt,
        advance: (ms: number) => {
          at += ms;
        },
      };
    }

    it('limits /api/auth/* per client address in front of authentication: guesses at many accounts end in 429 RATE_LIMITED (express-rate-limit: a limit keyed on what the caller cannot forge)', async () => {
      const { running, login: attempt } = await guarded({ authIpRate: 5 });
      try {
        const seen: (string | undefined)[] = [];
        for (let i = 0; i < 5; i++) seen.push((await attempt(`user${i}@example.com`, 'guess')).code);
        expect(seen).toEqual(Array(5).fill('AUTH_INVALID_CREDENTIALS'));
        const limited = await attempt('victim@example.com', 'the right password');
        expect(limited).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
        expect(Number(limited.retryAfter)).toBeGreaterThan(0);
        // Google sign-in spends from the same budget: it is no way around it.
        const viaGoogle = await fetch(`${running.url}/api/auth/google`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ idToken: 'not.a.jwt' }),
        });
        expect(viaGoogle.status).toBe(429);
        await viaGoogle.body?.cancel();
      } finally {
        await running.close();
      }
    });

    it('locks an account after its failed logins: even the right password answers 429 until the window passes, and other accounts go on', async () => {
      const { running, login: attempt, advance } = await guarded({ loginFailures: { limit: 3 } });
      try {
        for (let i = 0; i < 3; i++)
          expect((await attempt('victim@example.com', `guess ${i}`)).code).toBe('AUTH_INVALID_CREDENTIALS');
        for (const email of ['victim@example.com', 'VICTIM@Example.com']) {
          const locked = await attempt(email, 'the right password');
          expect(locked).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
          expect(Number(locked.retryAfter)).toBeGreaterThan(0);
        }
        expect((await attempt('bystander@example.com', 'the right password')).status).toBe(200);
        advance(15 * 60_000);
        expect((await attempt('victim@example.com', 'the right password')).status).toBe(200);
      } finally {
        await running.close();
      }
    });

    it('verifies at most the limit of concurrent guesses at one account; the rest are refused unchecked', async () => {
      const { running, login: attempt } = await guarded({ loginFailures: { limit: 3 } });
      try {
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) => attempt('victim@example.com', `guess ${i}`)),
        );
        expect(answers.filter((a) => a.code === 'AUTH_INVALID_CREDENTIALS')).toHaveLength(3);
        expect(answers.filter((a) => a.code === 'RATE_LIMITED')).toHaveLength(17);
      } finally {
        await running.close();
      }
    });

    it('locks an unknown address exactly as a real one, so the lock tells nothing of who has an account', async () => {
      const { running, login: attempt } = await guarded({ loginFailures: { limit: 3 } });
      try {
        const trace = async (email: string) => {
          const codes: (string | undefined)[] = [];
          for (let i = 0; i < 5; i++) codes.push((await attempt(email, `guess ${i}`)).code);
          return codes;
        };
        expect(await trace('nobody@example.com')).toEqual(await trace('bystander@example.com'));
        expect(await trace('nobody-else@example.com')).toEqual([
          'AUTH_INVALID_CREDENTIALS',
          'AUTH_INVALID_CREDENTIALS',
          'AUTH_INVALID_CREDENTIALS',
          'RATE_LIMITED',
          'RATE_LIMITED',
        ]);
      } finally {
        await running.close();
      }
    });
  });

  it('answers a password reset request alike for any address, sends at most 3 reset mails an hour to one, and keeps none in memory', async () => {
    const sent: Mail[] = [];
    const mailer: Mailer = { send: async (mail) => void sent.push(mail) };
    const running = await start(0, { passwordHashCost: 10, log: () => {}, mailer, authIpRate: 1000 });
    try {
      await running.seed.tours.register('target@example.com', 'the right password', 'Target Co');
      const forgot = async (email: string) => {
        const res = await fetch(`${running.url}/api/auth/forgot`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email }),
        });
        return { status: res.status, body: await res.text() };
      };
      const known = await forgot('target@example.com');
      const unknown = await forgot('nobody@example.com');
      expect(known).toEqual(unknown);
      expect(known.status).toBe(202);
      for (let i = 0; i < 20; i++) await forgot(i % 2 ? 'TARGET@example.com' : 'target@example.com');
      for (let i = 0; i < 50 && sent.length < 3; i++) await sleep(10);
      expect(sent.map((mail) => [mail.to, mail.template])).toEqual(
        Array(3).fill(['target@example.com', 'password-reset']),
      );
      expect('outbox' in running.seed.tours).toBe(false);
    } finally {
      await running.close();
    }
  });

  it('answers a malformed cookie as the malformed token it is, 401, never 500', async () => {
    // "AUTH_INVALID_TOKEN — JWT token is malformed or expired": the cookie is there, its value cannot be read.
    const res = await call('GET', '/api/flows/flow_1', { cookie: 'token=%E0%A4%A' });
    expect(answer(res)).toMatchObject({ status: 401, code: 'AUTH_INVALID_TOKEN' });
  });

  it('takes the Bearer scheme in any case, as HTTP authentication schemes are', async () => {
    const token = await login('owner@example.com', ownerPassword);
    for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
      const res = await fetch(`${main.url}/api/me`, { headers: { authorization: `${scheme} ${token}` } });
      expect(res.status, await res.clone().text()).toBe(200);
    }
    const basic = await fetch(`${main.url}/api/me`, { headers: { authorization: `Basic ${token}` } });
    const body = (await basic.json()) as { error: { code: string } };
    expect([basic.status, body.error.code]).toEqual([401, 'AUTH_NO_TOKEN']);
  });

  it('signs nobody in from an email alone: {"email":"owner@example.com"} gets no token', async () => {
    expect(answer(await google({ email: 'owner@example.com' }))).toEqual({
      status: 400,
      code: 'VALIDATION_ERROR',
      token: undefined,
    });
  });

  it('refuses a forged, foreign, expired or unsigned ID token with 401 AUTH_INVALID_TOKEN', async () => {
    const at = Math.floor(Date.now() / 1000);
    const claims = {
      iss: 'https://accounts.google.com',
      aud: clientId,
      sub: 'g-1',
      email: 'owner@example.com',
    };
    const forged: Record<string, string> = {
      'signed by another key': await idToken({ key: otherKey }),
      'for another audience': await idToken({ audience: 'another-app.apps.example' }),
      'from another issuer': await idToken({ issuer: 'https://accounts.evil.example' }),
      expired: await idToken({ issuedAt: at - 7200, expiresAt: at - 3600 }),
      'issued in the future': await idToken({ issuedAt: at + 3600, expiresAt: at + 7200 }),
      'with an unverified email': await idToken({ emailVerified: false }),
      'alg none': `${b64({ alg: 'none' })}.${b64({ ...claims, email_verified: true, exp: at + 60 })}.`,
      'HS256 keyed with the public key': await new SignJWT({
        email: 'owner@example.com',
        email_verified: true,
      })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('https://accounts.google.com')
        .setAudience(clientId)
        .setSubject('g-1')
        .setIssuedAt(at)
        .setExpirationTime(at + 60)
        .sign(new TextEncoder().encode(publicPem)),
      'not a JWT': 'not.a.jwt',
    };
    for (const [name, token] of Object.entries(forged)) {
      const observed = await google({ idToken: token });
      expect({ name, ...answer(observed) }).toEqual({
        name,
        status: 401,
        code: 'AUTH_INVALID_TOKEN',
        token: undefined,
      });
    }
  });

  it('signs in with a valid Google ID token, and the session it gets works', async () => {
    const first = answer(
      await google({ idToken: await idToken({ email: 'new-g@example.com', sub: 'g-42' }) }),
    );
    expect(first.status).toBe(200);
    const again = answer(
      await google({ idToken: await idToken({ email: 'new-g@example.com', sub: 'g-42' }) }),
    );
    expect(again.status).toBe(200);
    // Authenticated: what is missing is a company, not a login.
    expect(answer(await call('GET', '/api/flows/flow_1', { token: first.token! }))).toMatchObject({
      status: 400,
      code: 'MISSING_TENANT_ID',
    });
    const ids = [first.token!, again.token!].map(
      (t) => JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()).sub,
    );
    expect(ids[0]).toBe(ids[1]);
  });

  it('answers AUTH_PROVIDER_MISMATCH both ways: a password account via Google, a Google account by password', async () => {
    expect(answer(await google({ idToken: await idToken({ email: 'owner@example.com' }) }))).toEqual({
      status: 401,
      code: 'AUTH_PROVIDER_MISMATCH',
      token: undefined,
    });
    expect(
      answer(await google({ idToken: await idToken({ email: 'both@example.com', sub: 'g-7' }) })).status,
    ).toBe(200);
    expect(
      answer(
        await call('POST', '/api/auth/login', {
          body: { email: 'both@example.com', password: 'a password' },
        }),
      ),
    ).toMatchObject({ status: 401, code: 'AUTH_PROVIDER_MISMATCH' });
  });

  it('answers the provider error EXTERNAL_SERVICE_ERROR when no Google key is configured, even to a well-signed token', async () => {
    const bare = await start(0, { passwordHashCost: 10, log: () => {} });
    try {
      for (const body of [{ email: 'owner@example.com' }, { idToken: await idToken() }])
        expect(answer(await google(body, bare.url))).toEqual({
          status: 500,
          code: 'EXTERNAL_SERVICE_ERROR',
          token: undefined,
        });
    } finally {
      await bare.close();
    }
  });

  it('verifies against a JWKS URL, and answers EXTERNAL_SERVICE_ERROR while the key set cannot be fetched', async () => {
    const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
    let up = true;
    const jwks = createServer((_req, res) => {
      if (!up) return res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/certs`;
    const viaJwks = await start(0, { passwordHashCost: 10, log: () => {}, google: { clientId, jwksUrl } });
    const down = await start(0, { passwordHashCost: 10, log: () => {}, google: { clientId, jwksUrl } });
    try {
      expect(
        answer(await google({ idToken: await idToken({ email: 'jwks@example.com' }) }, viaJwks.url)).status,
      ).toBe(200);
      expect(answer(await google({ idToken: await idToken({ key: otherKey }) }, viaJwks.url)).code).toBe(
        'AUTH_INVALID_TOKEN',
      );
      up = false;
      expect(answer(await google({ idToken: await idToken() }, down.url))).toEqual({
        status: 500,
        code: 'EXTERNAL_SERVICE_ERROR',
        token: undefined,
      });
    } finally {
      await Promise.all([viaJwks.close(), down.close()]);
      jwks.close();
    }
  });

  it('limits SDK requests per IP before the key is looked up: rotating made-up keys ends in 429', async () => {
    const small = await start(0, { passwordHashCost: 10, log: () => {}, sdkIpRate: 10 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 15; i++) {
        const res = await fetch(`${small.url}/api/sdk/events`, {
          method: 'POST',
          headers: { 'x-api-key': `pk_made_up_${i}`, 'content-type': 'application/json' },
          body: JSON.stringify({ events: [{ type: 'page_view' }] }),
        });
        statuses.push(res.status);
        await res.body?.cancel();
      }
      expect(statuses).toEqual([...Array(10).fill(401), ...Array(5).fill(429)]);
    } finally {
      await small.close();
    }
  });
});

describe("seed 002: the page's prose, on a moved clock", () => {
  /** A seed on a clock the test moves, whose mails this test receives. */
  async function onClock() {
    let at = Date.UTC(2026, 0, 1);
    const sent: Mail[] = [];
    const running = await start(0, {
      passwordHashCost: 10,
      clock: { now: () => at },
      log: () => {},
      mailer: { send: async (mail) => void sent.push(mail) },
    });
    const send = (
      method: string,
      path: string,
      init: { token?: string; key?: string; tenant?: string; body?: unknown } = {},
    ) =>
      fetch(`${running.url}${path}`, {
        method,
        headers: {
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          ...(init.key ? { 'x-api-key': init.key } : {}),
          ...(init.tenant ? { 'x-tenant-id': init.tenant } : {}),
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
    const signIn = async (email: string) => {
      const res = await send('POST', '/api/auth/login', { body: { email, password } });
      return ((await res.json()) as { token: string }).token;
    };
    const signUp = async (email: string, company: string) => {
      const reg = await send('POST', '/api/auth/register', { body: { email, password, company } });
      const { tenantId } = (await reg.json()) as { tenantId: string };
      return { token: await signIn(email), tenant: tenantId };
    };
    return {
      running,
      send,
      signIn,
      signUp,
      sent,
      advance: (ms: number) => {
        at += ms;
      },
    };
  }
  const events = { events: [{ type: 'page_view' }] };
  const codeOf = async (res: Response) => ({
    status: res.status,
    code: ((await res.json().catch(() => ({}))) as { error?: { code: string } }).error?.code,
  });

  it('revokes an API key: it then answers 401 AUTH_FAILED, and other keys go on', async () => {
    const { running, send, signUp } = await onClock();
    try {
      const { token } = await signUp('keys@example.com', 'Keys Co');
      const made = (await (await send('POST', '/api/api-keys', { token })).json()) as {
        id: string;
        key: string;
      };
      const other = (await (await send('POST', '/api/api-keys', { token })).json()) as { key: string };
      expect((await send('POST', '/api/sdk/events', { key: made.key, body: events })).status).toBe(202);
      const listed = (await (await send('GET', '/api/api-keys', { token })).json()) as {
        keys: { id: string }[];
      };
      expect(listed.keys.map((k) => k.id)).toContain(made.id);
      expect(JSON.stringify(listed)).not.toContain(made.key);
      expect((await send('DELETE', `/api/api-keys/${made.id}`, { token })).status).toBe(204);
      expect(await codeOf(await send('POST', '/api/sdk/events', { key: made.key, body: events }))).toEqual({
        status: 401,
        code: 'AUTH_FAILED',
      });
      expect((await send('POST', '/api/sdk/events', { key: other.key, body: events })).status).toBe(202);
      // Another company's admin cannot revoke it, nor learn that it exists.
      const stranger = (await signUp('stranger@example.com', 'Stranger Co')).token;
      const theirs = await codeOf(await send('DELETE', `/api/api-keys/${made.id}`, { token: stranger }));
      const none = await codeOf(await send('DELETE', '/api/api-keys/key_nope', { token: stranger }));
      expect(theirs).toEqual(none);
      expect(none.status).toBe(404);
    } finally {
      await running.close();
    }
  });

  it('expires an API key after its lifetime: 401 AUTH_FAILED', async () => {
    const { running, send, signUp, advance } = await onClock();
    try {
      const { token } = await signUp('expiry@example.com', 'Expiry Co');
      const made = (await (
        await send('POST', '/api/api-keys', { token, body: { expiresInDays: 30 } })
      ).json()) as {
        key: string;
        expiresAt: string;
      };
      expect(made.expiresAt).toBe(new Date(Date.UTC(2026, 0, 31)).toISOString());
      advance(29 * 86_400_000);
      expect((await send('POST', '/api/sdk/events', { key: made.key, body: events })).status).toBe(202);
      advance(86_400_000);
      expect(await codeOf(await send('POST', '/api/sdk/events', { key: made.key, body: events }))).toEqual({
        status: 401,
        code: 'AUTH_FAILED',
      });
    } finally {
      await running.close();
    }
  });

  it('expires an invite after 7 days: 400 INVALID_INVITE_TOKEN', async () => {
    const { running, send, signIn, signUp, sent, advance } = await onClock();
    try {
      const boss = await signUp('boss@example.com', 'Invite Co');
      await signUp('guest@example.com', 'Guest Co');
      const invite = async () => {
        const res = await send('POST', '/api/invites', {
          token: await signIn('boss@example.com'),
          tenant: boss.tenant,
          body: { email: 'guest@example.com' },
        });
        expect(res.status).toBe(202);
        await res.body?.cancel();
        return sent.at(-1)!.token;
      };
      const accept = async (token: string) =>
        send('POST', '/api/invites/accept', { token: await signIn('guest@example.com'), body: { token } });
      const stale = await invite();
      advance(7 * 86_400_000 + 1);
      expect(await codeOf(await accept(stale))).toEqual({ status: 400, code: 'INVALID_INVITE_TOKEN' });
      const fresh = await invite();
      advance(6 * 86_400_000);
      expect((await accept(fresh)).status).toBe(200);
    } finally {
      await running.close();
    }
  });

  it('answers an invite whose mail cannot be sent with 500 EXTERNAL_SERVICE_ERROR (no MAIL_URL: mail is off)', async () => {
    const running = await start(0, { passwordHashCost: 10, log: () => {} });
    try {
      const reg = await fetch(`${running.url}/api/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'solo@example.com', password, company: 'Solo Co' }),
      });
      expect(reg.status).toBe(201);
      const login = await fetch(`${running.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'solo@example.com', password }),
      });
      const { token } = (await login.json()) as { token: string };
      const res = await fetch(`${running.url}/api/invites`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'friend@example.com' }),
      });
      expect(await codeOf(res)).toEqual({ status: 500, code: 'EXTERNAL_SERVICE_ERROR' });
    } finally {
      await running.close();
    }
  });
});
