import { createServer, type Server } from 'node:http';
import { ApiError, defineErrors, FaultlineConfigError, RoleError } from 'faultline';
import {
  adminKey,
  apiKey,
  byHeader,
  byIp,
  concurrency,
  cooldown,
  type Guard,
  type GuardRequest,
  idempotency,
  quota,
  rateLimit,
  requireHeader,
} from 'faultline/guards';
import { createNodeErrors, guard, readJson, sendJson } from 'faultline/node';
import { createErrorHandler } from 'faultline/server';
import { memoryStore, type Store } from 'faultline/stores';
import { afterAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { close, listen } from '../helpers/http.js';

const catalog = defineErrors(
  { APP_RATE_LIMITED: { status: 429, message: 'Rate limit exceeded' } },
  { rename: { RATE_LIMITED: 'APP_RATE_LIMITED' } },
);
const errors = createNodeErrors({ catalog, onError: false });
const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

let executed = 0;
async function serve(guards: Guard[], delay = 0): Promise<string> {
  const server = createServer(
    errors(
      guard(...guards)(async (req, res) => {
        executed++;
        const body = req.method === 'POST' ? await readJson(req) : undefined;
        if (delay) await new Promise((r) => setTimeout(r, delay));
        if (req.url === '/fail') throw new Error('boom');
        // What Koa and nginx write for a client that closed first.
        if (req.url === '/closed') return sendJson(res, 499, { closed: true });
        res.setHeader('x-handler', 'yes');
        sendJson(res, req.method === 'POST' ? 201 : 200, { ok: true, executed, body });
      }),
    ),
  );
  servers.push(server);
  return listen(server);
}

async function call(url: string, init: RequestInit = {}) {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}

describe('rateLimit', () => {
  it('answers 429 with Retry-After in whole seconds and the IETF fields, under the renamed code', async () => {
    const url = await serve([
      rateLimit({ name: 'per-app', key: byHeader('x-app-id'), limit: 2, period: '1m', store: memoryStore() }),
    ]);
    const headers = { 'x-app-id': 'a1' };
    const first = await call(url, { headers });
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toBe('"per-app";q=2;w=60');
    expect(first.headers.get('ratelimit')).toBe('"per-app";r=1;t=30');
    await call(url, { headers });
    const denied = await call(url, { headers });
    expect(denied.status).toBe(429);
    expect(denied.json.code).toBe('APP_RATE_LIMITED');
    expect(denied.headers.get('retry-after')).toMatch(/^(29|30)$/);
    expect(denied.headers.get('ratelimit')).toMatch(/^"per-app";r=0;t=(29|30)$/);
    expect(denied.headers.get('ratelimit-policy')).toBe('"per-app";q=2;w=60');
    // Another app is unaffected; a request without the key skips the policy.
    expect((await call(url, { headers: { 'x-app-id': 'a2' } })).status).toBe(200);
    expect((await call(url)).headers.get('ratelimit')).toBeNull();
  });

  it('checks several policies per request, and a denial by one costs the others nothing', async () => {
    const store = memoryStore();
    const limit = rateLimit({
      store,
      policies: [
        { name: 'per-app', key: byHeader('x-app-id'), limit: 3, period: '1m' },
        { name: 'per-ip', key: byIp, limit: 1, period: '1m' },
      ],
    });
    const url = await serve([limit]);
    const ok = await call(url, { headers: { 'x-app-id': 'b' } });
    expect(ok.headers.get('ratelimit-policy')).toBe('"per-app";q=3;w=60, "per-ip";q=1;w=60');
    const denied = await call(url, { headers: { 'x-app-id': 'b' } });
    expect(denied.status).toBe(429);
    expect(denied.json.details).toEqual({ policies: ['per-ip'] });
    // per-app was refunded: 2 of 3 units remain, so this probe leaves 1.
    const probe = await store.rate('per-app:b', { interval: 20_000, tolerance: 60_000, cost: 1 });
    expect(probe.remaining).toBe(1);
  });

  it('leaves admitted responses bare when headers are off', async () => {
    const url = await serve([
      rateLimit({ key: () => 'k', limit: 1, period: 1000, headers: false, store: memoryStore() }),
    ]);
    const ok = await call(url);
    expect(ok.headers.get('ratelimit')).toBeNull();
    const denied = await call(url);
    expect(denied.headers.get('retry-after')).toBe('1');
    expect(denied.headers.get('ratelimit-policy')).toBe('"1-per-1s";q=1;w=1');
  });

  it('refuses a wrong configuration when defined', () => {
    expect(() => rateLimit({ key: byIp, limit: 0, period: '1m' })).toThrow(FaultlineConfigError);
    expect(() => rateLimit({ key: byIp, limit: 1, period: '1 minute' as never })).toThrow(
      FaultlineConfigError,
    );
    expect(() => quota({ key: byIp, limit: 1, per: 'day', timeZone: 'Mars/Olympus' })).toThrow(RangeError);
  });
});

describe('quota', () => {
  it('raises its own code, apart from the burst limit, with Retry-After at the reset in the time zone', async () => {
    const url = await serve([
      quota({
        name: 'daily',
        key: () => 'w',
        limit: 1,
        per: 'day',
        timeZone: 'Asia/Kolkata',
        store: memoryStore(),
      }),
    ]);
    expect((await call(url)).headers.get('ratelimit-policy')).toBe('"daily";q=1;w=86400');
    const denied = await call(url);
    expect(denied.status).toBe(429);
    expect(denied.json.code).toBe('QUOTA_EXCEEDED');
    // Next midnight in Kolkata (UTC+05:30, no DST) is 18:30 UTC.
    const now = Date.now();
    const reset = new Date(now);
    reset.setUTCHours(18, 30, 0, 0);
    if (reset.getTime() <= now) reset.setUTCDate(reset.getUTCDate() + 1);
    const expected = (reset.getTime() - now) / 1000;
    expect(Math.abs(Number(denied.headers.get('retry-after')) - expected)).toBeLessThan(3);
  });

  it('resets monthly at the first of the month in the zone', async () => {
    const url = await serve([quota({ key: () => 'm', limit: 1, per: 'month', store: memoryStore() })]);
    await call(url);
    const denied = await call(url);
    const now = new Date();
    const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
    expect(Math.abs(Number(denied.headers.get('retry-after')) - (next - now.getTime()) / 1000)).toBeLessThan(
      3,
    );
  });
});

describe('cooldown', () => {
  it('allows one call per interval per key and command group', async () => {
    const group = (r: { url?: string | undefined }) => (r.url?.startsWith('/play') ? 'playback' : 'other');
    const url = await serve([
      cooldown({ key: byHeader('x-app-id'), group, interval: '5s', store: memoryStore() }),
    ]);
    const headers = { 'x-app-id': 'c' };
    expect((await call(`${url}/play/start`, { headers })).status).toBe(200);
    const denied = await call(`${url}/play/stop`, { headers });
    expect(denied.status).toBe(429);
    expect(denied.json.code).toBe('COOLDOWN');
    expect(denied.headers.get('retry-after')).toBe('5');
    expect((await call(`${url}/record`, { headers })).status).toBe(200);
    expect((await call(`${url}/play/start`, { headers: { 'x-app-id': 'd' } })).status).toBe(200);
  });
});

describe('concurrency', () => {
  it('counts in-flight requests per key and releases each lease when its response finishes', async () => {
    const url = await serve([concurrency({ key: () => 'one', limit: 2, store: memoryStore() })], 200);
    const [a, b, c] = await Promise.all([call(url), call(url), call(url)]);
    expect([a, b, c].map((r) => r.status).sort()).toEqual([200, 200, 429]);
    expect([a, b, c].find((r) => r.status === 429)!.json.code).toBe('CONCURRENCY_LIMITED');
    expect((await call(url)).status).toBe(200);
  });

  it('gives WebSocket code a lease to hold and release', async () => {
    const perSession = concurrency({ key: (r) => r.url, limit: 1, ttl: '30s', store: memoryStore() });
    const lease = await perSession.acquire({ url: '/s1' });
    const refused = await perSession.acquire({ url: '/s1' }).catch((error: unknown) => error);
    // The refusal is the role's descriptor; the catalog answering the handshake names its code.
    expect(refused).toBeInstanceOf(RoleError);
    expect((refused as RoleError).role).toBe('concurrencyLimited');
    const normalized = createErrorHandler().normalize(refused);
    expect(normalized instanceof ApiError && normalized.code === 'CONCURRENCY_LIMITED').toBe(true);
    expect((refused as RoleError).headers?.['retry-after']).toBe('30');
    lease!.release();
    lease!.release();
    expect(await perSession.acquire({ url: '/s1' })).toBeDefined();
    expect(await perSession.acquire({})).toBeUndefined();
  });
});

describe('idempotency', () => {
  const store = memoryStore();
  const tenantHeader = byHeader('x-tenant');
  const tenant = (r: GuardRequest) => tenantHeader(r) ?? '';
  const post = (url: string, key: string | undefined, body: unknown, who = 't1') =>
    call(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-tenant': who,
        ...(key === undefined ? {} : { 'idempotency-key': key }),
      },
      body: JSON.stringify(body),
    });

  it('executes once and replays the stored status, headers and body with Idempotent-Replayed', async () => {
    const url = await serve([idempotency({ tenant, store })]);
    const first = await post(url, '"k-1"', { a: 1, b: 2 });
    expect(first.status).toBe(201);
    const again = await post(url, '"k-1"', { b: 2, a: 1 });
    expect(again.status).toBe(201);
    expect(again.json).toEqual(first.json);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('x-handler')).toBe('yes');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
  });

  it('keeps no answer for a request refused as sent: the corrected one runs under the same key (Stripe: no result is saved for a request that failed validation)', async () => {
    const once = idempotency({ tenant, store });
    const server = createServer(
      errors(
        guard(once)(async (req, res) => {
          const body = await readJson(req, { schema: z.object({ amount: z.number() }) });
          sendJson(res, 201, { charged: body.amount });
        }),
      ),
    );
    servers.push(server);
    const url = await listen(server);
    const refused = await post(url, '"k-valid"', { amount: 'ten' });
    expect(refused.status).toBe(400);
    expect(refused.json.code).toBe('VALIDATION_FAILED');
    const malformed = await call(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tenant': 't1', 'idempotency-key': '"k-valid"' },
      body: '{"amount":',
    });
    expect(malformed.status).toBe(400);
    const fixed = await post(url, '"k-valid"', { amount: 10 });
    expect(fixed.status).toBe(201);
    expect(fixed.headers.get('idempotent-replayed')).toBeNull();
    const again = await post(url, '"k-valid"', { amount: 10 });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.json).toEqual({ charged: 10 });
  });

  it('scopes keys per tenant: another tenant with the same key executes', async () => {
    const url = await serve([idempotency({ tenant, store })]);
    const mine = await post(url, 'k-2', { x: 1 }, 'alice');
    const theirs = await post(url, 'k-2', { x: 1 }, 'mallory');
    expect(theirs.json.executed).not.toBe(mine.json.executed);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
  });

  it.each([
    ['another body', { a: 2 }, '/'],
    ['another path', { a: 1 }, '/other'],
  ])('answers 422 for the same key with %s', async (_, body, path) => {
    const url = await serve([idempotency({ tenant, store })]);
    await post(url, 'k-3', { a: 1 });
    const reused = await post(`${url}${path}`, 'k-3', body);
    expect(reused.status).toBe(422);
    expect(reused.json.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('answers 409 while the first request is in flight, Retry-After from the lock that holds the key', async () => {
    const url = await serve([idempotency({ tenant, store, lockTtl: '20s' })], 300);
    const [a, b] = await Promise.all([post(url, 'k-4', {}), post(url, 'k-4', {})]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    const conflict = a.status === 409 ? a : b;
    expect(conflict.json.code).toBe('IDEMPOTENCY_IN_FLIGHT');
    // The lock was taken at most a few seconds ago, so its remaining time is close to 20 s, never 1.
    expect(Number(conflict.headers.get('retry-after'))).toBeGreaterThan(10);
    expect(Number(conflict.headers.get('retry-after'))).toBeLessThanOrEqual(20);
  });

  it.each([
    ['missing', undefined, 'IDEMPOTENCY_KEY_MISSING'],
    ['empty', '""', 'IDEMPOTENCY_KEY_INVALID'],
    ['over-long', 'x'.repeat(256), 'IDEMPOTENCY_KEY_INVALID'],
    ['malformed', '"unterminated', 'IDEMPOTENCY_KEY_INVALID'],
  ])('answers 400 for a %s key when keys are required', async (_, key, code) => {
    const url = await serve([idempotency({ tenant, store, required: true })]);
    const answer = await post(url, key, {});
    expect(answer.status).toBe(400);
    expect(answer.json.code).toBe(code);
  });

  it('frees the key after a 5xx so that the retry executes', async () => {
    const url = await serve([idempotency({ tenant, store })]);
    const failed = await post(`${url}/fail`, 'k-5', {});
    expect(failed.status).toBe(500);
    const retried = await post(`${url}/fail`, 'k-5', {});
    expect(retried.status).toBe(500);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
  });

  it('frees the key after a 499 (the client closed first) so that the retry executes', async () => {
    const url = await serve([idempotency({ tenant, store })]);
    expect((await post(`${url}/closed`, 'k-499', {})).status).toBe(499);
    const retried = await post(`${url}/closed`, 'k-499', {});
    expect(retried.status).toBe(499);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
  });

  it('passes a request without a key, and GETs, when keys are optional', async () => {
    const url = await serve([idempotency({ tenant, store })]);
    expect((await post(url, undefined, {})).status).toBe(201);
    expect((await call(url, { headers: { 'idempotency-key': '"' } })).status).toBe(200);
  });
});

describe('header and key guards', () => {
  it('requires a header in a format, with the page messages', async () => {
    const url = await serve([
      requireHeader({
        name: 'X-App-ID',
        format: /^[\w-]{1,64}$/,
        messages: { missing: 'Missing X-App-ID header', invalid: 'Invalid X-App-ID format' },
      }),
    ]);
    const missing = await call(url);
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ code: 'MISSING_HEADER', detail: 'Missing X-App-ID header' });
    const invalid = await call(url, { headers: { 'x-app-id': 'a b' } });
    expect(invalid.json).toMatchObject({ code: 'INVALID_HEADER', details: { header: 'X-App-ID' } });
    expect((await call(url, { headers: { 'x-app-id': 'x'.repeat(65) } })).status).toBe(400);
    expect((await call(url, { headers: { 'x-app-id': 'app-1' } })).status).toBe(200);
  });

  it('answers one 401 for an unknown and a wrong API key', async () => {
    const keys = new Map([['app1', 'secret-1']]);
    const appId = byHeader('x-app-id');
    const url = await serve([apiKey({ keys: (r) => keys.get(appId(r) ?? '') })]);
    const missing = await call(url, { headers: { 'x-app-id': 'app1' } });
    expect(missing.json.code).toBe('API_KEY_MISSING');
    const wrong = await call(url, { headers: { 'x-app-id': 'app1', 'x-api-key': 'nope' } });
    const unknown = await call(url, { headers: { 'x-app-id': 'ghost', 'x-api-key': 'secret-1' } });
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect(wrong.json.code).toBe('API_KEY_INVALID');
    expect({ ...unknown.json, correlation_id: 0 }).toEqual({ ...wrong.json, correlation_id: 0 });
    expect((await call(url, { headers: { 'x-app-id': 'app1', 'x-api-key': 'secret-1' } })).status).toBe(200);
  });

  it('reads a bearer token and static keys', async () => {
    const url = await serve([apiKey({ header: 'authorization', keys: ['k1', 'k2'] })]);
    expect((await call(url, { headers: { authorization: 'Bearer k2' } })).status).toBe(200);
    expect((await call(url, { headers: { authorization: 'Basic k2' } })).status).toBe(401);
  });

  it('guards admin routes, and answers 503 ADMIN_KEY_NOT_CONFIGURED when no admin key is configured', async () => {
    const url = await serve([adminKey({ key: 'admin-secret' })]);
    expect((await call(url)).json.code).toBe('ADMIN_KEY_MISSING');
    expect((await call(url, { headers: { 'x-admin-api-key': 'x' } })).json.code).toBe('ADMIN_KEY_INVALID');
    expect((await call(url, { headers: { 'x-admin-api-key': 'admin-secret' } })).status).toBe(200);
    const unconfigured = await serve([adminKey({ key: undefined })]);
    const refused = await call(unconfigured);
    expect(refused.status).toBe(503);
    expect(refused.json.code).toBe('ADMIN_KEY_NOT_CONFIGURED');
  });
});

