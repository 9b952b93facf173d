import { createServer, type Server } from 'node:http';
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors, format } from '../../examples/reference/002.js';
import { start } from '../../examples/seeds/002/app.js';
import type { LogLine } from '../../examples/seeds/shared/run.js';
import { freePort, type Started, startCommand } from '../helpers/spawn.js';
import { expectRow, type Observed, observe, type Probe, rowsOf, summary } from './harness.js';

const now = Date.UTC(2026, 0, 1);
const clock = { now: () => now };
const log: LogLine[] = [];
let seed: Awaited<ReturnType<typeof start>>;
let ai: Server;
let aiUrl: string;
let owner: { token: string; tenant: string };
let member: { token: string };
let apiKey: string;

const contract = { catalog: errors, format, correlationHeader: 'x-request-id' };

/** The Google sign-in the tests configure: a key pair made here, the public half given to the seed. */
const clientId = 'tours-web.apps.example';
let googleKey: CryptoKey;
let otherKey: CryptoKey;
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
/** A Google ID token as Google signs one (RS256, iss, aud, sub, email, iat, exp), at the seed's clock. */
function idToken(init: IdTokenInit = {}, at = now): Promise<string> {
  const email = init.email ?? 'g@example.com';
  const issuedAt = init.issuedAt ?? Math.floor(at / 1000);
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
}

