/**
 * Attacks on the client address of the node:http adapter: a client writing `X-Forwarded-For` to pick its
 * own rate-limit bucket, and every client behind a reverse proxy sharing the proxy's bucket.
 *
 * Anchors: express-rate-limit keys by `req.ip`, which Express computes under `trust proxy`, false by
 * default: a proxy's `X-Forwarded-For` counts only when the operator said which proxies to trust
 * (addresses, ranges, names, or a number of hops), an invalid setting throws at setup, and an IPv4-mapped
 * IPv6 address is the IPv4 client it carries.
 */
import type { Server } from 'node:http';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defineErrors, FaultlineConfigError } from 'faultline';
import { byIp, rateLimit } from 'faultline/guards';
import { createNodeErrors, guard, type NodeErrorsOptions } from 'faultline/node';
import type { TrustProxy } from 'faultline/server';
import { memoryStore } from 'faultline/stores';
import { afterAll, describe, expect, it } from 'vitest';
import { close } from '../helpers/http.js';

const catalog = defineErrors({});
const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

/**
 * A node:http server whose one route is limited to `limit` requests per minute per client address, on
 * 127.0.0.1 (or `::`, dual-stack, where IPv4 peers are `::ffff:a.b.c.d`).
 */
async function limitedServer(options: NodeErrorsOptions, limit: number, host = '127.0.0.1'): Promise<number> {
  const errors = createNodeErrors({ catalog, onError: false }, options);
  const limited = guard(rateLimit({ name: 'per-ip', key: byIp, limit, period: '1m', store: memoryStore() }));
  const server = createServer(errors(limited((_req, res) => res.end('ok'))));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as AddressInfo).port;
}

/**
 * A GET to the server from `from` (any 127/8 address is the loopback interface on Linux, so each one is a
 * distinct peer), with the given headers, bounded by 5 s.
 */
function get(
  port: number,
  headers: Record<string, string | string[]> = {},
  from = '127.0.0.1',
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path: '/', headers, localAddress: from, agent: false, timeout: 5000 },
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

describe('node:http: the client address behind a proxy', () => {
  it('two clients behind a trusted loopback proxy get two buckets, not the proxy’s one (express: `trust proxy` names the proxies whose X-Forwarded-For counts)', async () => {
    const port = await limitedServer({ trustProxy: 'loopback' }, 1);
    expect(await get(port, { 'x-forwarded-for': '203.0.113.1' })).toBe(200);
    expect(await get(port, { 'x-forwarded-for': '203.0.113.2' })).toBe(200);
    expect(await get(port, { 'x-forwarded-for': '203.0.113.1' })).toBe(429);
    expect(await get(port, { 'x-forwarded-for': '203.0.113.2' })).toBe(429);
    // A proxy that appends a line of its own: the lines are one list, the last line's entry nearest.
    expect(await get(port, { 'x-forwarded-for': ['10.1.1.1', '203.0.113.3'] })).toBe(200);
    expect(await get(port, { 'x-forwarded-for': ['10.1.1.2', '203.0.113.3'] })).toBe(429);
  });

  it('X-Forwarded-For from an untrusted peer is ignored: a client cannot choose its key by sending it (express-rate-limit: proxies are untrusted by default)', async () => {
    // Only 127.0.0.2 is the proxy; 127.0.0.3 is a client reaching the server directly.
    const port = await limitedServer({ trustProxy: ['127.0.0.2'] }, 3);
    const direct = await admitted(8, (i) => get(port, { 'x-forwarded-for': `203.0.113.${i}` }, '127.0.0.3'));
    expect(direct).toBe(3);
    const proxied = await admitted(4, (i) =>
      get(port, { 'x-forwarded-for': `198.51.100.${i}` }, '127.0.0.2'),
    );
    expect(proxied).toBe(4);
    // Behind the trusted proxy, entries the client wrote left of the proxy's own are not the key either.
    const spoofed = await admitted(6, (i) =>
      get(port, { 'x-forwarded-for': `10.9.8.${i}, 198.51.100.50` }, '127.0.0.2'),
    );
    expect(spoofed).toBe(3);
    // Without the option, no proxy is trusted at all.
    const untrusted = await limitedServer({}, 2);
    expect(await admitted(6, (i) => get(untrusted, { 'x-forwarded-for': `203.0.113.${i}` }))).toBe(2);
  });

  it('a hop count trusts that many proxies from the socket, and no further (express: a number trusts that many hops)', async () => {
    const one = await limitedServer({ trustProxy: 1 }, 1);
    expect(await admitted(3, () => get(one, { 'x-forwarded-for': '1.1.1.1, 198.51.100.7' }))).toBe(1);
    expect(await admitted(1, () => get(one, { 'x-forwarded-for': '2.2.2.2, 198.51.100.8' }))).toBe(1);
    const two = await limitedServer({ trustProxy: 2 }, 1);
    expect(
      await admitted(2, (i) => get(two, { 'x-forwarded-for': `9.9.9.${i}, 1.1.1.1, 198.51.100.7` })),
    ).toBe(1);
    expect(await admitted(1, () => get(two, { 'x-forwarded-for': '2.2.2.2, 198.51.100.7' }))).toBe(1);
  });

  it('IPv4-mapped addresses are keyed as the IPv4 client, from the socket and from the header (express-rate-limit, CVE-2026-30827: never the ::/64 every such client shares)', async () => {
    // On a dual-stack socket the proxy is ::ffff:127.0.0.1, and trusting 127.0.0.1 trusts it.
    const port = await limitedServer({ trustProxy: '127.0.0.1' }, 1, '::');
    expect(await get(port, { 'x-forwarded-for': '::ffff:198.51.100.7' })).toBe(200);
    expect(await get(port, { 'x-forwarded-for': '198.51.100.7' })).toBe(429);
    expect(await get(port, { 'x-forwarded-for': '::FFFF:c633:6408' })).toBe(200);
    expect(await get(port, { 'x-forwarded-for': '198.51.100.8' })).toBe(429);
    expect(await get(port, { 'x-forwarded-for': '[::ffff:198.51.100.9]:443' })).toBe(200);
    expect(await get(port, { 'x-forwarded-for': '198.51.100.9:80' })).toBe(429);
    // Two peers reaching the dual-stack socket directly are two IPv4 clients, two buckets.
    const direct = await limitedServer({}, 1, '::');
    expect(await get(direct, {}, '127.0.0.4')).toBe(200);
    expect(await get(direct, {}, '127.0.0.5')).toBe(200);
    expect(await get(direct, {}, '127.0.0.4')).toBe(429);
  });

  it('a malformed trustProxy is a configuration error when the layer is created, not a limit quietly off (express: an invalid address throws at setup)', () => {
    const bad: unknown[] = ['10.0.0.0/33', ['example.com'], '', -1, 1.5, Number.NaN, {}, [10], null];
    for (const trustProxy of bad) {
      let thrown: unknown;
      try {
        createNodeErrors({ catalog }, { trustProxy: trustProxy as TrustProxy });
      } catch (error) {
        thrown = error;
      }
      expect(thrown, JSON.stringify(trustProxy)).toBeInstanceOf(FaultlineConfigError);
      expect((thrown as FaultlineConfigError).code).toBe('FAULTLINE_INVALID_OPTION');
      expect((thrown as Error).message).toMatch(/trustProxy/);
    }
    for (const trustProxy of [false, true, 0, 3, 'loopback, 10.0.0.0/8', ['fd00::/8'], () => false]) {
      expect(() => createNodeErrors({ catalog }, { trustProxy })).not.toThrow();
    }
  });
});
