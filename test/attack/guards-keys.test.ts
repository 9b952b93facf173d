/**
 * Attacks on what guards key on: identity headers sent twice, client addresses written in every form an
 * address may take, and a key that cannot be computed at all.
 *
 * Anchors: RFC 9110 §5.3 (a field that is not a list must not be sent on several lines, and a recipient
 * may reject it); express-rate-limit (proxies untrusted by default; IPv6 keyed by subnet and IPv4-mapped
 * addresses keyed as IPv4, CVE-2026-30827; a key it cannot compute is reported, never skipped quietly).
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { request as httpRequest } from 'node:http';
import express from 'express';
import { defineErrors } from 'faultline';
import { createExpressErrors, guard as expressGuard } from 'faultline/express';
import {
  adminKey,
  apiKey,
  byHeader,
  byIp,
  type Guard,
  idempotency,
  rateLimit,
  requireHeader,
} from 'faultline/guards';
import { createHonoErrors, guard as honoGuard } from 'faultline/hono';
import type { ErrorEvent } from 'faultline/server';
import { memoryStore } from 'faultline/stores';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdapterEntry, adapters as list } from '../helpers/adapters.js';
import { close, listen } from '../helpers/http.js';
import { sendRaw } from '../helpers/raw.js';

const catalog = defineErrors({});
// Keys made per run: no test writes a credential in the repository.
const newKey = () => randomBytes(24).toString('base64url');
const demoKey = newKey();
const victimKey = newKey();
const otherKey = newKey();
const adminSecret = newKey();
const keys: Readonly<Record<string, string>> = { 'demo-app': demoKey, 'victim-app': victimKey };
const appIdOf = byHeader('x-app-id');

/** The routes every adapter serves, each behind the guard that reads one identity header. */
function routes(): Record<string, Guard[]> {
  const store = memoryStore();
  return {
    '/app': [
      requireHeader({ name: 'X-App-ID', format: /^[\w-]{1,64}$/ }),
      apiKey({ keys: (r) => keys[appIdOf(r) ?? ''] }),
    ],
    '/key': [apiKey({ keys: [demoKey] })],
    '/bearer': [apiKey({ header: 'authorization', keys: [demoKey] })],
    '/admin': [adminKey({ key: adminSecret })],
    '/tenant': [
      rateLimit({ name: 'per-tenant', key: byHeader('x-tenant'), limit: 100, period: '1m', store }),
    ],
    // GET is idempotent already; the guard applies to it here so that every sender can reach it.
    '/order': [idempotency({ store, methods: ['GET'], tenant: () => 'tenant' })],
  };
}

let executed = 0;
/** What the handler read: node joins a repeated field with ", ", as Fetch's `Headers` does. */
const seen = (read: (name: string) => unknown) => {
  executed++;
  return {
    appId: read('x-app-id'),
    key: read('x-api-key'),
    authorization: read('authorization'),
    tenant: read('x-tenant'),
  };
};

type Send = (path: string, headers: [string, string][]) => Promise<{ status: number; body: any }>;

const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

