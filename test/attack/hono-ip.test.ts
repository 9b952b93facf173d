import type { Server } from 'node:http';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { defineErrors } from 'faultline';
import { byIp, rateLimit } from 'faultline/guards';
import { createHonoErrors, guard, type HonoErrorsOptions } from 'faultline/hono';
import { memoryStore } from 'faultline/stores';
import { Hono } from 'hono';
import { getConnInfo as workersConnInfo } from 'hono/cloudflare-workers';
import { afterAll, describe, expect, it } from 'vitest';
import { close } from '../helpers/http.js';

// express-rate-limit keys by `req.ip`, which Express computes under `trust proxy`, false by default: a
// proxy's `X-Forwarded-For` counts only when the operator said which proxies to trust, and a limiter
// that cannot identify its client must say so. faultline's Hono adapter is held to the same rules.

const catalog = defineErrors({});
const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

/** An app whose one route is limited to `limit` requests per minute per client address. */
function limitedApp(options: HonoErrorsOptions, limit = 5): Hono<any> {
  const errors = createHonoErrors({ catalog, onError: false }, options);
  const app = new Hono<any>();
  errors.install(app);
  app.get(
    '/limited',
    guard(rateLimit({ name: 'per-ip', key: byIp, limit, period: '1m', store: memoryStore() })),
    (c) => c.text('ok'),
  );
  return app;
}

/** Sends `count` requests one after another through `send` and counts the admitted ones (200). */
async function admitted(count: number, send: (i: number) => Promise<number>): Promise<number> {
  let ok = 0;
  for (let i = 0; i < count; i++) {
    const status = await send(i);
    expect([200, 429]).toContain(status);
    if (status === 200) ok++;
  }
  return ok;
}

async function onNode(app: Hono<any>): Promise<number> {
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  return (server.address() as AddressInfo).port;
}

/** A GET on 127.0.0.1 with the given headers, bounded by 5 s. */
function get(port: number, headers: Record<string, string | string[]>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path: '/limited', headers, agent: false, timeout: 5000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
    req.end();
  });
}

