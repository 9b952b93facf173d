/**
 * Seed 004's conformance run. The shipped `server.ts` runs in its own process, configured by environment
 * only: the upstreams (telephony provider, reply-draft service, mail relay) are a stand-in server of this
 * file, the license-signing key and the Google key are made here, and the short timeouts are set through
 * the variables that exist for it. Every row of the page is reached over HTTP, with the data the server
 * seeds at start (owner, platform admin, a workspace, a ticket) and the routes it documents; every other
 * user, workspace, widget, ban, plan, suspension and license is made through the API.
 *
 * Rows not reached over HTTP: none. Of the nine standard codes the catalog keeps beside the page's rows
 * (the page counts 66 codes), INTERNAL_ERROR alone is not produced: it answers a failure no route
 * expects, and the seed has no request that fails unexpectedly.
 *
 * A second process (`aux`) has what one process cannot have at once with the first: a 2-second idle
 * window (AUTH_SESSION_IDLE_EXPIRED), no license-signing key (LICENSE_SIGNING_KEY_MISSING), no Google
 * configuration, and a monthly call quota under the daily one.
 */
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CryptoKey, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors, format } from '../../examples/reference/004.js';
import { start } from '../../examples/seeds/004/app.js';
import { type SeedProcess, startSeed004 } from './004-server.js';
import { expectRow, type Observed, observe, type Probe, rowsOf, summary } from './harness.js';

const contract = { catalog: errors, format, correlationHeader: 'x-request-id' };
const clientId = 'voice-web.apps.example';
const password = () => randomBytes(12).toString('base64url');
const passwords = { owner: password(), admin: password() };
let googleKey: CryptoKey;
let otherKey: CryptoKey;
let main: SeedProcess;
let aux: SeedProcess;
let upstream: Server;
let upstreamUrl: string;
/** The mails the seed sent through the mail relay. */
const mails: { to: string; subject: string; text: string }[] = [];

/** Tokens and ids made in `beforeAll`. */
const t = { owner: '', admin: '', outsider: '', outsiderId: '', ownerId: '', adminId: '' };
let ws = '';
let other = '';

interface Init {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  raw?: Uint8Array;
  /** The server's base URL. @default the main process */
  base?: string;
}
function request(method: string, path: string, init: Init = {}): Promise<Response> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let body: string | Uint8Array | undefined = init.raw;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] = 'application/json';
  }
  return fetch(`${init.base ?? main.url}${path}`, { method, headers, body: body as BodyInit | undefined });
}
const call = (method: string, path: string, init?: Init): Promise<Observed> =>
  observe(request(method, path, init));
async function json<T>(res: Promise<Response>, status = 201): Promise<T> {
  const answer = await res;
  expect(answer.status, await answer.clone().text()).toBe(status);
  return (await answer.json()) as T;
}
const bodyOf = (observed: Observed) =>
  JSON.parse(observed.kind === 'http' ? observed.body : 'null') as Record<string, unknown>;

async function login(email: string, secret: string, base = main.url): Promise<string> {
  const answer = request('POST', '/auth/login', { body: { email, password: secret }, base });
  return (await json<{ token: string }>(answer, 200)).token;
}

/** A Google ID token as Google signs one (RS256, iss, aud, sub, email, iat, exp). */
function idToken(
  init: {
    email?: string;
    emailVerified?: boolean;
    sub?: string;
    audience?: string;
    issuer?: string;
    issuedAt?: number;
    expiresAt?: number;
    key?: CryptoKey;
  } = {},
): Promise<string> {
  const email = init.email ?? 'g@example.com';
  const issuedAt = init.issuedAt ?? Math.floor(Date.now() / 1000);
  return new SignJWT({ email, email_verified: init.emailVerified ?? true })
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(init.issuer ?? 'https://accounts.google.com')
    .setAudience(init.audience ?? clientId)
    .setSubject(init.sub ?? `google-${email}`)
    .setIssuedAt(issuedAt)
    .setExpirationTime(init.expiresAt ?? issuedAt + 3600)
    .sign(init.key ?? googleKey);
}

/** The last mail to `to` whose subject contains `subject`, waiting for it (at most 5 s). */
async function mailTo(to: string, subject: string, after = 0): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const mail = mails.slice(after).findLast((m) => m.to === to && m.subject.includes(subject));
    if (mail) return mail.text;
    await sleep(50);
  }
  throw new Error(`no mail "${subject}" to ${to}`);
}

const W = () => `/workspaces/${ws}`;
const dialBody = (to = '+14155550100', extra: object = {}) => ({ to, agent: 'agt_1', ...extra });
/** The number of each workspace `workspace()` made: a number is one workspace's at a time. */
const numbers = new Map<string, string>();
/** `body` of a call from `workspace`: from its number (the seeded one's, +14155550001), unless it names one. */
const callFrom = (workspace: string, body: object) => ({
  from: numbers.get(workspace) ?? '+14155550001',
  ...body,
});
const dial = (workspace: string, body: object, headers: Record<string, string> = {}, base = main.url) =>
  call('POST', `/workspaces/${workspace}/calls`, {
    token: t.owner,
    body: callFrom(workspace, body),
    headers,
    base,
  });

async function liveCall(): Promise<string> {
  return (
    await json<{ id: string }>(
      request('POST', `${W()}/calls`, { token: t.owner, body: callFrom(ws, dialBody()) }),
    )
  ).id;
}

/**
 * A new workspace of the owner, set up over HTTP as its owner would: a provider credential, a number of its
 * own (in `numbers`) and an agent agt_1 with a voice; a platform admin puts it on `plan` when given.
 */
async function workspace(plan?: string, base = main.url, token = t.owner, admin = t.admin): Promise<string> {
  const { id } = await json<{ id: string }>(
    request('POST', '/workspaces', { token, body: { name: 'Probe' }, base }),
  );
  const at = `/workspaces/${id}`;
  await json(
    request('PUT', `${at}/provider`, { token, body: { id: 'twilio', credential: 'AC-probe' }, base }),
    200,
  );
  const number = `+1415556${String(numbers.size).padStart(4, '0')}`;
  await json(request('POST', `${at}/numbers`, { token, body: { number }, base }));
  numbers.set(id, number);
  await json(request('POST', `${at}/agents`, { token, body: { name: 'Probe', voice: 'alloy' }, base }));
  if (plan)
    await json(
      request('PUT', `/admin/workspaces/${id}/subscription`, { token: admin, body: { plan }, base }),
      200,
    );
  return id;
}
const asAdmin = (method: string, path: string, body?: unknown) =>
  json(request(method, path, { token: t.admin, ...(body === undefined ? {} : { body }) }), 200);

async function addWidget(
  init: Partial<{ maxSessionsPerDay: number; maxSessionsPerVisitorPerDay: number }> = {},
  at = ws,
) {
  return json<{ id: string }>(
    request('POST', `/workspaces/${at}/widgets`, {
      token: t.owner,
      body: {
        origins: ['https://shop.example'],
        maxSessionsPerDay: 100,
        maxSessionsPerVisitorPerDay: 10,
        ...init,
      },
    }),
  );
}
const widgetStart = (id: string, visitor = 'v1', origin = 'https://shop.example') =>
  call('POST', `/widgets/${id}/sessions`, { body: { visitorId: visitor }, headers: { origin } });

