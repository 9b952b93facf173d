import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { defineErrors, wsDefinitions } from 'faultline';
import { createNodeErrors, createRouter } from 'faultline/node';
import { createWsErrors } from 'faultline/ws';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { close, listen, rawRequest } from '../helpers/http.js';

// A plain HTTP request to a WebSocket endpoint, as the README wires it: the catalog's 426 with
// `Upgrade: websocket` and, as RFC 9110 §7.8 asks of a sender of Upgrade, `Connection: upgrade`.
const errors = defineErrors({ ...wsDefinitions });
const chat = createWsErrors({
  errors: { catalog: errors },
  path: '/chat',
  authenticate: () => ({ key: 'k' }),
});
const http = createNodeErrors({ catalog: errors });
const router = createRouter().get('/chat', () => {
  throw chat.upgradeRequired();
});
const server: Server = createServer(http(router.handle)).on('upgrade', chat.upgrade);
let url = '';
beforeAll(async () => {
  url = await listen(server);
});
afterAll(async () => {
  chat.server.close();
  await close(server);
});

it('answers a plain GET to the endpoint 426 with Upgrade and Connection: upgrade, and keeps the connection', async () => {
  const answer = await rawRequest(url, ['GET /chat HTTP/1.1\r\nHost: x\r\n\r\n']);
  expect(answer?.status).toBe(426);
  expect(answer?.headers.upgrade).toBe('websocket');
  expect(answer?.headers.connection).toBe('upgrade');
  expect(JSON.parse(answer!.body)).toMatchObject({ code: 'UPGRADE_REQUIRED', status: 426 });
  const again = await fetch(`${url}/chat`);
  expect(again.status).toBe(426);
});

/** The bytes the server sends before it closes the connection; rejects after 3 s with the socket open. */
function untilClosed(url: string, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`still open after 3 s: ${received}`));
    }, 3000);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (data) => {
      received += data.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
  });
}

it('closes after the 426 when the client asked to close', async () => {
  const received = await untilClosed(url, 'GET /chat HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  expect(received).toMatch(/^HTTP\/1\.1 426 /);
  expect(received.toLowerCase()).toContain('\r\nconnection: upgrade, close\r\n');
});