describe('Hono: the client address reaches every guard', () => {
  it('byIp on app.fetch with an ip function: 5 of 10 admitted against a limit of 5 (express-rate-limit: a limiter keys on the address it was given, it never skips silently)', async () => {
    const app = limitedApp({ ip: (c) => (c.env as { ip?: string }).ip });
    const ok = await admitted(10, async (i) => {
      const response = await app.fetch(new Request(`http://api.test/limited?n=${i}`), { ip: '203.0.113.9' });
      return response.status;
    });
    expect(ok).toBe(5);
  });

  it('byIp on app.fetch with the runtime’s getConnInfo (Workers): one bucket per client address (express-rate-limit: the key is the address the platform vouches for)', async () => {
    const app = limitedApp({ ip: workersConnInfo });
    const send = (address: string) => async () => {
      const request = new Request('http://api.test/limited', { headers: { 'cf-connecting-ip': address } });
      return (await app.fetch(request, {})).status;
    };
    expect(await admitted(10, send('198.51.100.1'))).toBe(5);
    expect(await admitted(3, send('198.51.100.2'))).toBe(3);
  });

  it('byIp on app.fetch under Deno (its connection info as env) without an ip option: 5 of 10 admitted (express-rate-limit: the runtime’s peer address is the key when no proxy is trusted)', async () => {
    const app = limitedApp({});
    const info = { remoteAddr: { hostname: '198.51.100.20', port: 40000, transport: 'tcp' } };
    const ok = await admitted(
      10,
      async () => (await app.fetch(new Request('http://api.test/limited'), info)).status,
    );
    expect(ok).toBe(5);
  });

  it('byIp on app.fetch under Bun (the server as env) without an ip option: 5 of 10 admitted (express-rate-limit: the runtime’s peer address is the key when no proxy is trusted)', async () => {
    const app = limitedApp({});
    const server = { requestIP: () => ({ address: '192.0.2.44', family: 'IPv4', port: 50000 }) };
    const ok = await admitted(
      10,
      async () => (await app.fetch(new Request('http://api.test/limited'), server)).status,
    );
    expect(ok).toBe(5);
  });

  it('X-Forwarded-For from a trusted proxy on @hono/node-server: two clients, two buckets (express: `trust proxy` names the proxies whose header counts)', async () => {
    const port = await onNode(limitedApp({ trustProxy: 'loopback' }, 1));
    expect(await get(port, { 'x-forwarded-for': '203.0.113.1' })).toBe(200);
    expect(await get(port, { 'x-forwarded-for': '203.0.113.2' })).toBe(200);
    expect(await get(port, { 'x-forwarded-for': '203.0.113.1' })).toBe(429);
    expect(await get(port, { 'x-forwarded-for': '203.0.113.2' })).toBe(429);
  });

  it('a spoofed leftmost X-Forwarded-For entry behind a trusted proxy: the client keeps its bucket (express: the address is the nearest one no trusted proxy vouches for)', async () => {
    const port = await onNode(limitedApp({ trustProxy: ['127.0.0.1/8', '::1'] }, 2));
    const ok = await admitted(6, (i) => get(port, { 'x-forwarded-for': `10.9.8.${i}, 203.0.113.50` }));
    expect(ok).toBe(2);
    // A second header line continues the list, as a proxy that appends a line of its own writes it.
    const lines = await admitted(3, (i) => get(port, { 'x-forwarded-for': [`10.1.1.${i}`, '203.0.113.51'] }));
    expect(lines).toBe(2);
  });

  it('X-Forwarded-For without trustProxy on @hono/node-server is ignored: rotating it gains nothing (express-rate-limit: proxies are untrusted by default)', async () => {
    const port = await onNode(limitedApp({}, 3));
    const ok = await admitted(8, (i) => get(port, { 'x-forwarded-for': `203.0.113.${i}` }));
    expect(ok).toBe(3);
  });

  it('X-Forwarded-For from a peer outside the trusted list is ignored (express: only the named proxies are trusted)', async () => {
    const port = await onNode(limitedApp({ trustProxy: ['10.0.0.0/8', 'fd00::/8'] }, 3));
    const ok = await admitted(8, (i) => get(port, { 'x-forwarded-for': `203.0.113.${i}` }));
    expect(ok).toBe(3);
  });

  it('X-Forwarded-For on app.fetch without trustProxy is ignored (express-rate-limit: proxies are untrusted by default)', async () => {
    const app = limitedApp({ ip: (c) => (c.env as { ip?: string }).ip }, 2);
    const ok = await admitted(6, async (i) => {
      const request = new Request('http://api.test/limited', {
        headers: { 'x-forwarded-for': `198.51.100.${i}` },
      });
      return (await app.fetch(request, { ip: '192.0.2.1' })).status;
    });
    expect(ok).toBe(2);
  });

  it('trusted hops by count: one hop trusted takes the rightmost forwarded address (express: a number trusts that many hops)', async () => {
    const app = limitedApp({ ip: (c) => (c.env as { ip?: string }).ip, trustProxy: 1 }, 1);
    const send = (forwarded: string) => async () => {
      const request = new Request('http://api.test/limited', { headers: { 'x-forwarded-for': forwarded } });
      return (await app.fetch(request, { ip: '192.0.2.1' })).status;
    };
    expect(await admitted(3, send('1.1.1.1, 198.51.100.7'))).toBe(1);
    expect(await admitted(1, send('2.2.2.2, 198.51.100.8'))).toBe(1);
  });

  it('an X-Forwarded-For entry that is not an address never becomes a key (express-rate-limit: keys are addresses, not what a client wrote)', async () => {
    const app = limitedApp({ ip: (c) => (c.env as { ip?: string }).ip, trustProxy: true }, 2);
    const ok = await admitted(6, async (i) => {
      const request = new Request('http://api.test/limited', {
        headers: { 'x-forwarded-for': `${'x'.repeat(1000)}${i}, 198.51.100.9` },
      });
      return (await app.fetch(request, { ip: '192.0.2.1' })).status;
    });
    expect(ok).toBe(2);
  });

  it('IPv6 and IPv4-mapped peers match trusted ranges of their own family (express: ::ffff:127.0.0.1 is loopback)', async () => {
    for (const peer of ['::ffff:127.0.0.1', '::1', 'fd12:3456::1']) {
      const app = limitedApp({ ip: () => peer, trustProxy: ['loopback', 'uniquelocal'] }, 1);
      const send = (forwarded: string) => async () => {
        const request = new Request('http://api.test/limited', { headers: { 'x-forwarded-for': forwarded } });
        return (await app.fetch(request)).status;
      };
      expect(await admitted(2, send('203.0.113.60'))).toBe(1);
      expect(await admitted(1, send('203.0.113.61'))).toBe(1);
    }
  });

  it('an IPv6 range trusts no IPv4 peer: trusting ::/0 does not let every IPv4 client write its key (proxy-addr 2.0.8: an IPv6 subnet spans IPv4 only as an IPv4-mapped one)', async () => {
    for (const peer of ['198.51.100.30', '::ffff:198.51.100.30']) {
      const app = limitedApp({ ip: () => peer, trustProxy: ['::/0', '::ffff:0:0/64'] }, 2);
      const ok = await admitted(6, async (i) => {
        const request = new Request('http://api.test/limited', {
          headers: { 'x-forwarded-for': `203.0.113.${i}` },
        });
        return (await app.fetch(request)).status;
      });
      expect(ok).toBe(2);
    }
  });

  it('refuses a trustProxy entry that is not an address or a range (express: an invalid address throws at setup)', () => {
    expect(() => createHonoErrors({ catalog }, { trustProxy: ['10.0.0.0/33'] })).toThrow(/trustProxy/);
    expect(() => createHonoErrors({ catalog }, { trustProxy: ['example.com'] })).toThrow(/trustProxy/);
  });
});