async function ticket(): Promise<{ ref: string; token: string }> {
  return json(
    request('POST', '/support/tickets', {
      body: { email: 'customer@example.com', subject: 'Cannot dial out' },
    }),
  );
}
/** Waits until just past `moment` (an ISO time of the server's clock, which is this machine's). */
const until = (moment: string) => sleep(Math.max(0, Date.parse(moment) - Date.now()) + 200);
async function issue(body: object, base = main.url, token = t.admin) {
  return json<{ id: string; license: string; expiresAt: string }>(
    request('POST', '/admin/licenses', { token, body: { customer: 'acme', seats: 2, ...body }, base }),
  );
}
const activate = (license: string, instanceId: string, access?: 'read' | 'write') =>
  call('POST', '/licenses/activate', { body: { license, instanceId, ...(access ? { access } : {}) } });

const probes: Record<string, Probe> = {
  // The page's example: a field another user holds (told to a platform admin; a user's own email change
  // answers a taken address as a free one).
  VALIDATION_FAILED: () =>
    call('POST', '/admin/users', {
      token: t.admin,
      body: { email: 'owner@example.com', password: password() },
    }),
  AUTH_EMAIL_NOT_VERIFIED: async () =>
    call('POST', '/auth/google', { body: { id_token: await idToken({ emailVerified: false }) } }),
  AUTH_INVALID_CREDENTIALS: () =>
    call('POST', '/auth/login', { body: { email: 'owner@example.com', password: 'wrong' } }),
  RATE_LIMITED: async () => {
    const burst = await workspace('active');
    // Batches of 40 at once until the burst limit (20 per second) answers; bounded.
    for (let batch = 0; batch < 10; batch++) {
      const answers = await Promise.all(Array.from({ length: 40 }, () => dial(burst, dialBody())));
      const limited = answers.find((a) => a.kind === 'http' && bodyOf(a).code === 'RATE_LIMITED');
      if (limited) return limited;
    }
    throw new Error('the burst limit never answered');
  },
  EMAIL_VERIFICATION_REQUIRED: async () => {
    const secret = password();
    await json(
      request('POST', '/auth/signup', { body: { email: 'unverified@example.com', password: secret } }),
      202,
    );
    const token = await login('unverified@example.com', secret);
    return call('POST', '/workspaces', { token, body: { name: 'Mine' } });
  },
  AUTH_SESSION_IDLE_EXPIRED: async () => {
    const token = await login('owner@example.com', passwords.owner, aux.url);
    await sleep(2300);
    return call('POST', '/auth/refresh', { token, base: aux.url });
  },
  IMPERSONATION_FORBIDDEN: async () => {
    const { token } = await json<{ token: string }>(
      request('POST', '/admin/impersonate', { token: t.admin, body: { target: t.ownerId } }),
      200,
    );
    return call('PATCH', '/me/email', { token, body: { email: 'takeover@example.com' } });
  },
  IMPERSONATION_TARGET_INVALID: () =>
    call('POST', '/admin/impersonate', { token: t.admin, body: { target: t.adminId } }),
  IDEMPOTENCY_KEY_REUSED: async () => {
    const headers = { 'idempotency-key': 'order-7f3a' };
    await dial(ws, dialBody('+14155550111'), headers);
    return dial(ws, dialBody('+14155550122'), headers);
  },
  RESOURCE_NOT_FOUND: () => call('GET', '/nowhere'),
  RESOURCE_FORBIDDEN: () => call('POST', '/admin/forum/bans', { token: t.owner, body: { user: t.ownerId } }),
  RESOURCE_CONFLICT: async () => {
    const contact = await json<{ id: string }>(
      request('POST', `${W()}/contacts`, { token: t.owner, body: { name: 'Ada' } }),
    );
    const at = `${W()}/contacts/${contact.id}`;
    await json(
      request('PATCH', at, { token: t.owner, body: { name: 'Ada L.' }, headers: { 'if-match': '"1"' } }),
      200,
    );
    return call('PATCH', at, { token: t.owner, body: { name: 'Ada B.' }, headers: { 'if-match': '"1"' } });
  },
  INVALID_STATE_TRANSITION: () =>
    call('POST', `${W()}/agents/agt_1/transition`, { token: t.owner, body: { to: 'archived' } }),
  PRECONDITION_NOT_MET: async () => {
    const mute = await json<{ id: string }>(
      request('POST', `${W()}/agents`, { token: t.owner, body: { name: 'Mute' } }),
    );
    return call('POST', `${W()}/agents/${mute.id}/transition`, { token: t.owner, body: { to: 'published' } });
  },
  OPERATION_IN_PROGRESS: async () => {
    await json(request('POST', `${W()}/agents/agt_1/train`, { token: t.owner }), 202);
    return call('POST', `${W()}/agents/agt_1/train`, { token: t.owner });
  },
  PROVIDER_NOT_REGISTERED: async () => {
    const plivo = await workspace();
    await json(
      request('PUT', `/workspaces/${plivo}/provider`, {
        token: t.owner,
        body: { id: 'plivo', credential: 'x' },
      }),
      200,
    );
    return dial(plivo, dialBody());
  },
  PROVIDER_NOT_CONFIGURED: async () => {
    const bare = await workspace();
    await json(
      request('PUT', `/workspaces/${bare}/provider`, { token: t.owner, body: { id: 'telnyx' } }),
      200,
    );
    return dial(bare, dialBody());
  },
  CALL_NOT_ACTIVE: async () => {
    const id = await liveCall();
    await json(request('POST', `${W()}/calls/${id}/hangup`, { token: t.owner }), 200);
    return call('POST', `${W()}/calls/${id}/hangup`, { token: t.owner });
  },
  SUBSCRIPTION_REQUIRED: async () => dial(await workspace('canceled'), dialBody()),
  ENTITLEMENT_REQUIRED: () =>
    call('PUT', `${W()}/branding`, {
      token: t.owner,
      body: { logoUrl: 'https://example.com/logo.png', primaryColor: '#112233' },
    }),
  QUOTA_EXCEEDED: async () => {
    // A trial workspace has 5 calls a day here, far under the burst limit: the sixth is quota, not burst.
    const trial = await workspace();
    const answers: Observed[] = [];
    for (let i = 0; i < 6; i++) answers.push(await dial(trial, dialBody()));
    expect(answers.filter((a) => a.kind === 'http' && a.status === 201)).toHaveLength(5);
    return answers.at(-1)!;
  },
  FORUM_BANNED: async () => {
    await json(request('POST', '/admin/forum/bans', { token: t.admin, body: { user: t.outsiderId } }));
    return call('POST', '/forum/threads', { token: t.outsider, body: { title: 'hello' } });
  },
  REACTION_NOT_ALLOWED: async () => {
    const thread = await json<{ id: string }>(
      request('POST', '/forum/threads', { token: t.owner, body: { title: 'Release notes' } }),
    );
    return call('POST', `/forum/threads/${thread.id}/reactions`, { token: t.owner, body: { emoji: '🦄' } });
  },
  WORKSPACE_SUSPENDED: async () => {
    const suspended = await workspace();
    await asAdmin('POST', `/admin/workspaces/${suspended}/suspend`);
    return dial(suspended, dialBody());
  },
  NUMBER_SUSPENDED: async () => {
    const at = await workspace();
    await asAdmin('POST', `/admin/workspaces/${at}/numbers/${encodeURIComponent(numbers.get(at)!)}/suspend`);
    return dial(at, dialBody());
  },
  AGENT_SUSPENDED: async () => {
    const at = await workspace();
    await asAdmin('POST', `/admin/workspaces/${at}/agents/agt_1/suspend`);
    return dial(at, dialBody());
  },
  // The provider's connection drops for this destination.
  DEPENDENCY_UNAVAILABLE: () => dial(ws, dialBody('+14155550503')),
  // The provider answers 503 for this one.
  UPSTREAM_PROVIDER_ERROR: () => dial(ws, dialBody('+14155550500')),
  STORAGE_ERROR: async () =>
    call('PUT', `${W()}/calls/${await liveCall()}/recording`, {
      token: t.owner,
      raw: new Uint8Array([82, 73, 70, 70]),
    }),
  OPERATOR_CALL_ACTIVE: async () => {
    await dial(ws, dialBody('+14155550133', { operator: 'op-1' }));
    return dial(ws, dialBody('+14155550144', { operator: 'op-1' }));
  },
  DESTINATION_COUNTRY_NOT_ENABLED: () => dial(ws, dialBody('+33142685300')),
  CALL_BLOCKED: async () => {
    await json(request('POST', `${W()}/dnc`, { token: t.owner, body: { number: '+14155550199' } }));
    return dial(ws, dialBody('+14155550199'));
  },
  LISTENER_CALL_NOT_LIVE: async () => {
    const id = await liveCall();
    await json(request('POST', `${W()}/calls/${id}/hangup`, { token: t.owner }), 200);
    return call('POST', `${W()}/calls/${id}/listeners`, { token: t.owner });
  },
  LISTENER_ALREADY_ATTACHED: async () => {
    const id = await liveCall();
    await json(request('POST', `${W()}/calls/${id}/listeners`, { token: t.owner }));
    return call('POST', `${W()}/calls/${id}/listeners`, { token: t.owner });
  },
  LISTENER_CALL_FORBIDDEN: async () =>
    call('POST', `/workspaces/${other}/calls/${await liveCall()}/listeners`, { token: t.outsider }),
  WIDGET_NOT_FOUND: () => widgetStart('wid_nope'),
  WIDGET_NOT_ACTIVE: async () => {
    const { id } = await addWidget();
    await json(request('PATCH', `${W()}/widgets/${id}`, { token: t.owner, body: { status: 'paused' } }), 200);
    return widgetStart(id);
  },
  WIDGET_ORIGIN_NOT_ALLOWED: async () => widgetStart((await addWidget()).id, 'v1', 'https://evil.example'),
  WIDGET_DAILY_LIMIT_REACHED: async () => {
    const { id } = await addWidget({ maxSessionsPerDay: 2 });
    await widgetStart(id, 'a');
    await widgetStart(id, 'b');
    return widgetStart(id, 'c');
  },
  WIDGET_VISITOR_LIMIT_REACHED: async () => {
    const { id } = await addWidget({ maxSessionsPerVisitorPerDay: 1 });
    await widgetStart(id, 'same');
    return widgetStart(id, 'same');
  },
  WIDGET_INSUFFICIENT_CREDIT: async () => {
    // A new workspace has 10 credits; each visitor session spends one. The probes' visitors share one client
    // address, and so one visitor's budget, which must outlast the credit.
    const poor = await workspace();
    const { id } = await addWidget({ maxSessionsPerVisitorPerDay: 100 }, poor);
    for (let i = 0; i < 10; i++)
      expect((await widgetStart(id, `v${i}`)) as { status: number }).toMatchObject({ status: 201 });
    return widgetStart(id, 'v10');
  },
  WIDGET_SESSION_EXPIRED: async () => {
    const started = await widgetStart((await addWidget()).id);
    const { token } = bodyOf(started) as { token: string };
    await sleep(1300);
    return call('POST', '/widget-sessions/messages', { token, body: { text: 'hello?' } });
  },
  PAGE_NOT_FOUND: () => call('GET', '/pages/pricing?locale=fr'),
  PAGE_SLUG_TAKEN: async () => {
    await json(
      request('POST', '/admin/pages', { token: t.admin, body: { slug: 'terms', locale: 'en', body: 'v1' } }),
    );
    return call('POST', '/admin/pages', {
      token: t.admin,
      body: { slug: 'terms', locale: 'en', body: 'v2' },
    });
  },
  PAGE_PUBLISH_REFUSED: async () => {
    const page = await json<{ id: string }>(
      request('POST', '/admin/pages', {
        token: t.admin,
        body: { slug: 'privacy', locale: 'en', body: 'v1' },
      }),
    );
    await asAdmin('POST', `/admin/pages/${page.id}/publish`);
    return call('POST', `/admin/pages/${page.id}/publish`, { token: t.admin });
  },
  SUPPORT_TICKET_NOT_FOUND: () => call('GET', '/support/tickets/T-00000000?token=whatever'),
  SUPPORT_TICKET_TRANSITION_INVALID: async () => {
    const { ref } = await ticket();
    await asAdmin('PATCH', `/admin/support/tickets/${ref}`, { status: 'resolved' });
    await asAdmin('PATCH', `/admin/support/tickets/${ref}`, { status: 'closed' });
    return call('PATCH', `/admin/support/tickets/${ref}`, { token: t.admin, body: { status: 'pending' } });
  },
  SUPPORT_DRAFT_UNAVAILABLE: async () =>
    call('POST', `/admin/support/tickets/${(await ticket()).ref}/draft`, { token: t.admin }),
  SUPPORT_REFERENCE_NOT_FOUND: async () =>
    call('POST', `/admin/support/tickets/${(await ticket()).ref}/assign`, {
      token: t.admin,
      body: { department: 'billing' },
    }),
  SUPPORT_SLUG_CONFLICT: async () => {
    await json(
      request('POST', '/admin/support/departments', {
        token: t.admin,
        body: { slug: 'sales', name: 'Sales' },
      }),
    );
    return call('POST', '/admin/support/departments', {
      token: t.admin,
      body: { slug: 'sales', name: 'Sales again' },
    });
  },
  SUPPORT_TRACK_AUTH_FAILED: async () => {
    const { ref } = await ticket();
    await json(request('POST', '/support/track', { body: { ref, email: 'customer@example.com' } }), 202);
    return call('POST', '/support/track/verify', {
      body: { ref, email: 'customer@example.com', otp: '000000' },
    });
  },
  SUPPORT_CHAT_STATE_INVALID: async () => {
    const { ref } = await ticket();
    return call('POST', `/admin/support/tickets/${ref}/chat/claim`, { token: t.admin });
  },
  LICENSE_INVALID: async () => {
    const { license } = await issue({ days: 30 });
    const [payload, signature] = license.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), seats: 999 }),
    );
    return activate(`${forged.toString('base64url')}.${signature}`, 'i-1');
  },
  LICENSE_EXPIRED: async () => {
    const { license, expiresAt } = await issue({ expiresAt: new Date(Date.now() + 2000).toISOString() });
    await until(expiresAt);
    return activate(license, 'i-1');
  },
  LICENSE_REVOKED: async () => {
    const { id, license } = await issue({ days: 30 });
    await asAdmin('POST', `/admin/licenses/${id}/revoke`);
    return activate(license, 'i-1');
  },
  LICENSE_ACTIVATION_LIMIT: async () => {
    const { license } = await issue({ days: 30, seats: 1 });
    await activate(license, 'i-1');
    return activate(license, 'i-2');
  },
  LICENSE_SIGNING_KEY_MISSING: async () => {
    const admin = await login('admin@example.com', passwords.admin, aux.url);
    return call('POST', '/admin/licenses', {
      token: admin,
      body: { customer: 'acme', days: 30, seats: 1 },
      base: aux.url,
    });
  },
};

