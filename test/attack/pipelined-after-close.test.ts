// A request pipelined behind one whose answer closes the connection (a body refused or left unread, an
// expectation refused) is never served: its answer could never be written, and a client that sends it again
// would have it run twice. node's parser dispatches every request it has buffered, whatever the answer
// before it said; nginx serves none after a lingering close.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { defineErrors } from 'faultline';
import { createExpressErrors, guard as expressGuard } from 'faultline/express';
import type { Guard } from 'faultline/guards';
import { createNodeErrors, guard as nodeGuard, readJson, sendJson } from 'faultline/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdapterName, adapters } from '../helpers/adapters.js';
import { close } from '../helpers/http.js';
import { rawClient, until } from '../helpers/raw.js';

const served: string[] = [];
const servers = new Map<AdapterName, { close(): Promise<void>; port: number }>();

beforeAll(async () => {
  for (const adapter of adapters) {
    const server = await adapter.build({
      options: { catalog: defineErrors({}), onError: false },
      body: { limit: 64 },
      routes: [
        { method: 'POST', path: '/echo', json: true, handle: ({ body }) => ({ body }) },
        {
          method: 'POST',
          path: '/transfer',
          handle: () => {
            served.push(`${adapter.name} POST /transfer`);
            return { body: { moved: true } };
          },
        },
      ],
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.set(adapter.name, { close: () => close(server), port: (server.address() as AddressInfo).port });
  }
});
afterAll(async () => {
  for (const { close: stop } of servers.values()) await stop();
});

const behind = 'POST /transfer HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n';
const cases: [string, string][] = [
  [
    'a body over the limit (413)',
    `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n${'{"a":1'.padEnd(99, ' ')}}`,
  ],
  [
    'an expectation refused (417)',
    'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: foo\r\nContent-Length: 2\r\n\r\n{}',
  ],
];

describe('a request pipelined behind an answer that closes the connection', () => {
  it.each(cases)('is never served, behind %s, on every adapter', async (_name, first) => {
    for (const [name, { port }] of servers) {
      served.length = 0;
      const client = await rawClient(port);
      client.socket.write(first + behind);
      await until(client.closed);
      client.socket.destroy();
      expect(client.closed(), name).toBe(true);
      expect(client.received().match(/HTTP\/1\.1 \d{3}/g)?.length, name).toBe(1);
      expect(served, name).toEqual([]);
    }
  });

  it('is served as usual behind an answer that keeps the connection', async () => {
    for (const [name, { port }] of servers) {
      served.length = 0;
      const client = await rawClient(port);
      client.socket.write(
        `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}${behind}`,
      );
      await until(() => (client.received().match(/HTTP\/1\.1 \d{3}/g) ?? []).length === 2);
      client.socket.destroy();
      expect(served, name).toEqual([`${name} POST /transfer`]);
    }
  });
});

// A guard that awaits (a Redis store, Web Crypto): node dispatches the request pipelined behind before
// the first one's answer is decided. The first body has then arrived whole: it is discarded and the
// connection kept, so the second is answered. Before, the 415 closed the connection after the second
// request had run, and its answer never reached the client.
const awaiting: Guard = { kind: 'awaiting', check: () => new Promise((resolve) => setTimeout(resolve, 20)) };

function raceApps(): [string, Server][] {
  const ran: string[] = served;
  const node = createNodeErrors({ catalog: defineErrors({}), onError: false });
  const nodeServer = createServer(
    node(
      nodeGuard(awaiting)(async (req, res) => {
        if (req.url === '/transfer') {
          ran.push('node POST /transfer');
          sendJson(res, 200, { moved: true });
          return;
        }
        sendJson(res, 200, await readJson(req));
      }),
    ),
  );
  const errors = createExpressErrors({ catalog: defineErrors({}), onError: false });
  const app = express();
  app.post('/transfer', expressGuard(awaiting), (_req, res) => {
    ran.push('express POST /transfer');
    res.json({ moved: true });
  });
  app.post('/echo', expressGuard(awaiting), errors.json(), (req, res) => {
    res.json(req.body);
  });
  app.use(errors.notFound);
  app.use(errors.handler);
  return [
    ['node', nodeServer],
    ['express', createServer(app)],
  ];
}

describe('a request pipelined behind an answer decided after a guard awaited', () => {
  it.each([
    ['an unsupported media type (415)', 'text/plain', '{"name":"room-1","x":"xx"}'],
    ['malformed JSON (400)', 'application/json', '{"name":'],
  ])('is served and answered, behind %s whose body arrived whole', async (_name, type, body) => {
    for (const [name, server] of raceApps()) {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        served.length = 0;
        const client = await rawClient((server.address() as AddressInfo).port);
        client.socket.write(
          `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\n\r\n${body}${behind}`,
        );
        await until(
          () => (client.received().match(/HTTP\/1\.1 \d{3}/g) ?? []).length === 2 || client.closed(),
        );
        const statuses = client.received().match(/HTTP\/1\.1 (\d{3})/g);
        client.socket.destroy();
        // Before: one answer on the wire (the refusal, with Connection: close), and the transfer had run.
        expect(statuses, name).toEqual([`HTTP/1.1 ${type === 'text/plain' ? 415 : 400}`, 'HTTP/1.1 200']);
        expect(served, name).toEqual([`${name} POST /transfer`]);
      } finally {
        await close(server);
      }
    }
  });
});