describe('store failures', () => {
  const broken = (mode: 'throw' | 'reject' | 'hang'): Store =>
    new Proxy(memoryStore(), {
      get(_target, name) {
        if (name === 'kind') return 'broken';
        return () => {
          if (mode === 'throw') throw new Error('store down');
          if (mode === 'reject') return Promise.reject(new Error('store down'));
          return new Promise(() => {});
        };
      },
    }) as Store;

  it.each(['throw', 'reject', 'hang'] as const)(
    'answers 503 with Retry-After when the store fails (%s) and the policy is closed',
    async (mode) => {
      const url = await serve([
        rateLimit({ key: () => 'k', limit: 5, period: '1m', store: broken(mode), storeTimeout: 100 }),
      ]);
      const answer = await call(url);
      expect(answer.status).toBe(503);
      expect(answer.json.code).toBe('STORE_UNAVAILABLE');
      expect(answer.headers.get('retry-after')).toBe('5');
    },
  );

  it('admits when the policy is open, and lets a function decide', async () => {
    const open = await serve([
      quota({
        key: () => 'k',
        limit: 1,
        per: 'day',
        store: broken('hang'),
        storeTimeout: 50,
        onStoreError: 'open',
      }),
    ]);
    expect((await call(open)).status).toBe(200);
    const custom = await serve([
      cooldown({
        key: () => 'k',
        group: 'g',
        interval: '1s',
        store: broken('reject'),
        onStoreError: () => catalog.create('INTERNAL_ERROR'),
      }),
    ]);
    expect((await call(custom)).status).toBe(500);
  });
});
