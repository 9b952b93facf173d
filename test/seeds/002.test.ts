import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors, format } from '../../examples/reference/002.js';
import { start } from '../../examples/seeds/002/app.js';
import type { LogLine } from '../../examples/seeds/shared/run.js';
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
    await request('POST', '/api/auth/google', { body: { email: 'g@example.com' } });
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
    const other = await start(0, { clock, log: () => {}, eventBuffer: 1 });
    try {
      const { tenant } = other.seed.tours.register('o@example.com', 'long enough pw', 'Buffer Co');
      const key = other.seed.tours.createApiKey(tenant);
      return await observe(
        fetch(`${other.url}/api/sdk/events`, {
          method: 'POST',
          headers: { 'x-api-key': key, 'content-type': 'application/json' },
          body: JSON.stringify({ events: [{ type: 'page_view' }, { type: 'page_view' }] }),
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
  ai = createServer((_req, res) => res.writeHead(502).end('upstream down'));
  await new Promise<void>((resolve) => ai.listen(0, '127.0.0.1', resolve));
  aiUrl = `http://127.0.0.1:${(ai.address() as { port: number }).port}`;
  seed = await start(0, { clock, log: (line) => log.push(line), aiProvider: aiUrl });
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
