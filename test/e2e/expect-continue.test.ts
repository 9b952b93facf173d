/**
 * `Expect: 100-continue` through the node adapter's `checkContinue` listener, beyond the bad-input matrix:
 * the listener called from an app's own, and an app's answer that never reads the body while the client
 * sends it without waiting for the 100 (RFC 9110 §10.1.1 lets it).
 */
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { defineErrors } from 'faultline';
import { createNodeErrors, createRouter, readJson } from 'faultline/node';
import { afterEach, describe, expect, it } from 'vitest';
import { rawClient, until } from '../helpers/raw.js';

const catalog = defineErrors({});
const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function listen(wire: (server: Server, handle: ReturnType<typeof createNodeErrors>) => void) {
  const handle = createNodeErrors({ catalog, logger: false });
  const router = createRouter()
    .post('/echo', async (req) => (await readJson(req, { limit: '1kb' })) ?? null)
    .post('/accepted', (_req, res) => {
      res.writeHead(202, { 'content-length': '0' }).end();
    });
  const server = createServer(handle(router.handle)).on('clientError', handle.clientError);
  wire(server, handle);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/**
 * Sends a head with `Expect: 100-continue` and `bytes` of body at once, without waiting for the 100, and
 * reads what comes back until the server closes (bounded: 10 s). Write errors are collected.
 */
function upload(port: number, path: string, body: Buffer) {
  return new Promise<{ text: string; errors: string[] }>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const errors: string[] = [];
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('error', (error: NodeJS.ErrnoException) => errors.push(error.code ?? error.message));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, errors });
    });
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    socket.write(body, () => socket.end());
  });
}

describe('checkContinue', () => {
  it('serves the request when an app listener calls it as a method', async () => {
    let seen = 0;
    const port = await listen((server, handle) =>
      server.on('checkContinue', (req, res) => {
        seen++;
        handle.checkContinue(req, res);
      }),
    );
    const { text, errors } = await upload(port, '/echo', Buffer.from('{"a":1}'));
    expect(errors).toEqual([]);
    expect(seen).toBe(1);
    expect(text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  });

  it('keeps the connection of a request that asks for a 100 and announces no body', async () => {
    const port = await listen((server, handle) => server.on('checkContinue', handle.checkContinue));
    const client = await rawClient(port);
    const accepted = 'POST /accepted HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n';
    client.socket.write(`POST /accepted HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n${accepted}`);
    await until(() => client.closed() || (client.received().match(/HTTP\/1\.1 202/g) ?? []).length === 2);
    client.socket.destroy();
    // Nothing to upload: its 100 at once, as node sends it, and both answered on one connection.
    expect(client.received().match(/HTTP\/1\.1 \d{3}/g)).toEqual([
      'HTTP/1.1 100',
      'HTTP/1.1 202',
      'HTTP/1.1 202',
    ]);
    expect(client.received()).not.toMatch(/connection: close/i);
  });

  it('lets a client that sent its body without waiting read an answer that never read it: no reset', async () => {
    const port = await listen((server, handle) => server.on('checkContinue', handle.checkContinue));
    const { text, errors } = await upload(port, '/accepted', Buffer.alloc(4 * 1024 * 1024, 0x20));
    expect(text).toMatch(/^HTTP\/1\.1 202 Accepted\r\n/);
    expect(text).not.toContain('100 Continue');
    expect(errors).toEqual([]);
  });
});
