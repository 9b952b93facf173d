/**
 * Attacks on the client address of the WebSocket handshake: a client writing `X-Forwarded-For` to pick
 * its own connection bucket, and every client behind a reverse proxy sharing the proxy's bucket.
 *
 * Anchors: express-rate-limit keys by `req.ip`, which Express computes under `trust proxy`, false by
 * default: a proxy's `X-Forwarded-For` counts only when the operator said which proxies to trust, and an
 * invalid setting throws at setup. The handshake is an HTTP request like any other: its guards key on the
 * same client the node adapter's do.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defineErrors, FaultlineConfigError } from 'faultline';
import type { TrustProxy } from 'faultline/server';
import { createWsErrors, type WsErrors, type WsErrorsOptions } from 'faultline/ws';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { close } from '../helpers/http.js';

const catalog = defineErrors({});
const servers: Server[] = [];
const endpoints: WsErrors[] = [];
const sockets: WebSocket[] = [];
afterAll(async () => {
  for (const socket of sockets) socket.terminate();
  for (const endpoint of endpoints) await endpoint.close({ timeout: 200 });
  for (const server of servers) await close(server);
});

/** An endpoint on 127.0.0.1 allowing one connection per key (the client address by default). */
async function limitedEndpoint(options: Partial<WsErrorsOptions>): Promise<string> {
  const endpoint = createWsErrors({
    errors: { catalog, logger: false },
    limits: { heartbeat: false, connections: { max: 1 } },
    ...options,
  });
  endpoints.push(endpoint);
  const server = createServer();
  server.on('upgrade', endpoint.upgrade);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

/**
 * A handshake from `from` (any 127/8 address is the loopback interface on Linux, so each one is a distinct
 * peer): 101 when it opened (the socket stays open and holds its slot), else the refusal's status. Bounded
 * by 5 s.
 */
function handshake(url: string, headers: Record<string, string> = {}, from = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers, localAddress: from, handshakeTimeout: 5000 });
    sockets.push(socket);
    socket.on('error', reject);
    socket.on('open', () => resolve(101));
    socket.on('unexpected-response', (req, res) => {
      res.resume();
      req.destroy();
      resolve(res.statusCode ?? 0);
    });
  });
}

/** Opens `count` handshakes one after another and counts the admitted ones (101). */
async function admitted(count: number, open: (i: number) => Promise<number>): Promise<number> {
  let ok = 0;
  for (let i = 0; i < count; i++) {
    const status = await open(i);
    expect([101, 429]).toContain(status);
    if (status === 101) ok++;
  }
  return ok;
}

describe('ws: the client address of the handshake behind a proxy', () => {
  it('two clients behind a trusted loopback proxy get two per-IP buckets at the handshake, not the proxy’s one (express: `trust proxy` names the proxies whose X-Forwarded-For counts)', async () => {
    const url = await limitedEndpoint({ trustProxy: 'loopback' });
    expect(await handshake(url, { 'x-forwarded-for': '203.0.113.1' })).toBe(101);
    expect(await handshake(url, { 'x-forwarded-for': '203.0.113.2' })).toBe(101);
    expect(await handshake(url, { 'x-forwarded-for': '203.0.113.1' })).toBe(429);
    expect(await handshake(url, { 'x-forwarded-for': '203.0.113.2' })).toBe(429);
  });

  it('authenticate sees the client the trusted proxy names, and a peer that is no proxy as itself (express: `req.ip` is that client)', async () => {
    const seen: (string | undefined)[] = [];
    const url = await limitedEndpoint({
      trustProxy: ['127.0.0.2'],
      authenticate: (request) => {
        seen.push(request.ip);
        return {};
      },
    });
    expect(await handshake(url, { 'x-forwarded-for': '10.9.8.7, 198.51.100.4' }, '127.0.0.2')).toBe(101);
    expect(await handshake(url, { 'x-forwarded-for': '198.51.100.5' }, '127.0.0.3')).toBe(101);
    // Behind the trusted proxy, the entry it appended; from any other peer, the peer itself.
    expect(seen).toEqual(['198.51.100.4', '127.0.0.3']);
  });

  it('X-Forwarded-For from an untrusted peer is ignored: a client cannot choose its bucket by sending it (express-rate-limit: proxies are untrusted by default)', async () => {
    // Only 127.0.0.2 is the proxy; 127.0.0.3 is a client reaching the server directly.
    const url = await limitedEndpoint({ trustProxy: ['127.0.0.2'] });
    const direct = await admitted(4, (i) =>
      handshake(url, { 'x-forwarded-for': `203.0.113.${i}` }, '127.0.0.3'),
    );
    expect(direct).toBe(1);
    const proxied = await admitted(3, (i) =>
      handshake(url, { 'x-forwarded-for': `198.51.100.${i}` }, '127.0.0.2'),
    );
    expect(proxied).toBe(3);
    // Without the option, no proxy is trusted at all.
    const untrusted = await limitedEndpoint({});
    expect(await admitted(4, (i) => handshake(untrusted, { 'x-forwarded-for': `203.0.113.${i}` }))).toBe(1);
  });

  it('an IPv6 client rotating addresses within its /64 stays in one bucket by default, as byIp keys it (express-rate-limit: IPv6 is keyed by its /64 subnet)', async () => {
    const url = await limitedEndpoint({ trustProxy: 'loopback' });
    expect(await handshake(url, { 'x-forwarded-for': '2001:db8:1:2::1' })).toBe(101);
    expect(await handshake(url, { 'x-forwarded-for': '2001:db8:1:2::2' })).toBe(429);
    expect(await handshake(url, { 'x-forwarded-for': '2001:db8:1:2:ffff::9' })).toBe(429);
    expect(await handshake(url, { 'x-forwarded-for': '2001:db8:1:3::1' })).toBe(101);
  });

  it('a malformed trustProxy is a configuration error when the endpoint is created, not a limit quietly off (express: an invalid address throws at setup)', () => {
    const bad: unknown[] = ['10.0.0.0/33', ['example.com'], '', -1, 1.5, Number.NaN, {}, [10], null];
    for (const trustProxy of bad) {
      let thrown: unknown;
      try {
        createWsErrors({ trustProxy: trustProxy as TrustProxy });
      } catch (error) {
        thrown = error;
      }
      expect(thrown, JSON.stringify(trustProxy)).toBeInstanceOf(FaultlineConfigError);
      expect((thrown as FaultlineConfigError).code).toBe('FAULTLINE_INVALID_OPTION');
      expect((thrown as Error).message).toMatch(/trustProxy/);
    }
    for (const trustProxy of [false, true, 0, 3, 'loopback, 10.0.0.0/8', ['fd00::/8'], () => false]) {
      endpoints.push(createWsErrors({ trustProxy }));
    }
  });
});
