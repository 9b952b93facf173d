import type { Server } from 'node:http';
import { defineErrors } from 'faultline';
import { byHeader, concurrency, type Guard, idempotency, rateLimit } from 'faultline/guards';
import { createHonoErrors, guard as honoGuard } from 'faultline/hono';
import { memoryStore } from 'faultline/stores';
import { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import { type AdapterEntry, adapters } from '../helpers/adapters.js';
import { close, listen } from '../helpers/http.js';

const catalog = defineErrors(
  {
    TOO_MANY: { status: 429, message: 'Rate limit exceeded' },
    KEY_REUSED: { status: 422, message: 'Key reused' },
  },
  { rename: { RATE_LIMITED: 'TOO_MANY', IDEMPOTENCY_KEY_REUSED: 'KEY_REUSED' } },
);
const tenant = byHeader('x-tenant');
const guardsOf = (): Guard[] => {
  const store = memoryStore();
  return [
    rateLimit({ name: 'per-tenant', key: tenant, limit: 5, period: '1m', store }),
    concurrency({ key: tenant, limit: 1, store }),
    idempotency({ tenant: (r) => tenant(r) ?? '', store }),
  ];
};

let executed = 0;
const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

type Fetch = (path: string, init?: RequestInit) => Promise<Response>;

/** The app on an adapter of the list, on 127.0.0.1. */
async function onAdapter(adapter: AdapterEntry): Promise<Fetch> {
  const server = await adapter.build({
    options: { catalog, onError: false },
    routes: [
      {
        method: 'POST',
        path: '/orders',
        json: true,
        guards: guardsOf(),
        handle: async ({ body }) => {
          executed++;
          await new Promise((r) => setTimeout(r, 100));
          return { status: 201, headers: { 'x-order': 'o1' }, body: { executed, body } };
        },
      },
    ],
  });
  servers.push(server);
  const url = await listen(server);
  return (path, init) => fetch(`${url}${path}`, init);
}

async function honoApp(): Promise<Fetch> {
  const errors = createHonoErrors({ catalog, onError: false });
  const app = new Hono();
  errors.install(app);
  app.post('/orders', honoGuard(...guardsOf()), async (c) => {
    executed++;
    await new Promise((r) => setTimeout(r, 100));
    c.header('x-order', 'o1');
    return c.json({ executed, body: await c.req.json() }, 201);
  });
  return async (path, init) => app.request(path, init);
}

describe.each([
  ...adapters.map((adapter) => [adapter.name, () => onAdapter(adapter)] as const),
  ['hono in process (app.request)', honoApp] as const,
])('guard() on %s', (_, make) => {
  const post = (fetchIt: Fetch, key: string, body: unknown, who = 'acme') =>
    fetchIt('/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tenant': who, 'idempotency-key': key },
      body: JSON.stringify(body),
    });

  it('sends the RateLimit fields, replays with Idempotent-Replayed, and answers 422 and 429 by the catalog', async () => {
    const fetchIt = await make();
    const first = await post(fetchIt, '"a"', { item: 1 });
    expect(first.status).toBe(201);
    expect(first.headers.get('ratelimit')).toBe('"per-tenant";r=4;t=12');
    expect(first.headers.get('ratelimit-policy')).toBe('"per-tenant";q=5;w=60');
    const firstBody = await first.json();
    expect(firstBody.body).toEqual({ item: 1 });

    const replay = await post(fetchIt, '"a"', { item: 1 });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.headers.get('x-order')).toBe('o1');
    expect(await replay.json()).toEqual(firstBody);

    const reused = await post(fetchIt, '"a"', { item: 2 });
    expect(reused.status).toBe(422);
    expect((await reused.json()).code).toBe('KEY_REUSED');

    const [x, y] = await Promise.all([post(fetchIt, '"b"', {}), post(fetchIt, '"c"', {})]);
    const statuses = [x.status, y.status].sort();
    expect(statuses).toEqual([201, 429]);
    const busy = x.status === 429 ? x : y;
    expect((await busy.json()).code).toBe('CONCURRENCY_LIMITED');

    const limited = await post(fetchIt, '"d"', {});
    expect(limited.status).toBe(429);
    expect((await limited.json()).code).toBe('TOO_MANY');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