const unreachable: Record<string, string> = {};

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  googleKey = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  const licenseKey = generateKeyPairSync('ed25519')
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  upstream = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      if (req.url === '/mail') {
        mails.push(JSON.parse(body));
        res.writeHead(202).end();
      } else if (req.url === '/calls' && body.includes('+14155550503')) res.destroy();
      else if (req.url === '/calls' && body.includes('+14155550502'))
        setTimeout(() => res.writeHead(201).end('{}'), 1500);
      else if (req.url === '/calls' && !body.includes('+14155550500')) res.writeHead(201).end('{}');
      // The provider fails one destination; the draft service is down.
      else res.writeHead(503).end();
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
  // Recordings under a regular file: every write fails as a full or broken volume would.
  const dir = mkdtempSync(join(tmpdir(), 'seed-004-'));
  writeFileSync(join(dir, 'volume'), '');
  const common = {
    OWNER_PASSWORD: passwords.owner,
    ADMIN_PASSWORD: passwords.admin,
    PROVIDER_URL: upstreamUrl,
    MAIL_URL: `${upstreamUrl}/mail`,
    // The probes send bursts of hundreds from one address; the per-IP limit has its own test.
    IP_RATE: '100000',
  };
  [main, aux] = await Promise.all([
    startSeed004({
      ...common,
      GOOGLE_CLIENT_ID: clientId,
      GOOGLE_PUBLIC_KEY: await exportSPKI(pair.publicKey),
      DRAFT_SERVICE_URL: `${upstreamUrl}/draft`,
      RECORDINGS_DIR: join(dir, 'volume', 'recordings'),
      LICENSE_SIGNING_KEY: licenseKey,
      LICENSE_GRACE_MS: '3000',
      WIDGET_SESSION_TTL_MS: '1000',
      TRAINING_MS: '60000',
      CALL_BURST: '20',
      CALL_QUOTA_TRIAL_DAY: '5',
    }),
    startSeed004({
      ...common,
      IDLE_TIMEOUT_MS: '2000',
      CALL_QUOTA_TRIAL_MONTH: '3',
      READ_TIMEOUT_MS: '1000',
    }),
  ]);
  t.owner = await login('owner@example.com', passwords.owner);
  t.admin = await login('admin@example.com', passwords.admin);
  t.ownerId = (await json<{ id: string }>(request('GET', '/me', { token: t.owner }), 200)).id;
  t.adminId = (await json<{ id: string }>(request('GET', '/me', { token: t.admin }), 200)).id;
  const outsiderPassword = password();
  t.outsiderId = (
    await json<{ id: string }>(
      request('POST', '/admin/users', {
        token: t.admin,
        body: { email: 'outsider@example.com', password: outsiderPassword },
      }),
    )
  ).id;
  t.outsider = await login('outsider@example.com', outsiderPassword);
  other = (
    await json<{ id: string }>(request('POST', '/workspaces', { token: t.outsider, body: { name: 'Other' } }))
  ).id;
  // The workspace the server seeded, with the provider credential its owner sets.
  ws = (await json<{ id: string }[]>(request('GET', '/workspaces', { token: t.owner }), 200))[0]!.id;
  await json(
    request('PUT', `${W()}/provider`, { token: t.owner, body: { id: 'twilio', credential: 'AC-demo' } }),
    200,
  );
}, 60_000);

