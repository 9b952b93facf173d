// An outsider's attacks on the pass-on of h2c requests (src/ws/pass-on.ts): the limits and listeners of the
// server hold across it, and no accepted request's answer is lost.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { defineErrors } from 'faultline';
import { createNodeErrors, createRouter } from 'faultline/node';
import { createWsErrors } from 'faultline/ws';
import { afterEach, describe, expect, it } from 'vitest';
import { close } from '../helpers/http.js';
import { rawClient, until } from '../helpers/raw.js';

const H2C = 'Connection: Upgrade\r\nUpgrade: h2c\r\n';
let server: Server;
afterEach(() => close(server));

async function app(setup: (s: Server) => void = () => {}) {
  const served: string[] = [];
  const errors = createNodeErrors({ catalog: defineErrors({}), onError: false });
  const router = createRouter()
    .get('/health', () => ({ ok: true }))
    .get('/admin', () => {
      served.push('GET /admin');
      return { admin: true };
    })
    .get('/slow', async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      served.push('GET /slow');
      return { slow: true };
    })
    .post('/echo', async (req) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      served.push(`POST /echo ${JSON.stringify(body)}`);
      return { body };
    });
  server = createServer(errors(router.handle));
  setup(server);
  server.on('upgrade', createWsErrors({ errors: errors.handler, path: '/ws' }).upgrade);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { served, port: (server.address() as AddressInfo).port };
}

const client = rawClient;

describe('an h2c request passed on keeps the limits node keeps', () => {
  it('never serves the body of a request with more headers than node keeps as a hidden request', async () => {
    const { served, port } = await app();
    const hidden = 'GET /admin HTTP/1.1\r\nHost: x\r\n\r\n';
    const pad = Array.from({ length: 1100 }, (_, i) => `a:${i % 10}\r\n`).join('');
    const { socket, received, closed } = await client(port);
    socket.write(
      `POST /echo HTTP/1.1\r\nHost: x\r\n${H2C}${pad}Content-Length: ${hidden.length}\r\n\r\n${hidden}`,
    );
    // node kept the first 1000 headers only: the head cannot be written again whole. The catalog's 400
    // answers it, as node's parser refusal of a head over the size limit is answered, and the connection closes.
    await until(closed);
    socket.destroy();
    expect(closed()).toBe(true);
    expect(served).toEqual([]);
    expect(received()).not.toContain('{"admin":true}');
    expect(received()).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(received()).toMatch(/\r\nconnection: close\r\n/i);
    const body = JSON.parse(received().slice(received().indexOf('\r\n\r\n') + 4));
    expect(body).toMatchObject({ status: 400, detail: 'The request header fields are too many.' });
  });

  it('answers a request still being handled before closing for an h2c request pipelined behind it', async () => {
    const { served, port } = await app();
    const { socket, received, closed } = await client(port);
    socket.write(`GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n${H2C}\r\n`);
    await until(() => closed() || received().includes('{"slow":true}'));
    await until(() => served.length > 0);
    socket.destroy();
    expect(served).toEqual(['GET /slow']);
    expect(received()).toContain('{"slow":true}');
  });

  it('keeps maxRequestsPerSocket across h2c requests', async () => {
    const { port } = await app((s) => {
      s.maxRequestsPerSocket = 2;
    });
    const { socket, received, closed } = await client(port);
    for (let i = 0; i < 5 && !closed(); i++) {
      const before = (received().match(/HTTP\/1\.1 \d{3}/g) ?? []).length;
      socket.write(`GET /health HTTP/1.1\r\nHost: x\r\n${H2C}\r\n`);
      await until(() => closed() || (received().match(/HTTP\/1\.1 \d{3}/g) ?? []).length > before);
    }
    socket.destroy();
    expect((received().match(/HTTP\/1\.1 200/g) ?? []).length).toBe(2);
    // The third gets the 503 node gives a request past the limit, in the catalog's format, and the
    // connection closes.
    expect(closed()).toBe(true);
    expect(received().match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 503']);
    expect(received()).toContain(
      '"detail":"The connection has carried as many requests as the server serves on one."',
    );
  });

  it("the server's 'connection' listeners see one socket once, however many h2c requests it carries", async () => {
    const sockets: unknown[] = [];
    const { port } = await app((s) => s.on('connection', (socket) => sockets.push(socket)));
    const { socket, received } = await client(port);
    for (let i = 0; i < 3; i++) {
      socket.write(`GET /health HTTP/1.1\r\nHost: x\r\n${H2C}\r\n`);
      await until(() => (received().match(/\{"ok":true\}/g) ?? []).length > i);
    }
    socket.destroy();
    expect(sockets).toHaveLength(1);
  });

  it('survives a client that resets while its refused h2c request waits behind an answer', async () => {
    let upgrades = 0;
    const { served, port } = await app((s) => s.on('upgrade', () => upgrades++));
    const pad = Array.from({ length: 1100 }, (_, i) => `a:${i % 10}\r\n`).join('');
    for (const refused of [
      `GET /health HTTP/1.1\r\nHost: x\r\n${H2C}\r\n`,
      `GET /health HTTP/1.1\r\nHost: x\r\n${H2C}${pad}\r\n`,
    ]) {
      const { socket } = await client(port);
      const before = upgrades;
      socket.write(`GET /slow HTTP/1.1\r\nHost: x\r\n\r\n${refused}`);
      // The refusal waits behind /slow's answer: the reset comes while it waits.
      await until(() => upgrades > before);
      expect(served).not.toContain('GET /slow');
      // A reset arrives as an 'error' on a socket node has let go of: unheard, it would end the process.
      socket.resetAndDestroy();
    }
    await until(() => served.length === 2);
    const { socket, received } = await client(port);
    socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => received().includes('{"ok":true}'));
    socket.destroy();
    expect(received()).toContain('{"ok":true}');
  });

  it('closes the connection whole, even for a client that never closes its own side', async () => {
    const { port } = await app();
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    socket.on('error', () => {});
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n${H2C}\r\n`);
    const connections = () =>
      new Promise<number>((resolve, reject) => server.getConnections((e, n) => (e ? reject(e) : resolve(n))));
    let open = 1;
    for (let i = 0; i < 100 && open > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      open = await connections();
    }
    expect(text).toContain('{"slow":true}');
    expect(open).toBe(0);
    socket.destroy();
  });
});