/** Sends the header lines as written, each on its own line, over a raw socket. */
function rawSender(base: string): Send {
  return async (path, headers) => {
    const lines = headers.map(([name, value]) => `${name}: ${value}\r\n`).join('');
    const answer = await sendRaw(base, [
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${lines}Connection: close\r\n\r\n`,
    ]);
    return { status: answer.status, body: answer.body ? JSON.parse(answer.body) : undefined };
  };
}

/** The routes on an adapter of the list, on 127.0.0.1, reached over a raw socket. */
async function onAdapter(adapter: AdapterEntry): Promise<Send> {
  const server = await adapter.build({
    options: { catalog, onError: false },
    routes: Object.entries(routes()).map(([path, guards]) => ({
      method: 'GET' as const,
      path,
      guards,
      handle: ({ header }) => ({ body: seen(header) }),
    })),
  });
  servers.push(server);
  return rawSender(await listen(server));
}

function honoApp(): Hono {
  const errors = createHonoErrors({ catalog, onError: false });
  const app = new Hono();
  errors.install(app);
  for (const [path, guards] of Object.entries(routes())) {
    app.get(path, honoGuard(...guards), (c) => c.json(seen((name) => c.req.header(name))));
  }
  return app;
}

/** Fetch's `Headers` joins a repeated field before any code sees it: the app gets `a, b`. */
function honoFetchApp(): Send {
  const app = honoApp();
  return async (path, headers) => {
    const response = await app.request(path, { headers: new Headers(headers) });
    return { status: response.status, body: await response.json() };
  };
}

const adapters: [string, () => Promise<Send> | Send][] = [
  ...list.map(
    (adapter) => [`${adapter.name} (raw socket)`, () => onAdapter(adapter)] as [string, () => Promise<Send>],
  ),
  ['hono app.fetch (Fetch Headers)', honoFetchApp],
];

const senders = new Map<string, Send>();
beforeAll(async () => {
  for (const [name, make] of adapters) senders.set(name, await make());
});

/** Sends one attack and checks it was refused with the catalog's 400 before any handler ran. */
async function refused(adapter: string, path: string, headers: [string, string][], header: string) {
  const before = executed;
  const { status, body } = await senders.get(adapter)!(path, headers);
  expect({ status, code: body?.code, header: body?.details?.header }).toEqual({
    status: 400,
    code: 'INVALID_HEADER',
    header,
  });
  expect(executed).toBe(before);
}

describe.each(adapters.map(([name]) => name))('duplicated identity headers on %s', (adapter) => {
  it('X-App-ID sent twice (demo-app, victim-app) with demo-app’s key: 400 INVALID_HEADER, no guard keys on one value while the handler reads another (RFC 9110 §5.3: a field that is not a list must not be repeated; a recipient may reject it)', async () => {
    await refused(
      adapter,
      '/app',
      [
        ['X-App-ID', 'demo-app'],
        ['X-App-ID', 'victim-app'],
        ['X-API-Key', demoKey],
      ],
      'X-App-ID',
    );
  });

  it('X-API-Key sent twice (the right key, then a guess): 400 INVALID_HEADER, the key checked is the key the application reads (RFC 9110 §5.3)', async () => {
    const headers: [string, string][] = [
      ['X-App-ID', 'demo-app'],
      ['X-API-Key', demoKey],
      ['X-API-Key', victimKey],
    ];
    await refused(adapter, '/app', headers, 'x-api-key');
    await refused(adapter, '/key', headers.slice(1), 'x-api-key');
  });

  it('Authorization: Bearer sent twice: 400 INVALID_HEADER, or on Fastify the one line node keeps for guard and handler alike (RFC 9110 §5.3; §11.6.2: Authorization holds one credential)', async () => {
    const headers: [string, string][] = [
      ['Authorization', `Bearer ${demoKey}`],
      ['Authorization', `Bearer ${otherKey}`],
    ];
    if (!adapter.startsWith('fastify')) return refused(adapter, '/bearer', headers, 'authorization');
    // node drops repeated Authorization lines from `req.headers`, the only headers Fastify gives.
    const { status, body } = await senders.get(adapter)!('/bearer', headers);
    expect(status).toBe(200);
    expect(body.authorization).toBe(`Bearer ${demoKey}`);
  });

  it('X-Admin-API-Key sent twice: 400 INVALID_HEADER (RFC 9110 §5.3)', async () => {
    await refused(
      adapter,
      '/admin',
      [
        ['X-Admin-API-Key', adminSecret],
        ['X-Admin-API-Key', 'guess'],
      ],
      'x-admin-api-key',
    );
  });

  it('a rate-limit key header (byHeader) sent twice to open a fresh bucket: 400 INVALID_HEADER, never a key of its own (express-rate-limit: the key is what identifies the client, not what it wrote)', async () => {
    await refused(
      adapter,
      '/tenant',
      [
        ['X-Tenant', 't1'],
        ['X-Tenant', 'fresh-bucket'],
      ],
      'x-tenant',
    );
  });

  it('Idempotency-Key sent twice (two keys for one request): 400 IDEMPOTENCY_KEY_INVALID, no key is claimed for a request that names two (IETF idempotency-key draft: one key per request; RFC 9110 §5.3)', async () => {
    const before = executed;
    const { status, body } = await senders.get(adapter)!('/order', [
      ['Idempotency-Key', '"k-1"'],
      ['Idempotency-Key', '"k-2"'],
    ]);
    expect({ status, code: body?.code }).toEqual({ status: 400, code: 'IDEMPOTENCY_KEY_INVALID' });
    expect(executed).toBe(before);
  });

  it('Idempotency-Key of two bare keys joined with a comma on one line (as a proxy joins two lines): 400, no key claimed', async () => {
    const before = executed;
    for (const joined of ['k-1,k-2', 'k-1, k-2']) {
      const { status, body } = await senders.get(adapter)!('/order', [['Idempotency-Key', joined]]);
      expect({ status, code: body?.code }).toEqual({ status: 400, code: 'IDEMPOTENCY_KEY_INVALID' });
    }
    expect(executed).toBe(before);
  });

  it('one line of each header still passes, and guard and handler read the same value', async () => {
    const { status, body } = await senders.get(adapter)!('/app', [
      ['X-App-ID', 'victim-app'],
      ['X-API-Key', victimKey],
    ]);
    expect(status).toBe(200);
    expect(body).toMatchObject({ appId: 'victim-app', key: victimKey });
  });
});

describe('IPv4-mapped, bracketed and odd client addresses', () => {
  it.each([
    // IPv4-mapped IPv6: an IPv4 client, keyed as IPv4 in every spelling.
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:203.0.113.7', '203.0.113.7'],
    ['::ffff:a00:1', '10.0.0.1'],
    ['::FFFF:A00:2', '10.0.0.2'],
    ['0:0:0:0:0:ffff:a00:1', '10.0.0.1'],
    ['0000:0000:0000:0000:0000:FFFF:0A00:0003', '10.0.0.3'],
    ['[::ffff:10.0.0.4]', '10.0.0.4'],
    ['[::ffff:10.0.0.5]:443', '10.0.0.5'],
    // IPv6: its /64, brackets, port and zone dropped.
    ['[2001:db8:1:2::9]', '2001:db8:1:2::/64'],
    ['[2001:db8:1:2::9]:8080', '2001:db8:1:2::/64'],
    ['[3001:db8::1]', '3001:db8:0:0::/64'],
    ['2001:DB8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    // IPv4 as itself; a port is not part of the client.
    ['203.0.113.7', '203.0.113.7'],
    ['203.0.113.7:51234', '203.0.113.7'],
  ])(
    '%s is keyed as %s (express-rate-limit: IPv4-mapped addresses are IPv4 clients; IPv6 by subnet)',
    (ip, key) => {
      expect(byIp({ ip })).toBe(key);
    },
  );

  it('two mapped clients never share the ::/64 bucket, nor do two bracketed IPv6 clients of different networks', () => {
    const key = (ip: string) => byIp({ ip });
    expect(key('::ffff:a00:1')).not.toBe(key('::ffff:a00:2'));
    expect(key('::FFFF:10.0.0.1')).not.toBe(key('::FFFF:10.0.0.2'));
    expect(key('[2001:db8::1]:443')).not.toBe(key('[3001:db8::1]:443'));
  });

  it('two IPv4-mapped clients behind a trusted proxy get two buckets, over Express on a real socket (express-rate-limit: IPv4-mapped addresses are keyed as IPv4, never as the shared ::/64)', async () => {
    const errors = createExpressErrors({ catalog, onError: false });
    const app = express();
    app.set('trust proxy', 'loopback');
    const limit = rateLimit({ name: 'per-ip', key: byIp, limit: 1, period: '1m', store: memoryStore() });
    app.get('/limited', expressGuard(limit), (req, res) => {
      res.json({ ip: req.ip });
    });
    app.use(errors.handler);
    const server = app.listen(0, '127.0.0.1');
    servers.push(server);
    const { port } = new URL(await listen(server));
    const from = (forwarded: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            path: '/limited',
            headers: { 'x-forwarded-for': forwarded },
            agent: false,
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.setTimeout(5000, () => req.destroy(new Error('no answer within 5 s')));
        req.on('error', reject);
        req.end();
      });
    const statuses = [
      await from('::ffff:a00:1'),
      await from('::FFFF:10.0.0.2'),
      await from('[2001:db8::1]:443'),
      await from('[3001:db8::1]:443'),
      await from('::ffff:10.0.0.1'),
      await from('[2001:db8::7]'),
    ];
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  });
});

describe('a key that cannot be computed', () => {
  it('byIp on Hono app.fetch with no client address: refused closed with the catalog 500 and logged as a configuration error, 0 of 10 admitted instead of 10 of 10 (express-rate-limit: an undefined request.ip is reported, never silently skipped)', async () => {
    const events: ErrorEvent[] = [];
    const logged: string[] = [];
    const errors = createHonoErrors({
      catalog,
      onError: (event) => events.push(event),
      logger: { error: (record: { message?: string }) => logged.push(String(record.message)) },
    });
    const app = new Hono();
    errors.install(app);
    let handled = 0;
    const limit = rateLimit({ name: 'per-ip', key: byIp, limit: 5, period: '1m', store: memoryStore() });
    app.get('/limited', honoGuard(limit), (c) => {
      handled++;
      return c.text('ok');
    });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await app.request('/limited')).status);
    expect(handled).toBe(0);
    expect(statuses).toEqual(Array(10).fill(500));
    expect(events[0]!.error.code).toBe('INTERNAL_ERROR');
    expect(String((events[0]!.thrown as Error).message)).toMatch(/byIp.*no client address/);
    expect(logged.length).toBe(10);
    expect(logged[0]).toMatch(/FAULTLINE_INVALID_OPTION: byIp.*no client address/);
  });

  it('byIp with no address throws the configuration error wherever it runs', () => {
    expect(() => byIp({})).toThrow(/byIp.*no client address/);
    expect(() => byIp({ ip: '' })).toThrow(/byIp.*no client address/);
  });
});