function request(method: string, path: string, init: Init = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.cookie) headers.cookie = init.cookie;
  if (init.tenant) headers['x-tenant-id'] = init.tenant;
  if (init.key) headers['x-api-key'] = init.key;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${seed.url}${path}`, {
    method,
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}
const call = (method: string, path: string, init?: Init): Promise<Observed> =>
  observe(request(method, path, init));

async function signUp(email: string, company: string): Promise<{ token: string; tenant: string }> {
  const reg = await request('POST', '/api/auth/register', {
    body: { email, password: 'long enough pw', company },
  });
  expect(reg.status, await reg.clone().text()).toBe(201);
  const { tenantId } = (await reg.json()) as { tenantId: string };
  const login = await request('POST', '/api/auth/login', { body: { email, password: 'long enough pw' } });
  return { token: ((await login.json()) as { token: string }).token, tenant: tenantId };
}

const probes: Record<string, Probe> = {
  VALIDATION_ERROR: () =>
    call('POST', '/api/sdk/events', { key: apiKey, body: { events: [{ type: 'clicked' }] } }),
  INVALID_INVITE_TOKEN: () =>
    call('POST', '/api/invites/accept', { token: member.token, body: { token: 'forged' } }),
  INVALID_RESET_TOKEN: () =>
    call('POST', '/api/auth/reset', { body: { token: 'expired-or-forged', password: 'new password 1' } }),
  MISSING_TENANT_ID: async () => {
    // The owner now belongs to two companies: which one is meant must be said.
    await fetch(`${seed.url}/api/invites`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${second.token}`,
        'content-type': 'application/json',
        'x-tenant-id': second.tenant,
      },
      body: JSON.stringify({ email: 'owner@example.com' }),
    }).then((r) => r.text());
    const token = seed.seed.tours.outbox.at(-1)!.token;
    await request('POST', '/api/invites/accept', { token: owner.token, body: { token } }).then((r) =>
      r.text(),
    );
    return call('GET', '/api/flows/flow_1', { token: owner.token });
  },
  AUTH_FAILED: () =>
    call('POST', '/api/sdk/events', { token: owner.token, body: { events: [{ type: 'page_view' }] } }),
  AUTH_NO_TOKEN: () => call('GET', '/api/flows/flow_1'),
  AUTH_INVALID_TOKEN: () => call('GET', '/api/flows/flow_1', { token: `${owner.token.slice(0, -2)}xx` }),
  AUTH_TOKEN_REVOKED: async () => {
    const login = await request('POST', '/api/auth/login', {
      body: { email: 'member@example.com', password: 'long enough pw' },
    });
    const { token } = (await login.json()) as { token: string };
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
  FORBIDDEN: () => call('GET', '/api/flows/flow_1', { token: member.token, tenant: second.tenant }),
  INSUFFICIENT_ROLE: () => call('POST', '/api/api-keys', { token: member.token }),
  NOT_FOUND: () => call('GET', '/api/tours', { token: owner.token }),
  USER_NOT_FOUND: () => call('GET', '/api/users/usr_missing', { token: owner.token, tenant: owner.tenant }),
  TENANT_NOT_FOUND: () => call('GET', '/api/flows/flow_1', { token: owner.token, tenant: 'ten_missing' }),
  CONTENT_NOT_FOUND: () => call('GET', '/api/flows/flow_404', { token: member.token }),
  EMAIL_EXISTS: () =>
    call('POST', '/api/auth/register', {
      body: { email: 'owner@example.com', password: 'long enough pw', company: 'Else' },
    }),
  TENANT_EXISTS: () =>
    call('POST', '/api/auth/register', {
      body: { email: 'new@example.com', password: 'long enough pw', company: 'acme' },
    }),
  MEMBER_EXISTS: async () => {
    await request('POST', '/api/invites', {
      token: owner.token,
      tenant: owner.tenant,
      body: { email: 'member@example.com' },
    });
    const token = seed.seed.tours.outbox.at(-1)!.token;
    return call('POST', '/api/invites/accept', { token: member.token, body: { token } });
  },
  AUDIENCE_IN_USE: async () => {
    const audience = (await (
      await request('POST', '/api/audiences', {
        token: owner.token,
        tenant: owner.tenant,
        body: { name: 'trial users' },
      })
    ).json()) as { id: string };
    await request('POST', '/api/flows', {
      token: owner.token,
      tenant: owner.tenant,
      body: { title: 'Welcome', audienceId: audience.id },
    });
    return call('DELETE', `/api/audiences/${audience.id}`, { token: owner.token, tenant: owner.tenant });
  },
  RATE_LIMITED: async () => {
    const { denied } = await burst(await newKey(), 3000);
    return observe(denied!);
  },
  INTERNAL_ERROR: async () => {
    // The analytics pipeline's storage fails: a fault of the server, never of the caller.
    const broken = {
      append() {
        throw new Error('event store write failed');
      },
    };
    const other = await start(0, { clock, log: () => {}, eventSink: broken });
    try {
      const { tenant } = other.seed.tours.register('o@example.com', 'long enough pw', 'Buffer Co');
      const { key } = other.seed.tours.createApiKey(tenant);
      return await observe(
        fetch(`${other.url}/api/sdk/events`, {
          method: 'POST',
          headers: { 'x-api-key': key, 'content-type': 'application/json' },
          body: JSON.stringify({ events: [{ type: 'page_view' }] }),
        }),
      );
    } finally {
      await other.close();
    }
  },
  EXTERNAL_SERVICE_ERROR: () =>
    call('POST', '/api/ai/suggest', {
      token: owner.token,
      tenant: owner.tenant,
      body: { prompt: 'Write a welcome step' },
    }),
  REGISTRATION_FAILED: async () => {
    const other = await start(0, { clock, log: () => {}, maxTenants: 0 });
    try {
      return await observe(
        fetch(`${other.url}/api/auth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'x@example.com', password: 'long enough pw', company: 'Full Co' }),
        }),
      );
    } finally {
      await other.close();
    }
  },
};

let second: { token: string; tenant: string };
let publicPemKey: CryptoKey;

/** Sends `count` SDK requests at once with one key: how many were admitted, and one denial. */
async function burst(
  key: string,
  count: number,
): Promise<{ admitted: number; denied: Response | undefined }> {
  let admitted = 0;
  let denied: Response | undefined;
  // Batches of 100 at once until the limit answers (bounded by `count`): a slow machine refills more.
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

async function newKey(): Promise<string> {
  const res = await request('POST', '/api/api-keys', { token: owner.token, tenant: owner.tenant });
  return ((await res.json()) as { key: string }).key;
}

const unreachable: Record<string, string> = {};

beforeAll(async () => {
  ({ privateKey: googleKey, publicKey: publicPemKey } = await generateKeyPair('RS256', {
    extractable: true,
  }));
  publicPem = await exportSPKI(publicPemKey);
  otherKey = (await generateKeyPair('RS256')).privateKey;
  ai = createServer((_req, res) => res.writeHead(502).end('upstream down'));
  await new Promise<void>((resolve) => ai.listen(0, '127.0.0.1', resolve));
  aiUrl = `http://127.0.0.1:${(ai.address() as { port: number }).port}`;
  seed = await start(0, {
    clock,
    authIpRate: 100_000,
    log: (line) => log.push(line),
    aiProvider: aiUrl,
    google: { clientId, publicKey: publicPem },
  });
  owner = await signUp('owner@example.com', 'Acme');
  second = await signUp('second@example.com', 'Second Co');
  await request('POST', '/api/invites', {
    token: owner.token,
    tenant: owner.tenant,
    body: { email: 'member@example.com' },
  });
  const invite = seed.seed.tours.outbox.at(-1)!.token;
  const reg = await request('POST', '/api/auth/register', {
    body: { email: 'member@example.com', password: 'long enough pw', company: 'Member Own Co' },
  });
  expect(reg.status).toBe(201);
  const login = await request('POST', '/api/auth/login', {
    body: { email: 'member@example.com', password: 'long enough pw' },
  });
  member = { token: ((await login.json()) as { token: string }).token };
  // The member keeps one company: leave its own for the invited one.
  const own = [...seed.seed.tours.tenants.values()].find((t) => t.name === 'Member Own Co')!;
  seed.seed.tours.tenants.delete(own.id);
  await request('POST', '/api/invites/accept', { token: member.token, body: { token: invite } });
  apiKey = await newKey();
});

afterAll(async () => {
  await seed?.close();
  ai?.close();
});

describe('seed 002: the product-tour API on Fastify', () => {
  const rows = rowsOf('002');
  const reached = new Set<string>();
  for (const { key, row } of rows) {
    if (key in unreachable) continue;
    it(`answers ${key} (${row.group}) as the page documents`, async () => {
      const probe = probes[key];
      expect(probe, `no probe for ${key}`).toBeDefined();
      expectRow(contract, row, await probe!());
      reached.add(key);
    });
  }

  it('answers validation with details[] of { path, message }, as the page example', async () => {
    const res = await call('POST', '/api/sdk/events', {
      key: apiKey,
      body: { events: [{ type: 'clicked' }] },
    });
    const body = JSON.parse((res as { body: string }).body);
    expect(body).toEqual({
      error: {
        message: 'Invalid request body',
        statusCode: 400,
        code: 'VALIDATION_ERROR',
        category: 'VALIDATION',
        details: [{ path: 'events.0.type', message: expect.any(String) }],
      },
    });
  });

  it('gives every answer one of the seven categories of the page', async () => {
    const categories = new Set([
      'VALIDATION',
      'AUTH',
      'NOT_FOUND',
      'CONFLICT',
      'RATE_LIMIT',
      'EXTERNAL_SERVICE',
      'INTERNAL',
    ]);
    for (const code of ['AUTH_NO_TOKEN', 'NOT_FOUND', 'VALIDATION_ERROR'] as const)
      expect(categories.has(errors.entries[code].category)).toBe(true);
    const res = await call('GET', '/api/flows/flow_1');
    expect(JSON.parse((res as { body: string }).body).error.category).toBe('AUTH');
  });

  it('admits 600 requests per minute per API key, then answers 429 with Retry-After', async () => {
    const key = await newKey();
    const { admitted, denied } = await burst(key, 3000);
    // 600 at once, plus what the window refilled while the burst was sent (one every 100 ms).
    expect(admitted).toBeGreaterThanOrEqual(600);
    expect(denied).toBeDefined();
    expect(Number(denied!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(denied!.headers.get('ratelimit-policy')).toBe('"sdk";q=600;w=60');
    const other = await request('POST', '/api/sdk/events', {
      key: await newKey(),
      body: { events: [{ type: 'page_view' }] },
    });
    expect(other.status).toBe(202);
  });

  it('reports reachable/total', () => {
    console.log(summary('002', reached, unreachable));
    expect(reached.size + Object.keys(unreachable).length).toBe(rows.length);
  });
});

describe('seed 002: safe to copy', () => {
  const google = (body: unknown, url = seed.url) =>
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
      const running = await start(0, { clock: { now: () => at }, log: () => {}, ...options });
      running.seed.tours.register('victim@example.com', 'the right password', 'Victim Co');
      running.seed.tours.register('bystander@example.com', 'the right password', 'Bystander Co');
      const login = async (email: string, password: string) => {
        const res = await fetch(`${running.url}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password }),
        });
        const body = (await res.json()) as { token?: string; error?: { code: string } };
        return { status: res.status, code: body.error?.code, retryAfter: res.headers.get('retry-after') };
      };
      return {
        running,
        login,
        advance: (ms: number) => {
          at += ms;
        },
      };
    }

    it('limits /api/auth/* per client address in front of authentication: guesses at many accounts end in 429 RATE_LIMITED (express-rate-limit: a limit keyed on what the caller cannot forge)', async () => {
      const { running, login } = await guarded({ authIpRate: 5 });
      try {
        const seen: (string | undefined)[] = [];
        for (let i = 0; i < 5; i++) seen.push((await login(`user${i}@example.com`, 'guess')).code);
        expect(seen).toEqual(Array(5).fill('AUTH_INVALID_CREDENTIALS'));
        const limited = await login('victim@example.com', 'the right password');
        expect(limited).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
        expect(Number(limited.retryAfter)).toBeGreaterThan(0);
        // Google sign-in spends from the same budget: it is no way around it.
        const google = await fetch(`${running.url}/api/auth/google`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ idToken: 'not.a.jwt' }),
        });
        expect(google.status).toBe(429);
        await google.body?.cancel();
      } finally {
        await running.close();
      }
    });

    it('locks an account after its failed logins: even the right password answers 429 until the window passes, and other accounts go on', async () => {
      const { running, login, advance } = await guarded({ loginFailures: { limit: 3 } });
      try {
        for (let i = 0; i < 3; i++)
          expect((await login('victim@example.com', `guess ${i}`)).code).toBe('AUTH_INVALID_CREDENTIALS');
        for (const email of ['victim@example.com', 'VICTIM@Example.com']) {
          const locked = await login(email, 'the right password');
          expect(locked).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
          expect(Number(locked.retryAfter)).toBeGreaterThan(0);
        }
        expect((await login('bystander@example.com', 'the right password')).status).toBe(200);
        advance(15 * 60_000);
        expect((await login('victim@example.com', 'the right password')).status).toBe(200);
      } finally {
        await running.close();
      }
    });

    it('verifies at most the limit of concurrent guesses at one account; the rest are refused unchecked', async () => {
      const { running, login } = await guarded({ loginFailures: { limit: 3 } });
      try {
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) => login('victim@example.com', `guess ${i}`)),
        );
        expect(answers.filter((a) => a.code === 'AUTH_INVALID_CREDENTIALS')).toHaveLength(3);
        expect(answers.filter((a) => a.code === 'RATE_LIMITED')).toHaveLength(17);
      } finally {
        await running.close();
      }
    });

    it('locks an unknown address exactly as a real one, so the lock tells nothing of who has an account', async () => {
      const { running, login } = await guarded({ loginFailures: { limit: 3 } });
      try {
        const trace = async (email: string) => {
          const codes: (string | undefined)[] = [];
          for (let i = 0; i < 5; i++) codes.push((await login(email, `guess ${i}`)).code);
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

  it('signs nobody in from an email alone: {"email":"owner@example.com"} gets no token', async () => {
    expect(answer(await google({ email: 'owner@example.com' }))).toEqual({
      status: 400,
      code: 'VALIDATION_ERROR',
      token: undefined,
    });
  });

  it('refuses a forged, foreign, expired or unsigned ID token with 401 AUTH_INVALID_TOKEN', async () => {
    const at = Math.floor(now / 1000);
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
    const bare = await start(0, { clock, log: () => {} });
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
    const jwk = { ...(await exportJWK(publicPemKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
    let up = true;
    const jwks = createServer((_req, res) => {
      if (!up) return res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/certs`;
    const viaJwks = await start(0, { clock, log: () => {}, google: { clientId, jwksUrl } });
    const down = await start(0, { clock, log: () => {}, google: { clientId, jwksUrl } });
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

  it('keeps accepting SDK events past its buffer bound: the oldest are evicted, never a 500', async () => {
    const small = await start(0, { clock, log: () => {}, eventBuffer: 20 });
    try {
      const send = (path: string, init: { key?: string; token?: string; body?: unknown }) =>
        fetch(`${small.url}${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(init.key ? { 'x-api-key': init.key } : {}),
            ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          },
          body: JSON.stringify(init.body ?? {}),
        });
      await send('/api/auth/register', {
        body: { email: 'sdk@example.com', password: 'long enough pw', company: 'SDK Co' },
      });
      const login = await send('/api/auth/login', {
        body: { email: 'sdk@example.com', password: 'long enough pw' },
      });
      const { token } = (await login.json()) as { token: string };
      const { key } = (await (await send('/api/api-keys', { token })).json()) as { key: string };
      const statuses: number[] = [];
      for (const size of [5, 5, 5, 5, 5, 5, 5, 5, 500, 1]) {
        const res = await send('/api/sdk/events', {
          key,
          body: { events: Array.from({ length: size }, () => ({ type: 'page_view' })) },
        });
        statuses.push(res.status);
        await res.body?.cancel();
      }
      expect(statuses).toEqual(Array(10).fill(202));
    } finally {
      await small.close();
    }
  });

  it('limits SDK requests per IP before the key is looked up: rotating made-up keys ends in 429', async () => {
    const small = await start(0, { clock, log: () => {}, sdkIpRate: 10 });
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

  describe('the shipped server.ts, configured by its environment', () => {
    let running: Started | undefined;
    let url: string;
    afterAll(() => running?.stop());

    it('verifies Google ID tokens against GOOGLE_PUBLIC_KEY and keeps accepting events past SDK_EVENT_BUFFER', {
      timeout: 90_000,
    }, async () => {
      const port = await freePort();
      const saved = { ...process.env };
      Object.assign(process.env, {
        GOOGLE_PUBLIC_KEY: publicPem,
        GOOGLE_CLIENT_ID: clientId,
        SDK_EVENT_BUFFER: '100',
      });
      try {
        running = await startCommand('npx', ['tsx', 'examples/seeds/002/server.ts'], port, 60_000);
      } finally {
        process.env = saved;
      }
      url = `http://127.0.0.1:${port}`;
      const at = Date.now();
      // The seeded owner is a password account: neither an email nor a Google token signs in as it.
      expect(answer(await google({ email: 'owner@example.com' }, url)).token).toBeUndefined();
      expect(
        answer(await google({ idToken: await idToken({ email: 'owner@example.com' }, at) }, url)),
      ).toEqual({
        status: 401,
        code: 'AUTH_PROVIDER_MISMATCH',
        token: undefined,
      });
      expect(
        answer(await google({ idToken: await idToken({ email: 'env@example.com' }, at) }, url)).status,
      ).toBe(200);
      // Past the configured bound (100 events) several times over: every batch is accepted.
      const headers = { 'content-type': 'application/json' };
      await fetch(`${url}/api/auth/register`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ email: 'sdk@example.com', password: 'long enough pw', company: 'SDK Co' }),
      }).then((r) => r.text());
      const login = await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ email: 'sdk@example.com', password: 'long enough pw' }),
      });
      const { token } = (await login.json()) as { token: string };
      const made = await fetch(`${url}/api/api-keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      const { key } = (await made.json()) as { key: string };
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await fetch(`${url}/api/sdk/events`, {
          method: 'POST',
          headers: { ...headers, 'x-api-key': key },
          body: JSON.stringify({ events: Array.from({ length: 50 }, () => ({ type: 'page_view' })) }),
        });
        statuses.push(res.status);
        await res.body?.cancel();
      }
      expect(statuses).toEqual(Array(6).fill(202));
    });
  });
});

describe("seed 002: the page's prose", () => {
  const seven = ['VALIDATION', 'AUTH', 'NOT_FOUND', 'CONFLICT', 'RATE_LIMIT', 'EXTERNAL_SERVICE', 'INTERNAL'];

  it('gives every code of its catalog one of the seven categories of the page', () => {
    const outside = errors.codes
      .map((code) => [code, errors.entries[code].category] as const)
      .filter(([, category]) => !seven.includes(category));
    expect(outside).toEqual([]);
  });

  it('answers 405, 413 and 415 with a category of the page, never INVALID_REQUEST', async () => {
    const answers = [
      await request('PUT', '/api/health'),
      await fetch(`${seed.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'x', password: 'y'.repeat(1024 * 1024 + 1) }),
      }),
      await fetch(`${seed.url}/api/auth/login`, {
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

  /** A seed on a clock the test moves, with an owner signed in. */
  async function onClock() {
    let at = Date.UTC(2026, 0, 1);
    const running = await start(0, { clock: { now: () => at }, log: () => {} });
    const send = (
      method: string,
      path: string,
      init: { token?: string; key?: string; body?: unknown } = {},
    ) =>
      fetch(`${running.url}${path}`, {
        method,
        headers: {
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          ...(init.key ? { 'x-api-key': init.key } : {}),
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
    const signUp = async (email: string, company: string) => {
      await send('POST', '/api/auth/register', { body: { email, password: 'long enough pw', company } });
      const login = await send('POST', '/api/auth/login', { body: { email, password: 'long enough pw' } });
      return ((await login.json()) as { token: string }).token;
    };
    return {
      running,
      send,
      signUp,
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
      const token = await signUp('keys@example.com', 'Keys Co');
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
      const stranger = await signUp('stranger@example.com', 'Stranger Co');
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
      const token = await signUp('expiry@example.com', 'Expiry Co');
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
    const { running, send, signUp, advance } = await onClock();
    const signInAs = async (email: string) => {
      const login = await send('POST', '/api/auth/login', { body: { email, password: 'long enough pw' } });
      return ((await login.json()) as { token: string }).token;
    };
    try {
      await signUp('boss@example.com', 'Invite Co');
      await signUp('guest@example.com', 'Guest Co');
      const tenantId = (running.seed.tours.tenants.values().next().value as { id: string }).id;
      const invite = async () => {
        const sent = await fetch(`${running.url}/api/invites`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${await signInAs('boss@example.com')}`,
            'content-type': 'application/json',
            'x-tenant-id': tenantId,
          },
          body: JSON.stringify({ email: 'guest@example.com' }),
        });
        expect(sent.status).toBe(202);
        await sent.body?.cancel();
        return running.seed.tours.outbox.at(-1)!.token;
      };
      const accept = async (token: string) =>
        send('POST', '/api/invites/accept', { token: await signInAs('guest@example.com'), body: { token } });
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
});
