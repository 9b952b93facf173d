import { createServer, type Server } from 'node:http';
import { defineErrors, wsDefinitions } from 'faultline';
import { createNodeErrors, createRouter } from 'faultline/node';
import { createWsErrors } from 'faultline/ws';
import { afterAll, expect, it } from 'vitest';
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
afterAll(async () => {
  chat.server.close();
  await close(server);
});

it('answers a plain GET to the endpoint 426 with Upgrade and Connection: upgrade, and keeps the connection', async () => {
  const url = await listen(server);
  const answer = await rawRequest(url, ['GET /chat HTTP/1.1\r\nHost: x\r\n\r\n']);
  expect(answer?.status).toBe(426);
  expect(answer?.headers.upgrade).toBe('websocket');
  expect(answer?.headers.connection).toBe('upgrade');
  expect(JSON.parse(answer!.body)).toMatchObject({ code: 'UPGRADE_REQUIRED', status: 426 });
  const again = await fetch(`${url}/chat`);
  expect(again.status).toBe(426);
});
