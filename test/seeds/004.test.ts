import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CryptoKey, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors, format } from '../../examples/reference/004.js';
import { start } from '../../examples/seeds/004/app.js';
import type { Workspace } from '../../examples/seeds/004/workspaces.js';
import type { LogLine } from '../../examples/seeds/shared/run.js';
import { freePort, type Started, startCommand } from '../helpers/spawn.js';
import { expectRow, type Observed, observe, type Probe, rowsOf, summary } from './harness.js';

let now = Date.UTC(2026, 5, 25, 9);
const clock = { now: () => now };
const log: LogLine[] = [];
/** Google sign-in as configured for the tests: a key pair made here, the public half given to the seed. */
const clientId = 'voice-web.apps.example';
let googleKey: CryptoKey;
let otherKey: CryptoKey;
let publicPem: string;
let seed: Awaited<ReturnType<typeof start>>;
let upstream: Server;
let upstreamUrl: string;
const contract = { catalog: errors, format, correlationHeader: 'x-request-id' };

let owner: string;
let admin: string;
let outsider: string;
let ws: Workspace;
let other: Workspace;

interface Init {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  raw?: Uint8Array;
}
function request(method: string, path: string, init: Init = {}): Promise<Response> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let body: string | Uint8Array | undefined = init.raw;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] = 'application/json';
  }
  return fetch(`${seed.url}${path}`, { method, headers, body: body as BodyInit | undefined });
}
const call = (method: string, path: string, init?: Init): Promise<Observed> =>
  observe(request(method, path, init));
async function json<T>(res: Promise<Response>, status = 201): Promise<T> {
  const answer = await res;
  expect(answer.status, await answer.clone().text()).toBe(status);
  return (await answer.json()) as T;
}