afterAll(async () => {
  await Promise.all([main?.stop(), aux?.stop()]);
  upstream?.close();
});

describe('seed 004: the voice SaaS on Hono, every row over HTTP from the shipped server', () => {
  const rows = rowsOf('004');
  const reached = new Set<string>();
  for (const { key, row } of rows) {
    if (key in unreachable) continue;
    it(`answers ${key} (${row.group}) as the page documents`, async () => {
      const probe = probes[key];
      expect(probe, `no probe for ${key}`).toBeDefined();
      await expectRow(contract, row, await probe!());
      reached.add(key);
    });
  }

  it('reports reachable/total', () => {
    console.log(summary('004', reached, unreachable));
    expect(reached.size + Object.keys(unreachable).length).toBe(rows.length);
    expect(Object.keys(unreachable)).toEqual([]);
  });
});

describe("seed 004: the page's prose", () => {
  it('refuses a licence whose parts are not strict base64url LICENSE_INVALID, though they decode alike', async () => {
    const { license } = await issue({ days: 30 });
    const [payload, signature] = license.split('.') as [string, string];
    const standard = (part: string) => Buffer.from(part, 'base64url').toString('base64');
    for (const altered of [
      `${payload.slice(0, 4)}!${payload.slice(4)}.${signature}`,
      `${payload}.${signature.slice(0, 4)}*${signature.slice(4)}`,
      `${payload}.${signature}==`,
      `${standard(payload)}.${standard(signature)}`,
    ]) {
      const answer = await activate(altered, 'i-b64');
      expect(answer, altered).toMatchObject({ status: 400 });
      expect(JSON.stringify(answer), altered).toContain('LICENSE_INVALID');
    }
    expect(await activate(license, 'i-b64')).toMatchObject({ status: 200 });
  });

  it('a banned user still reads public forum content: the ban refuses threads, replies and reactions only', async () => {
    const secret = password();
    const { id: banned } = await json<{ id: string }>(
      request('POST', '/admin/users', {
        token: t.admin,
        body: { email: 'reader@example.com', password: secret },
      }),
    );
    const reader = await login('reader@example.com', secret);
    const thread = await json<{ id: string }>(
      request('POST', '/forum/threads', { token: t.owner, body: { title: 'Roadmap' } }),
    );
    await json(
      request('POST', `/forum/threads/${thread.id}/replies`, {
        token: t.owner,
        body: { text: 'Q3: SIP trunks' },
      }),
    );
    await json(request('POST', '/admin/forum/bans', { token: t.admin, body: { user: banned } }));
    const list = await json<{ id: string }[]>(request('GET', '/forum/threads', { token: reader }), 200);
    expect(list.map((item) => item.id)).toContain(thread.id);
    for (const token of [reader, undefined])
      expect(
        await json(request('GET', `/forum/threads/${thread.id}`, token ? { token } : {}), 200),
      ).toMatchObject({
        title: 'Roadmap',
        replies: [{ text: 'Q3: SIP trunks' }],
      });
    const writes = [
      request('POST', '/forum/threads', { token: reader, body: { title: 'x' } }),
      request('POST', `/forum/threads/${thread.id}/replies`, { token: reader, body: { text: 'x' } }),
      request('POST', `/forum/threads/${thread.id}/reactions`, { token: reader, body: { emoji: '👍' } }),
    ];
    for (const answer of await Promise.all(writes)) {
      expect(answer.status).toBe(403);
      expect(await answer.json()).toMatchObject({ code: 'FORUM_BANNED' });
    }
    const lifted = await request('DELETE', `/admin/forum/bans/${banned}`, { token: t.admin });
    expect(lifted.status).toBe(204);
    await json(
      request('POST', `/forum/threads/${thread.id}/replies`, { token: reader, body: { text: 'thanks' } }),
    );
  });

  it('a revoked licence: the deployed instance gets its offline grace window, then is read-only, never stopped', async () => {
    const { id, license } = await issue({ days: 30 });
    expect(bodyOf(await activate(license, 'i-1'))).toMatchObject({ mode: 'full' });
    await asAdmin('POST', `/admin/licenses/${id}/revoke`);
    const grace = bodyOf(await activate(license, 'i-1'));
    expect(grace).toMatchObject({ mode: 'grace', graceEndsAt: expect.any(String) });
    // A new deployment on a revoked licence is refused at once: the grace is for instances already running.
    expect(bodyOf(await activate(license, 'i-2'))).toMatchObject({ code: 'LICENSE_REVOKED' });
    await until(grace.graceEndsAt as string);
    const write = await activate(license, 'i-1', 'write');
    expect(write).toMatchObject({ status: 403 });
    expect(bodyOf(write)).toMatchObject({ code: 'LICENSE_REVOKED' });
    const read = await activate(license, 'i-1', 'read');
    expect(read).toMatchObject({ status: 200 });
    expect(bodyOf(read)).toMatchObject({ mode: 'read-only' });
  });

  it('an expired licence: the deployed instance gets the grace window, then LICENSE_EXPIRED', async () => {
    const { license, expiresAt } = await issue({ expiresAt: new Date(Date.now() + 3000).toISOString() });
    expect(bodyOf(await activate(license, 'i-1'))).toMatchObject({ mode: 'full' });
    await until(expiresAt);
    const grace = bodyOf(await activate(license, 'i-1'));
    expect(grace).toMatchObject({ mode: 'grace' });
    expect(bodyOf(await activate(license, 'i-9'))).toMatchObject({ code: 'LICENSE_EXPIRED' });
    await until(grace.graceEndsAt as string);
    expect(bodyOf(await activate(license, 'i-1', 'read'))).toMatchObject({ code: 'LICENSE_EXPIRED' });
  });

  it('quotas per day and per month: a plan has a daily budget and a monthly cap, each refusing with QUOTA_EXCEEDED', async () => {
    // Main: the daily budget of a trial is 5, its monthly cap the default.
    const trial = await workspace();
    const first = await request('POST', `/workspaces/${trial}/calls`, {
      token: t.owner,
      body: callFrom(trial, dialBody()),
    });
    expect(first.status).toBe(201);
    const policies = first.headers.get('ratelimit-policy') ?? '';
    expect(policies).toContain('"calls-per-day";q=5;w=86400');
    expect(policies).toMatch(/"calls-per-month";q=500;w=\d+/);
    // Aux: a monthly cap of 3 under a daily budget of 50.
    const owner = await login('owner@example.com', passwords.owner, aux.url);
    const admin = await login('admin@example.com', passwords.admin, aux.url);
    const capped = await workspace(undefined, aux.url, owner, admin);
    const answers: Response[] = [];
    for (let i = 0; i < 4; i++)
      answers.push(
        await request('POST', `/workspaces/${capped}/calls`, {
          token: owner,
          body: callFrom(capped, dialBody()),
          base: aux.url,
        }),
      );
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 429]);
    const refused = answers[3]!;
    expect(await refused.json()).toMatchObject({ code: 'QUOTA_EXCEEDED' });
    // The policies the guards before it admitted, then the one that refused, which says when to retry.
    expect(refused.headers.get('ratelimit-policy')).toMatch(
      /"calls-per-day";q=50;w=86400, "calls-per-month";q=3;w=\d+$/,
    );
    expect(refused.headers.get('ratelimit')).toMatch(/"calls-per-month";r=0;t=\d+$/);
  });

  it('answers a recording upload that stalls with 408 after READ_TIMEOUT_MS, one declared too large with 413', async () => {
    const owner = await login('owner@example.com', passwords.owner, aux.url);
    const admin = await login('admin@example.com', passwords.admin, aux.url);
    const at = await workspace(undefined, aux.url, owner, admin);
    const call = await json<{ id: string }>(
      request('POST', `/workspaces/${at}/calls`, {
        token: owner,
        body: callFrom(at, dialBody()),
        base: aux.url,
      }),
    );
    const head = `PUT /workspaces/${at}/calls/${call.id}/recording HTTP/1.1\r\nauthorization: Bearer ${owner}\r\ncontent-type: audio/wav`;
    // A declared length, and a chunked body that a reader buffering it whole would wait on without bound.
    for (const framing of [
      'content-length: 50\r\n\r\nRIFF',
      'transfer-encoding: chunked\r\n\r\n4\r\nRIFF\r\n',
    ]) {
      const answered = await stalledBody(aux.url, head, framing);
      expect(answered).toMatchObject({ kind: 'http', status: 408 });
      expect(answered.kind === 'http' && JSON.parse(answered.body)).toMatchObject({
        code: 'REQUEST_TIMEOUT',
      });
    }
    // A declared length over the route's 10 MB is refused before any byte of it is read.
    const large = await stalledBody(aux.url, head, 'content-length: 20971520\r\n\r\nRIFF');
    expect(large).toMatchObject({ kind: 'http', status: 413 });
    expect(large.kind === 'http' && JSON.parse(large.body)).toMatchObject({ code: 'BODY_TOO_LARGE' });
  });

  it('a call refused after the quota admitted it (blocked, unknown number, provider failing) spends none of it', async () => {
    const trial = await workspace();
    // Five refusals past the quota guard: a hard-blocked destination, an unknown number, a provider error.
    const refused = [
      dialBody('+1911'),
      dialBody('+1911'),
      { ...dialBody(), from: '+14155559999' },
      dialBody('+14155550500'),
      dialBody('+14155550503'),
    ];
    for (const body of refused) {
      const answer = (await dial(trial, body)) as { status: number };
      expect(answer.status).toBeGreaterThanOrEqual(400);
    }
    const placed: number[] = [];
    for (let i = 0; i < 6; i++) placed.push(((await dial(trial, dialBody())) as { status: number }).status);
    expect(placed).toEqual([201, 201, 201, 201, 201, 429]);
  });

  it('suspension cascades from a workspace to its numbers and agents; resuming lifts the cascade, not an admin’s own suspension', async () => {
    const at = await workspace('active');
    await json(
      request('POST', `/workspaces/${at}/numbers`, { token: t.owner, body: { number: '+14155550002' } }),
    );
    await asAdmin('POST', `/admin/workspaces/${at}/numbers/${encodeURIComponent('+14155550002')}/suspend`);
    await asAdmin('POST', `/admin/workspaces/${at}/suspend`);
    const view = await json<{ status: string; numbers: object[]; agents: object[] }>(
      request('GET', `/workspaces/${at}`, { token: t.owner }),
      200,
    );
    expect(view.status).toBe('suspended');
    expect(view.numbers).toEqual([
      { number: numbers.get(at), status: 'suspended', suspendedBy: 'workspace' },
      { number: '+14155550002', status: 'suspended', suspendedBy: 'admin' },
    ]);
    expect(view.agents).toMatchObject([{ id: 'agt_1', status: 'suspended', suspendedBy: 'workspace' }]);
    expect(bodyOf(await dial(at, dialBody()))).toMatchObject({ code: 'WORKSPACE_SUSPENDED' });
    expect(
      bodyOf(
        await call('POST', `/workspaces/${at}/numbers`, { token: t.owner, body: { number: '+14155550003' } }),
      ),
    ).toMatchObject({ code: 'WORKSPACE_SUSPENDED' });
    await asAdmin('POST', `/admin/workspaces/${at}/resume`);
    const resumed = await json<{ numbers: object[]; agents: object[] }>(
      request('GET', `/workspaces/${at}`, { token: t.owner }),
      200,
    );
    expect(resumed.numbers).toEqual([
      { number: numbers.get(at), status: 'active' },
      { number: '+14155550002', status: 'suspended', suspendedBy: 'admin' },
    ]);
    expect(resumed.agents).toMatchObject([{ id: 'agt_1', status: 'active' }]);
    expect(await dial(at, dialBody())).toMatchObject({ status: 201 });
    expect(bodyOf(await dial(at, { ...dialBody(), from: '+14155550002' }))).toMatchObject({
      code: 'NUMBER_SUSPENDED',
    });
  });

  it("VALIDATION_FAILED's message is a sentence, in the page's example body with its field errors", async () => {
    const res = await request('POST', '/admin/users', {
      token: t.admin,
      body: { email: 'owner@example.com', password: password() },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      success: false,
      code: 'VALIDATION_FAILED',
      error: 'One or more fields are invalid.',
      details: { fieldErrors: { email: 'Already in use' } },
    });
    expect(errors.get('VALIDATION_FAILED')?.message).not.toBe('Human-readable summary');
  });
});

