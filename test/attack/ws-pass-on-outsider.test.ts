import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defineErrors } from 'faultline';
import { createNodeErrors, createRouter } from 'faultline/node';
import { createWsErrors } from 'faultline/ws';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { close } from '../helpers/http.js';
import { rawClient, until } from '../helpers/raw.js';

// An outsider's look at how a WebSocket endpoint gives a request upgrading to another protocol (h2c)
// back to node:http: the request the routes see must be the one the client sent, byte for byte apart
// from the upgrade, framing attacks must be refused as a server without the listener refuses them, and
// the server's timeouts and shutdown must still reach the socket.
const catalog = defineErrors({});
const H2C =
  'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n';

interface Seen {
  method: string;
  url: string;
  raw: string[];
  body?: string;
}

/** A node:http app with a WebSocket endpoint on /ws, recording what its routes see. */
async function app(options: { requestTimeout?: number; headersTimeout?: number } = {}) {
  const seen: Seen[] = [];
  const record = (req: IncomingMessage, body?: string) =>
    seen.push({ method: req.method ?? '', url: req.url ?? '', raw: req.rawHeaders, body });
  const errors = createNodeErrors({ catalog, onError: false });
  const router = createRouter()
    .get('/health', (req) => {
      record(req);
      return { ok: true };
    })
    .get('/admin', (req) => {
      record(req);
      return { admin: true };
    })
    .post('/echo', async (req) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      record(req, body);
      return { body };
    });
  const server = createServer({ connectionsCheckingInterval: 100, ...options }, errors(router.handle));
  server.on('upgrade', createWsErrors({ errors: errors.handler, path: '/ws' }).upgrade);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, seen, port: (server.address() as AddressInfo).port };
}

/** A raw client socket that collects what it receives (latin1) and whether the server closed it. */
const client = rawClient;

const statuses = (text: string) => (text.match(/HTTP\/1\.1 \d{3}/g) ?? []).map((line) => line.slice(9));

