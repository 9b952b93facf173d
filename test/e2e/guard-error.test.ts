import { createServer, type Server } from 'node:http';
import { defineErrors, FaultlineConfigError, RoleError } from 'faultline';
import { byHeader, concurrency, cooldown, type Guard, quota, rateLimit } from 'faultline/guards';
import { createNodeErrors, guard, sendJson } from 'faultline/node';
import { memoryStore } from 'faultline/stores';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { close, listen } from '../helpers/http.js';

// Mechanisms raise a role; the handler answering the request names its catalog's code for it, with the
// catalog's own text and docs URL. A guard may name its code instead (`error`), checked at definition.
const errors = defineErrors(
  {
    PLAN_RATE_LIMITED: {
      status: 429,
      message: 'Your plan allows fewer requests ({policies}).',
      details: z.object({ policies: z.array(z.string()) }),
      headers: { 'x-plan-upgrade': 'https://example.com/plans' },
    },
    PLAN_QUOTA_EXCEEDED: { status: 429, message: 'Your plan quota is spent.' },
    COMMAND_COOLDOWN: {
      status: 429,
      message: 'Wait before the next {group} command.',
      details: z.object({ group: z.string() }),
    },
    TOO_MANY_STREAMS: { status: 429, message: 'Too many streams.' },
    NEEDS_PLAN: { status: 429, message: 'Upgrade to {plan}.', details: z.object({ plan: z.string() }) },
    NOT_AN_ERROR: { status: 202, message: 'Accepted.' },
  },
  {
    rename: { RATE_LIMITED: 'TOO_MANY_REQUESTS', MISSING_HEADER: 'HEADER_REQUIRED' },
    docsUrl: 'https://docs.example.com/errors#{code}',
  },
);
const app = byHeader('x-app');
const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

async function serve(...guards: Guard[]) {
  const logged: string[] = [];
  const handler = createNodeErrors({
    catalog: errors,
    logger: { error: (record: { message?: string }) => logged.push(String(record.message)) },
  });
  const server = createServer(handler(guard(...guards)((_req, res) => sendJson(res, 200, { ok: true }))));
  servers.push(server);
  const url = await listen(server);
  const get = async (path = '/') => {
    const response = await fetch(url + path, { headers: { 'x-app': 'a1' } });
    return { status: response.status, headers: response.headers, body: (await response.json()) as any };
  };
  return { get, logged };
}

describe('a role is answered by the catalog that answers the request', () => {
  it('a prebuilt rate-limit denial takes the renamed code, its message and its docs URL', async () => {
    const { get } = await serve(rateLimit({ key: app, limit: 1, period: '1h', store: memoryStore() }));
    expect((await get()).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const denied = await get();
      expect(denied.status).toBe(429);
      expect(denied.body).toMatchObject({
        code: 'TOO_MANY_REQUESTS',
        type: 'https://docs.example.com/errors#TOO_MANY_REQUESTS',
      });
      // Each denial carries its own fields and correlation id, never a previous denial's.
      expect(denied.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(denied.headers.get('ratelimit')).toMatch(/r=0;t=\d+$/);
    }
  });

  it('a thrown descriptor keeps its facts under the catalog code', async () => {
    const { get } = await serve({
      kind: 'custom',
      check() {
        throw new RoleError('missingHeader', { details: { header: 'X-Plan' } });
      },
    });
    const denied = await get();
    expect(denied.status).toBe(400);
    expect(denied.body).toMatchObject({ code: 'HEADER_REQUIRED', details: { header: 'X-Plan' } });
  });
});

describe('a guard names its error', () => {
  it('rateLimit answers the named entry, with the limit fields over the entry headers', async () => {
    const limit = rateLimit({
      key: app,
      limit: 1,
      period: '1h',
      store: memoryStore(),
      error: errors.get('PLAN_RATE_LIMITED'),
    });
    const { get } = await serve(limit);
    await get();
    const denied = await get();
    expect(denied.status).toBe(429);
    expect(denied.body.code).toBe('PLAN_RATE_LIMITED');
    expect(denied.body.detail ?? denied.body.message).toContain('Your plan allows fewer requests');
    expect(denied.headers.get('x-plan-upgrade')).toBe('https://example.com/plans');
    expect(denied.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('quota, cooldown and concurrency answer theirs', async () => {
    const store = memoryStore();
    const spent = await serve(
      quota({ key: app, limit: 1, per: 'day', store, error: errors.get('PLAN_QUOTA_EXCEEDED') }),
    );
    await spent.get();
    expect((await spent.get()).body.code).toBe('PLAN_QUOTA_EXCEEDED');
    const cooled = await serve(
      cooldown({ key: app, group: 'g', interval: '1h', store, error: errors.get('COMMAND_COOLDOWN') }),
    );
    await cooled.get();
    expect((await cooled.get()).body).toMatchObject({ code: 'COMMAND_COOLDOWN', details: { group: 'g' } });
    const streams = concurrency({ key: app, limit: 1, store, error: 'TOO_MANY_STREAMS' });
    const lease = await streams.acquire({ headers: { 'x-app': 'a1' } });
    const refused = await streams.acquire({ headers: { 'x-app': 'a1' } }).catch((e: unknown) => e);
    lease?.release();
    expect(refused).toMatchObject({ role: 'concurrencyLimited', code: 'TOO_MANY_STREAMS' });
  });

  it('refuses at definition an entry that is no error, or whose message needs details it never gets', () => {
    const store = memoryStore();
    const make = (entry: unknown) => () =>
      rateLimit({ key: app, limit: 1, period: '1m', store, error: entry as never });
    expect(make(errors.get('NOT_AN_ERROR'))).toThrow(FaultlineConfigError);
    expect(make(errors.get('NEEDS_PLAN'))).toThrow(/\{plan\}/);
    expect(make('')).toThrow(FaultlineConfigError);
    expect(make('__proto__')).toThrow(FaultlineConfigError);
    expect(make({ code: 1 })).toThrow(FaultlineConfigError);
    // A misspelt code gives `undefined`: refused, not taken for the built-in one.
    expect(make(errors.get('PLAN_RATE_LIMITD'))).toThrow(/no entry/);
  });

  it('a named code the answering catalog lacks answers its 500 and logs why, never the code', async () => {
    const { get, logged } = await serve(
      rateLimit({ key: app, limit: 1, period: '1h', store: memoryStore(), error: 'NOT_IN_THIS_CATALOG' }),
    );
    await get();
    const denied = await get();
    expect(denied.status).toBe(500);
    expect(JSON.stringify(denied.body)).not.toContain('NOT_IN_THIS_CATALOG');
    expect(logged.join('\n')).toContain('NOT_IN_THIS_CATALOG');
  });
});