describe("seed 004: the page's 66 codes", () => {
  /** The standard codes beside the page's 57 rows: those the API emits. */
  const emitted: Record<string, Probe | string> = {
    BAD_REQUEST: () => dial(ws, dialBody(), { 'idempotency-key': 'k'.repeat(300) }),
    MALFORMED_JSON: () =>
      observe(
        fetch(`${main.url}/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{',
        }),
      ),
    UNAUTHORIZED: () => call('GET', '/me'),
    METHOD_NOT_ALLOWED: () => call('GET', '/auth/login'),
    REQUEST_TIMEOUT: () => stalledBody(aux.url),
    IDEMPOTENCY_IN_FLIGHT: async () => {
      // The provider takes 1.5 s for this destination: whichever request comes second finds the first in flight.
      const headers = { 'idempotency-key': 'in-flight-1' };
      const answers = await Promise.all([
        dial(ws, dialBody('+14155550502'), headers),
        sleep(300).then(() => dial(ws, dialBody('+14155550502'), headers)),
      ]);
      return answers.find((a) => a.kind === 'http' && a.status === 409) ?? answers[1];
    },
    BODY_TOO_LARGE: () =>
      observe(
        fetch(`${main.url}/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'x'.repeat(2 * 1024 * 1024), password: 'x' }),
        }),
      ),
    UNSUPPORTED_MEDIA_TYPE: () =>
      observe(
        fetch(`${main.url}/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: 'hi',
        }),
      ),
    INTERNAL_ERROR:
      'the answer to a failure no route expects: the seed has no request that fails unexpectedly',
  };

  it("lists the page's 66 codes: its 57 rows and the standard codes the API emits, no other", () => {
    const rows = new Set(rowsOf('004').map(({ key }) => key));
    expect(errors.codes.filter((code) => !rows.has(code)).sort()).toEqual(Object.keys(emitted).sort());
    expect(errors.codes).toHaveLength(66);
  });

  for (const [code, probe] of Object.entries(emitted)) {
    if (typeof probe === 'string') continue;
    it(`answers ${code} over HTTP`, async () => {
      const observed = await probe();
      expect(observed).toMatchObject({ status: errors.get(code)?.status });
      expect(bodyOf(observed)).toMatchObject({ success: false, code });
    });
  }
});

/** A request whose body stops after 5 of its 50 declared bytes: answered when the read times out. */
function stalledBody(
  base: string,
  head = 'POST /auth/login HTTP/1.1\r\ncontent-type: application/json',
  framing = 'content-length: 50\r\n\r\n{"ema',
): Promise<Observed> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`${head}\r\nhost: ${hostname}\r\n${framing}`);
    });
    let raw = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      raw += chunk;
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = raw.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
      const headers = new Headers();
      for (const line of head.split('\r\n').slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      }
      const chunked = headers.get('transfer-encoding') === 'chunked';
      resolve({ kind: 'http', status, headers, body: chunked ? (body.split('\r\n')[1] ?? '') : body });
    });
  });
}

describe('seed 004: setup over HTTP', () => {
  it('signs up with a mailed verification link, and answers a taken address alike: sign-up is no address oracle', async () => {
    const secret = password();
    const fresh = await request('POST', '/auth/signup', {
      body: { email: 'new@example.com', password: secret },
    });
    const taken = await request('POST', '/auth/signup', {
      body: { email: 'owner@example.com', password: secret },
    });
    expect([fresh.status, taken.status]).toEqual([202, 202]);
    expect(await taken.text()).toBe(await fresh.text());
    expect(await mailTo('owner@example.com', 'tried to sign up')).toContain('already have an account');
    const token = /verification token: (\S+)/.exec(await mailTo('new@example.com', 'Verify'))![1]!;
    const session = await login('new@example.com', secret);
    expect(
      bodyOf(await call('POST', '/workspaces', { token: session, body: { name: 'Mine' } })),
    ).toMatchObject({
      code: 'EMAIL_VERIFICATION_REQUIRED',
    });
    expect(await json(request('POST', '/auth/verify-email', { body: { token } }), 200)).toMatchObject({
      email: 'new@example.com',
      verified: true,
    });
    await json(request('POST', '/workspaces', { token: session, body: { name: 'Mine' } }));
    // A link works once.
    expect(bodyOf(await call('POST', '/auth/verify-email', { body: { token } }))).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { fieldErrors: { token: 'Invalid or expired' } },
    });
  });

  it('admin routes authenticate first (401 without a session), then refuse everyone but platform admins (403)', async () => {
    const routes: [string, string, unknown?][] = [
      ['POST', '/admin/users', { email: 'x@example.com', password: password() }],
      ['PUT', `/admin/workspaces/${ws}/subscription`, { plan: 'active', entitlements: ['branding'] }],
      ['POST', `/admin/workspaces/${ws}/suspend`],
      ['POST', '/admin/forum/bans', { user: t.ownerId }],
      ['POST', '/admin/licenses', { customer: 'x', days: 1, seats: 1 }],
      ['POST', '/admin/workspaces/ws_unknown/suspend'],
    ];
    for (const [method, path, body] of routes) {
      const init = body === undefined ? {} : { body };
      expect(bodyOf(await call(method, path, init)), path).toMatchObject({ code: 'UNAUTHORIZED' });
      expect(bodyOf(await call(method, path, { ...init, token: t.owner })), path).toMatchObject({
        code: 'RESOURCE_FORBIDDEN',
      });
    }
  });

  it("answers a signed-in outsider the same 404 for another's workspace as for one that does not exist", async () => {
    const routes: [string, string, unknown?][] = [
      ['GET', ''],
      ['POST', '/contacts', { name: 'x' }],
    ];
    for (const [method, rest, body] of routes) {
      const init = body === undefined ? { token: t.outsider } : { token: t.outsider, body };
      const real = await call(method, `/workspaces/${ws}${rest}`, init);
      const none = await call(method, `/workspaces/ws_unknown${rest}`, init);
      expect(real.kind === 'http' && real.status, rest).toBe(404);
      expect(bodyOf(real), rest).toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
      expect(bodyOf(none), rest).toEqual(bodyOf(real));
    }
  });

  it('never answers the provider credential a workspace owner set', async () => {
    const set = await request('PUT', `${W()}/provider`, {
      token: t.owner,
      body: { id: 'twilio', credential: 'AC-demo' },
    });
    const view = await request('GET', W(), { token: t.owner });
    for (const text of [await set.text(), await view.text()]) expect(text).not.toContain('AC-demo');
  });

  it("enables a destination country with the page's one-click route, and then dials it", async () => {
    const at = await workspace('active');
    expect(bodyOf(await dial(at, dialBody('+33142685300')))).toMatchObject({
      code: 'DESTINATION_COUNTRY_NOT_ENABLED',
      details: { countryCode: 'FR' },
    });
    await json(request('POST', `/workspaces/${at}/outbound-destinations/fr/enable`, { token: t.owner }), 200);
    expect(await dial(at, dialBody('+33142685300'))).toMatchObject({ status: 201 });
  });

  it('unlocks branding once a platform admin puts the entitlement on the plan', async () => {
    const at = await workspace();
    const body = { logoUrl: 'https://example.com/logo.png', primaryColor: '#112233' };
    expect(bodyOf(await call('PUT', `/workspaces/${at}/branding`, { token: t.owner, body }))).toMatchObject({
      code: 'ENTITLEMENT_REQUIRED',
      details: { entitlement: 'branding' },
    });
    await asAdmin('PUT', `/admin/workspaces/${at}/subscription`, {
      plan: 'active',
      entitlements: ['branding'],
    });
    expect(await call('PUT', `/workspaces/${at}/branding`, { token: t.owner, body })).toMatchObject({
      status: 200,
    });
    expect(await json(request('GET', `/workspaces/${at}`, { token: t.owner }), 200)).toMatchObject({
      branding: body,
    });
  });

  it("delivers a visitor's widget messages to the workspace's members, and to no one else", async () => {
    const { id } = await addWidget();
    const { token } = bodyOf(await widgetStart(id, 'visitor-7')) as { token: string };
    await json(
      request('POST', '/widget-sessions/messages', { token, body: { text: 'Do you ship to Lyon?' } }),
      200,
    );
    expect(
      await json(request('GET', `${W()}/widgets/${id}/messages`, { token: t.owner }), 200),
    ).toMatchObject([{ visitor: 'visitor-7', text: 'Do you ship to Lyon?' }]);
    expect(
      bodyOf(await call('GET', `/workspaces/${other}/widgets/${id}/messages`, { token: t.outsider })),
    ).toMatchObject({
      code: 'RESOURCE_NOT_FOUND',
    });
  });

  it('detaches a listener, after which the same user may attach again', async () => {
    const id = await liveCall();
    const at = `${W()}/calls/${id}/listeners`;
    await json(request('POST', at, { token: t.owner }));
    const detached = await request('DELETE', at, { token: t.owner });
    expect(detached.status).toBe(204);
    await json(request('POST', at, { token: t.owner }));
    expect(
      bodyOf(await call('DELETE', `${W()}/calls/call_nope/listeners`, { token: t.owner })),
    ).toMatchObject({
      code: 'RESOURCE_NOT_FOUND',
    });
  });
});

describe('seed 004: no existence oracle', () => {
  it('an unknown ref and a wrong token answer with the same bytes; the log says which', async () => {
    const { ref } = await ticket();
    const headers = { 'x-request-id': 'probe-1' };
    const unknown = await request('GET', '/support/tickets/T-DEADBEEF?token=guess', { headers });
    const wrong = await request('GET', `/support/tickets/${ref}?token=guess`, { headers });
    expect([wrong.status, unknown.status]).toEqual([404, 404]);
    // The per-IP limit's remaining count changes with every request from this address, whatever it asks.
    const strip = (res: Response) =>
      [...res.headers]
        .filter(([name]) => name !== 'date' && name !== 'ratelimit')
        .map(([name, value]) => `${name}: ${value}`)
        .join('\n');
    expect(await wrong.text()).toBe(await unknown.text());
    expect(strip(wrong)).toBe(strip(unknown));
    let reasons: (string | undefined)[] = [];
    for (let i = 0; i < 50 && reasons.length < 2; i++) {
      reasons = main.log.filter((l) => l.correlationId === 'probe-1').map((l) => l.reason);
      if (reasons.length < 2) await sleep(50);
    }
    expect(reasons).toEqual(['unknown-ref', 'wrong-token']);
  });

  it('collapses the public track flow the same way: unknown pair and wrong code', async () => {
    const { ref } = await ticket();
    await json(request('POST', '/support/track', { body: { ref, email: 'customer@example.com' } }), 202);
    const verify = (email: string) =>
      request('POST', '/support/track/verify', { body: { ref, email, otp: '111111' } }).then((r) => r.json());
    const wrong = await verify('customer@example.com');
    expect(await verify('nobody@example.com')).toEqual(wrong);
    expect(wrong).toEqual({
      success: false,
      code: 'SUPPORT_TRACK_AUTH_FAILED',
      error: 'Could not verify this ticket',
    });
  });

  it('replays a completed call on the same Idempotency-Key and body', async () => {
    const headers = { 'idempotency-key': 'replay-1' };
    const first = await request('POST', `${W()}/calls`, {
      token: t.owner,
      body: callFrom(ws, dialBody('+14155550177')),
      headers,
    });
    const again = await request('POST', `${W()}/calls`, {
      token: t.owner,
      body: callFrom(ws, dialBody('+14155550177')),
      headers,
    });
    expect(again.status).toBe(first.status);
    expect(await again.text()).toBe(await first.text());
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });
});

describe('seed 004: safe to copy', () => {
  const google = (idTokenValue: string, base = main.url) =>
    request('POST', '/auth/google', { body: { id_token: idTokenValue }, base }).then(async (res) => ({
      status: res.status,
      body: (await res.json()) as { token?: string; code?: string },
    }));
  /** The forgery the shipped server used to accept: claims HMAC-signed with the key written in its source. */
  const forgedAsOwner = (() => {
    const payload = Buffer.from(
      JSON.stringify({ email: 'owner@example.com', email_verified: true }),
    ).toString('base64url');
    return `${payload}.${createHmac('sha256', 'google-signing-key').update(payload).digest('base64url')}`;
  })();

  it('refuses an id_token signed with the key once written in the source, and every other forgery: 401 AUTH_INVALID_CREDENTIALS', async () => {
    const at = Math.floor(Date.now() / 1000);
    const forged: Record<string, string> = {
      'HMAC with "google-signing-key"': forgedAsOwner,
      'signed by another key': await idToken({ email: 'owner@example.com', key: otherKey }),
      'for another audience': await idToken({ audience: 'another-app.apps.example' }),
      'from another issuer': await idToken({ issuer: 'https://accounts.evil.example' }),
      expired: await idToken({ issuedAt: at - 7200, expiresAt: at - 3600 }),
      'claims of JSON null': `${Buffer.from('null').toString('base64url')}.c2ln`,
    };
    for (const [name, token] of Object.entries(forged)) {
      const answer = await google(token);
      expect({ name, status: answer.status, code: answer.body.code, token: answer.body.token }).toEqual({
        name,
        status: 401,
        code: 'AUTH_INVALID_CREDENTIALS',
        token: undefined,
      });
    }
  });

  it('signs a Google account in with a valid ID token, and never into a password account of the same address', async () => {
    const first = await google(await idToken({ email: 'caller@example.com', sub: 'g-100' }));
    expect(first.status).toBe(200);
    expect((await request('POST', '/auth/refresh', { token: first.body.token! })).status).toBe(200);
    expect(await google(await idToken({ email: 'caller@example.com', sub: 'g-100' }))).toMatchObject({
      status: 200,
    });
    // The address is now another Google account's: not the one that signed up.
    expect(await google(await idToken({ email: 'caller@example.com', sub: 'g-999' }))).toMatchObject({
      status: 401,
      body: { code: 'AUTH_INVALID_CREDENTIALS' },
    });
    expect(await google(await idToken({ email: 'owner@example.com' }))).toMatchObject({
      status: 401,
      body: { code: 'AUTH_INVALID_CREDENTIALS' },
    });
  });

  it('answers the provider error DEPENDENCY_UNAVAILABLE when no Google key is configured', async () => {
    for (const token of [forgedAsOwner, await idToken({ email: 'owner@example.com' })])
      expect(await google(token, aux.url)).toEqual({
        status: 503,
        body: { success: false, code: 'DEPENDENCY_UNAVAILABLE', error: 'A dependency is unavailable' },
      });
  });

  it('caps the tracking code at 5 attempts: 5 wrong codes burn it, and the right one is then refused alike', async () => {
    const { ref } = await ticket();
    const pair = { ref, email: 'customer@example.com' };
    const verify = async (otp: string) => {
      const res = await request('POST', '/support/track/verify', { body: { ...pair, otp } });
      return { status: res.status, body: await res.json() };
    };
    const code = async () => {
      const before = mails.length;
      await json(request('POST', '/support/track', { body: pair }), 202);
      return /tracking code: (\d+)/.exec(await mailTo(pair.email, `ticket ${ref}`, before))![1]!;
    };
    const wrong = (otp: string) => (otp === '000000' ? '000001' : '000000');
    // Within the cap, the right code still works.
    let otp = await code();
    for (let i = 0; i < 4; i++) expect((await verify(wrong(otp))).status).toBe(401);
    expect(await verify(otp)).toMatchObject({ status: 200, body: { ref } });
    // At the cap the code is burned: the right one now answers exactly as a wrong one.
    otp = await code();
    const refusals = [];
    for (let i = 0; i < 5; i++) refusals.push(await verify(wrong(otp)));
    const after = await verify(otp);
    expect(after).toEqual({
      status: 401,
      body: { success: false, code: 'SUPPORT_TRACK_AUTH_FAILED', error: 'Could not verify this ticket' },
    });
    expect(refusals.every((r) => JSON.stringify(r) === JSON.stringify(after))).toBe(true);
  });

  it('keys the call burst on the signed-in user: "Bearer T", "bearer  T" and other spellings share one budget', async () => {
    const burst = await workspace('active');
    const spellings = (i: number) =>
      `${['Bearer', 'bearer', 'BEARER'][i % 3]}${' '.repeat(1 + (i % 40))}${t.owner}`;
    let limited: Observed | undefined;
    let sent = 0;
    // Batches of 20 at once until the limit (20 per second) answers; bounded in count.
    for (let batch = 0; batch < 10 && !limited; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          call('POST', `/workspaces/${burst}/calls`, {
            headers: { authorization: spellings(sent++) },
            body: { from: 'invalid' },
          }),
        ),
      );
      limited = answers.find((a) => a.kind === 'http' && a.status === 429);
    }
    expect(limited, `no 429 in ${sent} requests`).toBeDefined();
    expect(bodyOf(limited!)).toMatchObject({ code: 'RATE_LIMITED' });
  });
});

describe('seed 004 in process: what needs a clock', () => {
  let now = Date.UTC(2026, 5, 25, 9);
  const clock = { now: () => now };

  it('issues at most 5 tracking codes per ticket and address per hour, answering 202 alike past it', async () => {
    const sent: string[] = [];
    const seed = await start(0, { clock, log: () => {}, mail: (m) => sent.push(m.to) });
    try {
      const { ref } = seed.seed.support.open('customer@example.com', 'Cannot dial out');
      const pair = { ref, email: 'customer@example.com' };
      const ask = () =>
        fetch(`${seed.url}/support/track`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(pair),
        });
      for (let i = 0; i < 8; i++) {
        const res = await ask();
        expect(res.status).toBe(202);
        await res.body?.cancel();
      }
      expect(sent).toHaveLength(5);
      now += 60 * 60_000 + 1;
      await (await ask()).body?.cancel();
      expect(sent).toHaveLength(6);
    } finally {
      await seed.close();
    }
  });

  it('limits each IP in front of authentication: garbage tokens get 429, not endless 401s', async () => {
    const small = await start(0, { clock, log: () => {}, ipRate: 10 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 15; i++) {
        const res = await fetch(`${small.url}/workspaces/ws_x/calls`, {
          method: 'POST',
          headers: { authorization: `Bearer guess-${i}`, 'content-type': 'application/json' },
          body: '{}',
        });
        statuses.push(res.status);
        await res.body?.cancel();
      }
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
      expect(statuses.slice(10)).toEqual(Array(5).fill(429));
    } finally {
      await small.close();
    }
  });
});