describe('the request the routes see after an h2c upgrade is passed on', () => {
  let server: Server;
  let seen: Seen[];
  let port: number;
  beforeAll(async () => {
    ({ server, seen, port } = await app());
  });
  afterAll(() => close(server));
  beforeEach(() => {
    seen.length = 0;
  });

  it('keeps UTF-8, latin1 and tab bytes of a header value as sent', async () => {
    const value = Buffer.concat([Buffer.from('é€', 'utf8'), Buffer.from([0xff, 0x80, 0x09, 0x41])]);
    const { socket, received } = await client(port);
    socket.write(
      Buffer.concat([
        Buffer.from(`POST /echo HTTP/1.1\r\nHost: x\r\n${H2C}X-Bytes: `),
        value,
        Buffer.from('\r\nContent-Length: 2\r\n\r\nhi'),
      ]),
    );
    await until(() => received().includes('{"body":"hi"}'));
    socket.destroy();
    const raw = seen.at(-1)?.raw ?? [];
    expect(Buffer.from(raw[raw.indexOf('X-Bytes') + 1] ?? '', 'latin1')).toEqual(value);
    expect(raw.map((name) => name.toLowerCase())).not.toContain('upgrade');
  });

  it('keeps the path and query, and drops only the upgrade token of each Connection header', async () => {
    const { socket, received } = await client(port);
    socket.write(
      'GET /health?a=1&b=%C3%A9 HTTP/1.1\r\nHost: x\r\nConnection: keep-alive,UPGRADE\r\nUpgrade: h2c\r\n' +
        'Connection: upgrade\r\nX-After: yes\r\n\r\n',
    );
    await until(() => received().includes('{"ok":true}'));
    socket.destroy();
    expect(seen.at(-1)).toMatchObject({
      method: 'GET',
      url: '/health?a=1&b=%C3%A9',
      raw: ['Host', 'x', 'Connection', 'keep-alive', 'X-After', 'yes'],
    });
  });

  it('reads a chunked body, then serves the request pipelined after it, in order', async () => {
    const { socket, received } = await client(port);
    socket.write(
      `POST /echo HTTP/1.1\r\nHost: x\r\n${H2C}Transfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n` +
        'GET /health HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    await until(() => received().includes('{"ok":true}'));
    socket.destroy();
    expect(received().match(/\{"(body|ok)":[^}]*\}/g)).toEqual(['{"body":"hi"}', '{"ok":true}']);
    // The echo route records once it has read its body, possibly after the GET: the order of the
    // answers is the one checked above.
    expect(seen.map((s) => `${s.method} ${s.url} ${s.body ?? ''}`).sort()).toEqual([
      'GET /health ',
      'POST /echo hi',
    ]);
  });

  it('serves a body that holds a second request as a body, never as a request', async () => {
    const hidden = 'GET /admin HTTP/1.1\r\nHost: x\r\n\r\n';
    const { socket, received } = await client(port);
    socket.write(`POST /echo HTTP/1.1\r\nHost: x\r\n${H2C}Content-Length: ${hidden.length}\r\n\r\n${hidden}`);
    await until(() => received().includes('"body"'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    expect(seen.map((s) => s.url)).toEqual(['/echo']);
    expect(seen[0]?.body).toBe(hidden);
    expect(statuses(received())).toEqual(['200']);
  });

  it.each([
    [
      'Transfer-Encoding and Content-Length',
      'Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n2\r\nhi\r\n0\r\n\r\n',
    ],
    ['two Content-Length', 'Content-Length: 2\r\nContent-Length: 2\r\n\r\nhi'],
    ['an obs-fold line', 'X-Fold: one\r\n two\r\nContent-Length: 2\r\n\r\nhi'],
  ])('refuses %s with 400 and closes, serving nothing', async (_name, rest) => {
    const { socket, received, closed } = await client(port);
    socket.write(`POST /echo HTTP/1.1\r\nHost: x\r\n${H2C}${rest}GET /admin HTTP/1.1\r\nHost: x\r\n\r\n`);
    await until(closed);
    socket.destroy();
    expect(statuses(received())).toEqual(['400']);
    expect(seen).toEqual([]);
  });

  it('serves an HTTP/1.0 request with its body and closes after it', async () => {
    const { socket, received, closed } = await client(port);
    socket.write(`POST /echo HTTP/1.0\r\nHost: x\r\n${H2C}Content-Length: 2\r\n\r\nhi`);
    await until(closed);
    socket.destroy();
    expect(received()).toContain('{"body":"hi"}');
    expect(seen.map((s) => s.body)).toEqual(['hi']);
  });

  it('answers Expect: 100-continue with 100 before the route answers', async () => {
    const { socket, received } = await client(port);
    socket.write(`POST /echo HTTP/1.1\r\nHost: x\r\n${H2C}Expect: 100-continue\r\nContent-Length: 2\r\n\r\n`);
    await until(() => received().includes('100 Continue'));
    socket.write('hi');
    await until(() => received().includes('{"body":"hi"}'));
    socket.destroy();
    expect(statuses(received())).toEqual(['100', '200']);
  });

  it('takes `Upgrade: WebSocket` in any case, and a list holding websocket, to the endpoint', async () => {
    for (const upgrade of ['WebSocket', 'websocket, h2c', 'h2c,WEBSOCKET']) {
      const { socket, received, closed } = await client(port);
      socket.write(
        `GET /health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: ${upgrade}\r\n` +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
      await until(closed);
      socket.destroy();
      // The endpoint's 404 (another path than /ws), never the route's 200.
      expect(statuses(received())).toEqual(['404']);
    }
    expect(seen).toEqual([]);
  });
});

describe('the server still governs a passed-on connection', () => {
  it('closes one whose body stalls, by its requestTimeout', async () => {
    const { server, port } = await app({ requestTimeout: 500, headersTimeout: 500 });
    try {
      const { socket, received, closed } = await client(port);
      socket.write(`POST /echo HTTP/1.1\r\nHost: x\r\n${H2C}Content-Length: 100\r\n\r\nabc`);
      await until(closed);
      expect(closed()).toBe(true);
      expect(statuses(received())).toEqual(['408']);
    } finally {
      await close(server);
    }
  });

  it('closes one whose next request head stalls, by its headersTimeout', async () => {
    const { server, port } = await app({ requestTimeout: 500, headersTimeout: 500 });
    try {
      const { socket, received, closed } = await client(port);
      socket.write(`GET /health HTTP/1.1\r\nHost: x\r\n${H2C}\r\nGET /health HTTP/1.1\r\nHost: x\r\n`);
      await until(closed);
      expect(closed()).toBe(true);
      expect(statuses(received())).toEqual(['200', '408']);
    } finally {
      await close(server);
    }
  });

  it('40 connections each passed on: counted once each, and server.close() ends them all', async () => {
    const { server, port } = await app();
    const clients = await Promise.all(Array.from({ length: 40 }, () => client(port)));
    for (const { socket } of clients) socket.write(`GET /health HTTP/1.1\r\nHost: x\r\n${H2C}\r\n`);
    await until(() => clients.every((c) => c.received().includes('{"ok":true}')));
    expect(clients.filter((c) => c.received().includes('{"ok":true}'))).toHaveLength(40);
    const count = await new Promise<number>((resolve, reject) =>
      server.getConnections((error, n) => (error ? reject(error) : resolve(n))),
    );
    expect(count).toBe(40);
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    await until(() => clients.every((c) => c.closed()));
    expect(clients.filter((c) => c.closed())).toHaveLength(40);
    await stopped;
  });

  it('server.closeAllConnections() ends one that is mid-request after being passed on', async () => {
    const { server, port } = await app();
    const { socket, closed } = await client(port);
    socket.write(`POST /echo HTTP/1.1\r\nHost: x\r\n${H2C}Content-Length: 100\r\n\r\nabc`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    server.closeAllConnections();
    await until(closed);
    expect(closed()).toBe(true);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