async function login(email: string): Promise<string> {
  return (
    await json<{ token: string }>(
      request('POST', '/auth/login', { body: { email, password: 'pw-long-enough' } }),
      200,
    )
  ).token;
}
interface IdTokenInit {
  email?: string;
  emailVerified?: boolean;
  sub?: string;
  audience?: string;
  issuer?: string;
  /** Seconds since the epoch. */
  issuedAt?: number;
  expiresAt?: number;
  key?: CryptoKey;
}
/** A Google ID token as Google signs one (RS256, iss, aud, sub, email, iat, exp), at `at` (ms). */
function idToken(init: IdTokenInit = {}, at = now): Promise<string> {
  const email = init.email ?? 'g@example.com';
  const issuedAt = init.issuedAt ?? Math.floor(at / 1000);
  return new SignJWT({ email, email_verified: init.emailVerified ?? true })
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(init.issuer ?? 'https://accounts.google.com')
    .setAudience(init.audience ?? clientId)
    .setSubject(init.sub ?? `google-${email}`)
    .setIssuedAt(issuedAt)
    .setExpirationTime(init.expiresAt ?? issuedAt + 3600)
    .sign(init.key ?? googleKey);
}
/** The forgery the shipped server used to accept: claims HMAC-signed with the key written in its source. */
const committedKeyToken = (claims: object) => {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${payload}.${createHmac('sha256', 'google-signing-key').update(payload).digest('base64url')}`;
};
const W = () => `/workspaces/${ws.id}`;
const dialBody = (to = '+14155550100', extra: object = {}) => ({
  from: '+14155550001',
  to,
  agent: 'agt_1',
  ...extra,
});
const dial = (workspace: Workspace, token: string, body: object, headers: Record<string, string> = {}) =>
  call('POST', `/workspaces/${workspace.id}/calls`, { token, body, headers });

async function liveCall(): Promise<string> {
  const { id } = await json<{ id: string }>(
    request('POST', `${W()}/calls`, { token: owner, body: dialBody() }),
  );
  return id;
}

function workspace(init: Partial<Workspace> = {}): Workspace {
  const user = seed.seed.identity.byEmail('owner@example.com')!;
  const created = seed.seed.workspaces.create(user.id, init);
  created.numbers.set('+14155550001', { status: 'active' });
  created.agents.set('agt_1', {
    id: 'agt_1',
    status: 'active',
    state: 'draft',
    voice: 'alloy',
    training: false,
  });
  return created;
}

const probes: Record<string, Probe> = {
  VALIDATION_FAILED: () =>
    call('POST', '/support/tickets', { body: { email: 'not-an-email', subject: 'Help' } }),
  AUTH_EMAIL_NOT_VERIFIED: async () =>
    call('POST', '/auth/google', { body: { id_token: await idToken({ emailVerified: false }) } }),
  AUTH_INVALID_CREDENTIALS: () =>
    call('POST', '/auth/login', { body: { email: 'owner@example.com', password: 'wrong' } }),
  RATE_LIMITED: async () => {
    const burst = workspace({ plan: 'active' });
    // Batches of 40 at once until the burst limit (20 per second) answers; bounded.
    for (let batch = 0; batch < 10; batch++) {
      const answers = await Promise.all(Array.from({ length: 40 }, () => dial(burst, owner, dialBody())));
      const limited = answers.find((a) => a.kind === 'http' && a.status === 429);
      if (limited) return limited;
    }
    throw new Error('the burst limit never answered');
  },
  EMAIL_VERIFICATION_REQUIRED: async () => {
    seed.seed.identity.addUser('unverified@example.com', 'pw-long-enough', { verified: false });
    const token = await login('unverified@example.com');
    return call('GET', `${W()}/calls/x`, { token });
  },
  AUTH_SESSION_IDLE_EXPIRED: async () => {
    const token = await login('owner@example.com');
    now += 31 * 60_000;
    return call('POST', '/auth/refresh', { token });
  },
  IMPERSONATION_FORBIDDEN: async () => {
    const target = seed.seed.identity.byEmail('owner@example.com')!;
    const { token } = await json<{ token: string }>(
      request('POST', '/admin/impersonate', { token: admin, body: { target: target.id } }),
      200,
    );
    return call('PATCH', '/me/email', { token, body: { email: 'takeover@example.com' } });
  },
  IMPERSONATION_TARGET_INVALID: async () => {
    const self = seed.seed.identity.byEmail('admin@example.com')!;
    return call('POST', '/admin/impersonate', { token: admin, body: { target: self.id } });
  },
  IDEMPOTENCY_KEY_REUSED: async () => {
    const headers = { 'idempotency-key': 'order-7f3a' };
    await dial(ws, owner, dialBody('+14155550111'), headers);
    return dial(ws, owner, dialBody('+14155550122'), headers);
  },
  RESOURCE_NOT_FOUND: () => call('GET', '/nowhere'),
  RESOURCE_FORBIDDEN: () => call('POST', `${W()}/contacts`, { token: outsider, body: { name: 'x' } }),
  RESOURCE_CONFLICT: async () => {
    const contact = await json<{ id: string }>(
      request('POST', `${W()}/contacts`, { token: owner, body: { name: 'Ada' } }),
    );
    await request('PATCH', `${W()}/contacts/${contact.id}`, {
      token: owner,
      body: { name: 'Ada L.' },
      headers: { 'if-match': '"1"' },
    });
    return call('PATCH', `${W()}/contacts/${contact.id}`, {
      token: owner,
      body: { name: 'Ada B.' },
      headers: { 'if-match': '"1"' },
    });
  },
  INVALID_STATE_TRANSITION: () =>
    call('POST', `${W()}/agents/agt_1/transition`, { token: owner, body: { to: 'archived' } }),
  PRECONDITION_NOT_MET: () =>
    call('POST', `${W()}/agents/agt_mute/transition`, { token: owner, body: { to: 'published' } }),
  OPERATION_IN_PROGRESS: async () => {
    await request('POST', `${W()}/agents/agt_1/train`, { token: owner });
    return call('POST', `${W()}/agents/agt_1/train`, { token: owner });
  },
  PROVIDER_NOT_REGISTERED: () =>
    dial(workspace({ provider: { id: 'plivo', credential: 'x' } }), owner, dialBody()),
  PROVIDER_NOT_CONFIGURED: () =>
    dial(workspace({ provider: { id: 'telnyx', credential: undefined } }), owner, dialBody()),
  CALL_NOT_ACTIVE: async () => {
    const id = await liveCall();
    await request('POST', `${W()}/calls/${id}/hangup`, { token: owner });
    return call('POST', `${W()}/calls/${id}/hangup`, { token: owner });
  },
  SUBSCRIPTION_REQUIRED: () => dial(workspace({ plan: 'canceled' }), owner, dialBody()),
  ENTITLEMENT_REQUIRED: () =>
    call('PUT', `${W()}/branding`, {
      token: owner,
      body: { logoUrl: 'https://example.com/logo.png', primaryColor: '#112233' },
    }),
  QUOTA_EXCEEDED: async () => {
    // A trial workspace has 5 calls a day, far under the burst limit: the sixth is quota, not burst.
    const trial = workspace({ plan: 'trial' });
    const answers: Observed[] = [];
    for (let i = 0; i < 6; i++) answers.push(await dial(trial, owner, dialBody()));
    expect(answers.filter((a) => a.kind === 'http' && a.status === 201)).toHaveLength(5);
    return answers.at(-1)!;
  },
  FORUM_BANNED: async () => {
    seed.seed.community.banned.add(seed.seed.identity.byEmail('outsider@example.com')!.id);
    return call('POST', `/workspaces/${other.id}/forum/threads`, {
      token: outsider,
      body: { title: 'hello' },
    });
  },
  REACTION_NOT_ALLOWED: async () => {
    const thread = await json<{ id: string }>(
      request('POST', `${W()}/forum/threads`, { token: owner, body: { title: 'Release notes' } }),
    );
    return call('POST', `${W()}/forum/threads/${thread.id}/reactions`, {
      token: owner,
      body: { emoji: '🦄' },
    });
  },
  WORKSPACE_SUSPENDED: () => dial(workspace({ status: 'suspended' }), owner, dialBody()),
  NUMBER_SUSPENDED: () => {
    const suspended = workspace();
    suspended.numbers.set('+14155550001', { status: 'suspended' });
    return dial(suspended, owner, dialBody());
  },
  AGENT_SUSPENDED: () => {
    const suspended = workspace();
    suspended.agents.get('agt_1')!.status = 'suspended';
    return dial(suspended, owner, dialBody());
  },
  DEPENDENCY_UNAVAILABLE: async () => {
    const down = await start(0, { clock, log: () => {}, providerUrl: 'http://127.0.0.1:9' });
    try {
      const user = down.seed.identity.addUser('o@example.com', 'pw-long-enough');
      const target = down.seed.workspaces.create(user.id);
      target.numbers.set('+14155550001', { status: 'active' });
      target.agents.set('agt_1', {
        id: 'agt_1',
        status: 'active',
        state: 'draft',
        voice: 'alloy',
        training: false,
      });
      const token = down.seed.identity.login('o@example.com', 'pw-long-enough').token;
      return await observe(
        fetch(`${down.url}/workspaces/${target.id}/calls`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(dialBody()),
        }),
      );
    } finally {
      await down.close();
    }
  },
  UPSTREAM_PROVIDER_ERROR: () => dial(ws, owner, dialBody('+14155550500')),
  STORAGE_ERROR: async () => {
    const id = await liveCall();
    return call('PUT', `${W()}/calls/${id}/recording`, {
      token: owner,
      raw: new Uint8Array([82, 73, 70, 70]),
    });
  },
  OPERATOR_CALL_ACTIVE: async () => {
    await dial(ws, owner, dialBody('+14155550133', { operator: 'op-1' }));
    return dial(ws, owner, dialBody('+14155550144', { operator: 'op-1' }));
  },
  DESTINATION_COUNTRY_NOT_ENABLED: () => dial(ws, owner, dialBody('+33142685300')),
  CALL_BLOCKED: async () => {
    ws.dnc.add('+14155550199');
    return dial(ws, owner, dialBody('+14155550199'));
  },
  LISTENER_CALL_NOT_LIVE: async () => {
    const id = await liveCall();
    await request('POST', `${W()}/calls/${id}/hangup`, { token: owner });
    return call('POST', `${W()}/calls/${id}/listeners`, { token: owner });
  },
  LISTENER_ALREADY_ATTACHED: async () => {
    const id = await liveCall();
    await request('POST', `${W()}/calls/${id}/listeners`, { token: owner });
    return call('POST', `${W()}/calls/${id}/listeners`, { token: owner });
  },
  LISTENER_CALL_FORBIDDEN: async () => {
    const id = await liveCall();
    return call('POST', `/workspaces/${other.id}/calls/${id}/listeners`, { token: outsider });
  },
  WIDGET_NOT_FOUND: () => call('POST', '/widgets/wid_nope/sessions', { body: { visitorId: 'v1' } }),
  WIDGET_NOT_ACTIVE: () => widgetStart({ status: 'paused' }),
  WIDGET_ORIGIN_NOT_ALLOWED: () => widgetStart({}, 'https://evil.example'),
  WIDGET_DAILY_LIMIT_REACHED: async () => {
    const widget = addWidget({ maxSessionsPerDay: 2 });
    await widgetStart(widget, undefined, 'a');
    await widgetStart(widget, undefined, 'b');
    return widgetStart(widget, undefined, 'c');
  },
  WIDGET_VISITOR_LIMIT_REACHED: async () => {
    const widget = addWidget({ maxSessionsPerVisitorPerDay: 1 });
    await widgetStart(widget, undefined, 'same');
    return widgetStart(widget, undefined, 'same');
  },
  WIDGET_INSUFFICIENT_CREDIT: () => widgetStart({ workspace: workspace({ credit: 0 }) }),
  WIDGET_SESSION_EXPIRED: async () => {
    const started = await widgetStart({});
    const { token } = JSON.parse((started as { body: string }).body) as { token: string };
    now += 2 * 60 * 60_000;
    return call('POST', '/widget-sessions/messages', { token, body: { text: 'hello?' } });
  },
  PAGE_NOT_FOUND: () => call('GET', '/pages/pricing?locale=fr'),
  PAGE_SLUG_TAKEN: async () => {
    await request('POST', '/admin/pages', {
      token: admin,
      body: { slug: 'terms', locale: 'en', body: 'v1' },
    });
    return call('POST', '/admin/pages', { token: admin, body: { slug: 'terms', locale: 'en', body: 'v2' } });
  },
  PAGE_PUBLISH_REFUSED: async () => {
    const page = await json<{ id: string }>(
      request('POST', '/admin/pages', { token: admin, body: { slug: 'privacy', locale: 'en', body: 'v1' } }),
    );
    await request('POST', `/admin/pages/${page.id}/publish`, { token: admin });
    return call('POST', `/admin/pages/${page.id}/publish`, { token: admin });
  },
  SUPPORT_TICKET_NOT_FOUND: () => call('GET', '/support/tickets/T-00000000?token=whatever'),
  SUPPORT_TICKET_TRANSITION_INVALID: async () => {
    const { ref } = await ticket();
    await request('PATCH', `/admin/support/tickets/${ref}`, { token: admin, body: { status: 'resolved' } });
    await request('PATCH', `/admin/support/tickets/${ref}`, { token: admin, body: { status: 'closed' } });
    return call('PATCH', `/admin/support/tickets/${ref}`, { token: admin, body: { status: 'pending' } });
  },
  SUPPORT_DRAFT_UNAVAILABLE: async () =>
    call('POST', `/admin/support/tickets/${(await ticket()).ref}/draft`, { token: admin }),
  SUPPORT_REFERENCE_NOT_FOUND: async () =>
    call('POST', `/admin/support/tickets/${(await ticket()).ref}/assign`, {
      token: admin,
      body: { department: 'billing' },
    }),
  SUPPORT_SLUG_CONFLICT: async () => {
    await request('POST', '/admin/support/departments', {
      token: admin,
      body: { slug: 'sales', name: 'Sales' },
    });
    return call('POST', '/admin/support/departments', {
      token: admin,
      body: { slug: 'sales', name: 'Sales again' },
    });
  },
  SUPPORT_TRACK_AUTH_FAILED: async () => {
    const { ref } = await ticket();
    await request('POST', '/support/track', { body: { ref, email: 'customer@example.com' } });
    return call('POST', '/support/track/verify', {
      body: { ref, email: 'customer@example.com', otp: '000000' },
    });
  },
  SUPPORT_CHAT_STATE_INVALID: async () => {
    const { ref } = await ticket();
    await request('POST', `/admin/support/tickets/${ref}/chat/claim`, { token: admin });
    return call('POST', `/admin/support/tickets/${ref}/chat/claim`, { token: admin });
  },
  LICENSE_INVALID: async () => {
    const license = await issue(30, 2);
    const [payload, signature] = license.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), seats: 999 }),
    );
    return call('POST', '/licenses/activate', {
      body: { license: `${forged.toString('base64url')}.${signature}`, instanceId: 'i-1' },
    });
  },
  LICENSE_EXPIRED: async () => {
    const license = await issue(1, 2);
    now += 2 * 86_400_000;
    return call('POST', '/licenses/activate', { body: { license, instanceId: 'i-1' } });
  },
  LICENSE_REVOKED: async () => {
    const license = await issue(30, 2);
    seed.seed.licensing.revoke(license);
    return call('POST', '/licenses/activate', { body: { license, instanceId: 'i-1' } });
  },
  LICENSE_ACTIVATION_LIMIT: async () => {
    const license = await issue(30, 1);
    await request('POST', '/licenses/activate', { body: { license, instanceId: 'i-1' } });
    return call('POST', '/licenses/activate', { body: { license, instanceId: 'i-2' } });
  },
  LICENSE_SIGNING_KEY_MISSING: async () => {
    const bare = await start(0, { clock, log: () => {}, licenseKeys: false });
    try {
      const user = bare.seed.identity.addUser('root@example.com', 'pw-long-enough', { platformAdmin: true });
      const token = bare.seed.identity.login(user.email, 'pw-long-enough').token;
      return await observe(
        fetch(`${bare.url}/admin/licenses`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ customer: 'acme', days: 30, seats: 1 }),
        }),
      );
    } finally {
      await bare.close();
    }
  },
};

function addWidget(init: Partial<Parameters<typeof seed.seed.widgets.add>[0]> = {}) {
  return seed.seed.widgets.add({
    workspace: ws,
    status: 'active',
    origins: ['https://shop.example'],
    maxSessionsPerDay: 100,
    maxSessionsPerVisitorPerDay: 10,
    ...init,
  });
}
function widgetStart(
  widget: Partial<Parameters<typeof seed.seed.widgets.add>[0]> | { id: string },
  origin = 'https://shop.example',
  visitor = 'v1',
) {
  const id = 'id' in widget ? (widget as { id: string }).id : addWidget(widget).id;
  return call('POST', `/widgets/${id}/sessions`, { body: { visitorId: visitor }, headers: { origin } });
}
async function ticket(): Promise<{ ref: string; token: string }> {
  return json(
    request('POST', '/support/tickets', {
      body: { email: 'customer@example.com', subject: 'Cannot dial out' },
    }),
  );
}
async function issue(days: number, seats: number): Promise<string> {
  return (
    await json<{ license: string }>(
      request('POST', '/admin/licenses', { token: admin, body: { customer: 'acme', days, seats } }),
    )
  ).license;
}

async function signIn(): Promise<void> {
  owner = await login('owner@example.com');
  admin = await login('admin@example.com');
  outsider = await login('outsider@example.com');
}

const unreachable: Record<string, string> = {};

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  googleKey = pair.privateKey;
  publicPem = await exportSPKI(pair.publicKey);
  otherKey = (await generateKeyPair('RS256')).privateKey;
  upstream = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      // The provider fails one destination; the draft service is down.
      if (req.url === '/calls' && !body.includes('+14155550500')) res.writeHead(201).end('{}');
      else res.writeHead(503).end();
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
  // Storage under a regular file: every write fails as a full or broken volume would.
  const dir = mkdtempSync(join(tmpdir(), 'seed-004-'));
  writeFileSync(join(dir, 'volume'), '');
  seed = await start(0, {
    clock,
    log: (line) => log.push(line),
    providerUrl: upstreamUrl,
    draftService: `${upstreamUrl}/draft`,
    storage: join(dir, 'volume', 'recordings'),
    callBurst: 20,
    callQuota: { trial: 5, active: 1000 },
    google: { clientId, publicKey: publicPem },
    // The probes send bursts of hundreds from one address; the per-IP limit has its own test.
    ipRate: 100_000,
    trainingMs: 60_000,
  });
  const { identity } = seed.seed;
  identity.addUser('owner@example.com', 'pw-long-enough');
  identity.addUser('admin@example.com', 'pw-long-enough', { platformAdmin: true });
  identity.addUser('outsider@example.com', 'pw-long-enough');
  await signIn();
  ws = workspace({ plan: 'active' });
  ws.agents.set('agt_mute', {
    id: 'agt_mute',
    status: 'active',
    state: 'draft',
    voice: undefined,
    training: false,
  });
  ws.members.set(identity.byEmail('admin@example.com')!.id, 'member');
  other = seed.seed.workspaces.create(identity.byEmail('outsider@example.com')!.id);
});

afterAll(async () => {
  await seed?.close();
  upstream?.close();
});

describe('seed 004: the voice SaaS on Hono', () => {
  const rows = rowsOf('004');
  const reached = new Set<string>();
  for (const { key, row } of rows) {
    if (key in unreachable) continue;
    it(`answers ${key} (${row.group}) as the page documents`, async () => {
      const probe = probes[key];
      expect(probe, `no probe for ${key}`).toBeDefined();
      const before = now;
      expectRow(contract, row, await probe!());
      // A probe that moved the clock idled every session out: sign in again.
      if (now !== before) await signIn();
      reached.add(key);
    });
  }

  it('gives no existence oracle: an unknown ref and a wrong token answer with the same bytes', async () => {
    const { ref } = await ticket();
    const headers = { 'x-request-id': 'probe-1' };
    const unknown = await request('GET', '/support/tickets/T-DEADBEEF?token=guess', { headers });
    const wrong = await request('GET', `/support/tickets/${ref}?token=guess`, { headers });
    expect(wrong.status).toBe(404);
    expect(unknown.status).toBe(404);
    // The per-IP limit's remaining count changes with every request from this address, whatever it asks.
    const strip = (res: Response) =>
      [...res.headers]
        .filter(([name]) => name !== 'date' && name !== 'ratelimit')
        .map(([name, value]) => `${name}: ${value}`)
        .join('\n');
    expect(await wrong.text()).toBe(await unknown.text());
    expect(strip(wrong)).toBe(strip(unknown));
    // Without the inbound id, only the correlation id differs.
    const a = await (await request('GET', '/support/tickets/T-DEADBEEF?token=guess')).json();
    const b = await (await request('GET', `/support/tickets/${ref}?token=guess`)).json();
    expect(a).toEqual(b);
    // The log knows which it was.
    const reasons = log.filter((l) => l.correlationId === 'probe-1').map((l) => l.reason);
    expect(reasons).toEqual(['unknown-ref', 'wrong-token']);
  });

  it('collapses the public track flow the same way: unknown pair and wrong code', async () => {
    const { ref } = await ticket();
    await request('POST', '/support/track', { body: { ref, email: 'customer@example.com' } });
    const wrong = await (
      await request('POST', '/support/track/verify', {
        body: { ref, email: 'customer@example.com', otp: '111111' },
      })
    ).json();
    const unknown = await (
      await request('POST', '/support/track/verify', {
        body: { ref, email: 'nobody@example.com', otp: '111111' },
      })
    ).json();
    expect(wrong).toEqual(unknown);
    expect(wrong).toEqual({
      success: false,
      code: 'SUPPORT_TRACK_AUTH_FAILED',
      error: 'Could not verify this ticket',
    });
  });

  it('replays a completed call on the same Idempotency-Key and body', async () => {
    const headers = { 'idempotency-key': 'replay-1' };
    const first = await request('POST', `${W()}/calls`, {
      token: owner,
      body: dialBody('+14155550177'),
      headers,
    });
    const again = await request('POST', `${W()}/calls`, {
      token: owner,
      body: dialBody('+14155550177'),
      headers,
    });
    expect(again.status).toBe(first.status);
    expect(await again.text()).toBe(await first.text());
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });

  it('answers the page example shape for validation: details.fieldErrors', async () => {
    const res = await request('POST', '/support/tickets', {
      body: { email: 'not-an-email', subject: 'Help' },
    });
    expect(await res.json()).toEqual({
      success: false,
      code: 'VALIDATION_FAILED',
      error: 'Human-readable summary',
      details: { fieldErrors: { email: expect.any(String) } },
    });
  });

  it('reports reachable/total', () => {
    console.log(summary('004', reached, unreachable));
    expect(reached.size + Object.keys(unreachable).length).toBe(rows.length);
  });
});

describe('seed 004: safe to copy', () => {
  const google = (idTokenValue: string, url = seed.url) =>
    fetch(`${url}/auth/google`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id_token: idTokenValue }),
    }).then(async (res) => ({
      status: res.status,
      body: (await res.json()) as { token?: string; code?: string },
    }));
  const forgedAsOwner = committedKeyToken({ email: 'owner@example.com', email_verified: true });

  it('refuses an id_token signed with the key once written in the source, and every other forgery: 401 AUTH_INVALID_CREDENTIALS', async () => {
    const at = Math.floor(now / 1000);
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
    const refreshed = await request('POST', '/auth/refresh', { token: first.body.token! });
    expect(refreshed.status).toBe(200);
    await refreshed.body?.cancel();
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
    const bare = await start(0, { clock, log: () => {} });
    try {
      bare.seed.identity.addUser('owner@example.com', 'pw-long-enough');
      for (const token of [forgedAsOwner, await idToken({ email: 'owner@example.com' })])
        expect(await google(token, bare.url)).toEqual({
          status: 503,
          body: { success: false, code: 'DEPENDENCY_UNAVAILABLE', error: 'A dependency is unavailable' },
        });
    } finally {
      await bare.close();
    }
  });

  it('caps the tracking code at 5 attempts: 5 wrong codes burn it, and the right one is then refused alike', async () => {
    const { ref } = await ticket();
    const pair = { ref, email: 'customer@example.com' };
    const verify = async (otp: string) => {
      const res = await request('POST', '/support/track/verify', { body: { ...pair, otp } });
      return { status: res.status, body: await res.json() };
    };
    // Within the cap, the right code still works.
    await request('POST', '/support/track', { body: pair }).then((r) => r.text());
    let otp = seed.seed.support.outbox.at(-1)!.otp;
    const wrong = (code: string) => (code === '000000' ? '000001' : '000000');
    for (let i = 0; i < 4; i++) expect((await verify(wrong(otp))).status).toBe(401);
    expect(await verify(otp)).toMatchObject({ status: 200, body: { ref } });
    // At the cap the code is burned: the right one now answers exactly as a wrong one.
    await request('POST', '/support/track', { body: pair }).then((r) => r.text());
    otp = seed.seed.support.outbox.at(-1)!.otp;
    const refusals = [];
    for (let i = 0; i < 5; i++) refusals.push(await verify(wrong(otp)));
    const after = await verify(otp);
    expect(after).toEqual({
      status: 401,
      body: { success: false, code: 'SUPPORT_TRACK_AUTH_FAILED', error: 'Could not verify this ticket' },
    });
    expect(refusals.every((r) => JSON.stringify(r) === JSON.stringify(after))).toBe(true);
  });

  it('issues at most 5 tracking codes per ticket and address per hour, answering 202 alike past it', async () => {
    const { ref } = await ticket();
    const pair = { ref, email: 'customer@example.com' };
    const sentBefore = seed.seed.support.outbox.length;
    for (let i = 0; i < 8; i++) {
      const res = await request('POST', '/support/track', { body: pair });
      expect(res.status).toBe(202);
      await res.body?.cancel();
    }
    expect(seed.seed.support.outbox.length - sentBefore).toBe(5);
    now += 60 * 60_000 + 1;
    await request('POST', '/support/track', { body: pair }).then((r) => r.text());
    expect(seed.seed.support.outbox.length - sentBefore).toBe(6);
    await signIn();
  });

  it('keys the call burst on the signed-in user: "Bearer T", "bearer  T" and other spellings share one budget', async () => {
    const burst = workspace({ plan: 'active' });
    const spellings = (i: number) =>
      `${['Bearer', 'bearer', 'BEARER'][i % 3]}${' '.repeat(1 + (i % 40))}${owner}`;
    let limited: Observed | undefined;
    let sent = 0;
    // Batches of 20 at once until the limit (20 per second) answers; bounded in count.
    for (let batch = 0; batch < 10 && !limited; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          call('POST', `/workspaces/${burst.id}/calls`, {
            headers: { authorization: spellings(sent++) },
            body: { from: 'invalid' },
          }),
        ),
      );
      limited = answers.find((a) => a.kind === 'http' && a.status === 429);
    }
    expect(limited, `no 429 in ${sent} requests`).toBeDefined();
    expect(JSON.parse((limited as { body: string }).body)).toMatchObject({ code: 'RATE_LIMITED' });
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

  describe('the shipped server.ts', () => {
    const started: Started[] = [];
    afterAll(() => {
      for (const s of started) s.stop();
    });
    const run = async (env: Record<string, string>) => {
      const port = await freePort();
      const saved = { ...process.env };
      Object.assign(process.env, env);
      try {
        started.push(await startCommand('npx', ['tsx', 'examples/seeds/004/server.ts'], port, 60_000));
      } finally {
        process.env = saved;
      }
      return `http://127.0.0.1:${port}`;
    };

    it('signs nobody in with the key once written in its source, configured or not', {
      timeout: 90_000,
    }, async () => {
      const bare = await run({});
      expect(await google(forgedAsOwner, bare)).toMatchObject({
        status: 503,
        body: { code: 'DEPENDENCY_UNAVAILABLE' },
      });
      const configured = await run({ GOOGLE_CLIENT_ID: clientId, GOOGLE_PUBLIC_KEY: publicPem });
      expect(await google(forgedAsOwner, configured)).toMatchObject({
        status: 401,
        body: { code: 'AUTH_INVALID_CREDENTIALS' },
      });
      const signedIn = await google(await idToken({ email: 'env@example.com' }, Date.now()), configured);
      expect(signedIn.status).toBe(200);
      expect(typeof signedIn.body.token).toBe('string');
    });
  });
});
