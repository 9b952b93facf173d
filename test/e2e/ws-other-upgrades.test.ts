import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { defineErrors } from 'faultline';
import { createNodeErrors, createRouter } from 'faultline/node';
import { createWsErrors } from 'faultline/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { close, listen } from '../helpers/http.js';
import { rawClient, sendRaw, until } from '../helpers/raw.js';

// node:http hands every request with an Upgrade header to the `upgrade` listener once there is one. A
// WebSocket endpoint takes only WebSocket upgrades: a request upgrading to another protocol (h2c, which
// `curl --http2` sends to an http:// URL) is served by the app's routes, as a server without the listener
// serves it, never answered with the endpoint's 404.
const catalog = defineErrors({});
let server: Server;
let base = '';
const seen: string[] = [];

beforeAll(async () => {
  const errors = createNodeErrors({ catalog, onError: false });
  const router = createRouter()
    .get('/health', (req) => {
      seen.push(`GET ${req.url} ${req.headers.upgrade ?? '-'} ${req.headers.connection ?? '-'}`);
      return { ok: true };
    })
    .post('/echo', async (req) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      return { body, dup: req.headers['x-dup'] };
    })
    .get('/ws', () => ({ plain: true }));
  server = createServer(errors(router.handle));
  const ws = createWsErrors({ errors: errors.handler, path: '/ws' });
  server.on('upgrade', ws.upgrade);
  base = await listen(server);
});
afterAll(() => close(server));

const h2c =
  'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n';

const rawSocket = () => rawClient(Number(new URL(base).port));

describe('a request upgrading to another protocol than WebSocket', () => {
  it('is served by the route of its path, without the upgrade', async () => {
    const answer = await sendRaw(base, [`GET /health HTTP/1.1\r\nHost: x\r\n${h2c}\r\n`]);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ ok: true });
    expect(seen.at(-1)).toBe('GET /health - HTTP2-Settings');
  });

  it('keeps its body, and its repeated headers as they were sent', async () => {
    const body = '{"a":"é"}';
    const answer = await sendRaw(base, [
      `POST /echo HTTP/1.1\r\nHost: x\r\n${h2c}X-Dup: one\r\nX-Dup: two\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
      body,
    ]);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ body, dup: 'one, two' });
  });

  it("reaches the app's own route on the endpoint's path, and unknown paths get the app's 404", async () => {
    const onPath = await sendRaw(base, [`GET /ws HTTP/1.1\r\nHost: x\r\n${h2c}\r\n`]);
    expect(JSON.parse(onPath.body)).toEqual({ plain: true });
    const unknown = await sendRaw(base, [`GET /nowhere HTTP/1.1\r\nHost: x\r\n${h2c}\r\n`]);
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toBe('application/problem+json');
  });

  it('leaves the connection to the server: later requests on it are answered in order', async () => {
    const { socket, received } = await rawSocket();
    for (const path of ['/health', '/health', '/ws']) {
      const before = (received().match(/HTTP\/1\.1 200/g) ?? []).length;
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n${path === '/ws' ? '' : h2c}\r\n`);
      await until(() => (received().match(/HTTP\/1\.1 200/g) ?? []).length > before);
    }
    expect(received().match(/\{"(ok|plain)":true\}/g)).toEqual([
      '{"ok":true}',
      '{"ok":true}',
      '{"plain":true}',
    ]);
    socket.destroy();
  });

  it('closes a connection where it comes pipelined behind an answer still being written, and never hangs', async () => {
    const { socket, received, closed } = await rawSocket();
    socket.write(`GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n${h2c}\r\n`);
    await until(closed);
    expect(closed()).toBe(true);
    expect(received().match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 200']);
  });

  it('300 of them one after another on one connection: each answered, and the server holds one connection', async () => {
    const socket = connect(Number(new URL(base).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let answered = 0;
    let wake: (() => void) | undefined;
    socket.on('data', (chunk) => {
      answered += (String(chunk).match(/\{"ok":true\}/g) ?? []).length;
      wake?.();
    });
    for (let i = 0; i < 300; i++) {
      const answer = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`request ${i} not answered within 5 s`)), 5000);
        wake = () => {
          if (answered > i) {
            clearTimeout(timer);
            resolve();
          }
        };
      });
      socket.write(`GET /health HTTP/1.1\r\nHost: x\r\n${h2c}\r\n`);
      await answer;
    }
    expect(answered).toBe(300);
    const count = await new Promise<number>((resolve, reject) =>
      server.getConnections((error, n) => (error ? reject(error) : resolve(n))),
    );
    expect(count).toBe(1);
    socket.destroy();
  });
});

describe('WebSocket upgrades still reach the endpoint', () => {
  it('opens on its path, and answers 404 elsewhere', async () => {
    const url = base.replace('http:', 'ws:');
    const open = new WebSocket(`${url}/ws`);
    await new Promise((resolve, reject) => {
      open.once('open', resolve);
      open.once('error', reject);
    });
    open.close();
    const refused = await sendRaw(base, [
      'GET /elsewhere HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    ]);
    expect(refused.status).toBe(404);
  });
});
