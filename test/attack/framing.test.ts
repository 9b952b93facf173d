import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { defineErrors } from 'faultline';
import { createNodeErrors, createRouter, readJson } from 'faultline/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapters } from '../helpers/adapters.js';
import { bodyApps } from '../helpers/body-apps.js';
import { close, listen } from '../helpers/http.js';
import { type RawAnswer, sendRaw } from '../helpers/raw.js';
import { freePort, type Started, startCommand } from '../helpers/spawn.js';

/**
 * The HTTP framing surface. Anchor: nginx, which answers a request it cannot frame with 400 and closes
 * the connection; nothing is dropped without an answer while the socket can carry one.
 */
const servers = new Map<string, { server: Server; base: string }>();

beforeAll(async () => {
  for (const { name, example } of adapters) {
    const server = await example();
    servers.set(name, { server, base: await listen(server) });
  }
});
afterAll(async () => {
  for (const { server } of servers.values()) await close(server);
});

// A complete, valid JSON body sent as the first chunk: a handler given the body read so far would answer
// 200, so a 400 also shows that no handler ran on a truncated body.
const valid = '{"email":"a@b.c"}';
const head = (te = 'chunked') =>
  `POST /echo HTTP/1.1\r\nHost: x\r\nX-Request-Id: framing-1\r\nContent-Type: application/json\r\nTransfer-Encoding: ${te}\r\n\r\n`;
const firstChunk = `${valid.length.toString(16)}\r\n${valid}\r\n`;

const framings: readonly (readonly [string, readonly (string | Uint8Array)[]])[] = [
  ['a chunk size that is not hex (zz)', [head(), firstChunk, 'zz\r\nab\r\n0\r\n\r\n']],
  ['a negative chunk size (-1)', [head(), firstChunk, '-1\r\nab\r\n0\r\n\r\n']],
  ['a chunk size past 64 bits', [head(), firstChunk, 'fffffffffffffffffff\r\nab\r\n0\r\n\r\n']],
  ['Transfer-Encoding: xchunked', [head('xchunked'), valid]],
  [
    'a bad chunk size followed by 256 kB of garbage',
    [head(), firstChunk, 'zz\r\n', Buffer.alloc(256 * 1024, 'g')],
  ],
];

function expectCatalog400(answer: RawAnswer, name: string): void {
  expect({ name, status: answer.status }).toEqual({ name, status: 400 });
  expect(answer.headers['content-type'], name).toBe('application/problem+json');
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  expect(body.code, name).toBe('BAD_REQUEST');
  expect(body.status, name).toBe(400);
  expect(answer.body, name).not.toMatch(/HPE_|Parse Error|\bat .+:\d+:\d+/);
}

describe('framing attack: malformed chunked framing after a request was dispatched', () => {
  it.each(framings)(
    '%s is answered with the catalog 400 on its own request, then the connection is closed (nginx: a request it cannot frame gets 400 and the connection is closed)',
    async (_, chunks) => {
      for (const [name, { base }] of servers) {
        const answer = await sendRaw(base, chunks, { timeoutMs: 5000 }).catch((error: Error) => {
          throw new Error(`${name}: ${error.message}`);
        });
        expectCatalog400(answer, name);
        // The answer belongs to the request that was dispatched: it carries that request's correlation id.
        expect(answer.headers['x-request-id'], name).toBe('framing-1');
        expect(answer.headers.connection, name).toBe('close');
        // The client learns what was wrong with its request, not that it went away.
        expect(JSON.parse(answer.body).detail, name).toBe('The request body is malformed.');
        expect((await fetch(`${base}/limited`)).status, `${name} still answers`).toBe(429);
      }
    },
  );
});

describe("framing attack: broken framing under the frameworks' own body parsers", () => {
  it('body-parser, Fastify and Hono parsers: the request still gets the catalog 400 (nginx: nothing is dropped without an answer while the socket can carry one)', async () => {
    const chunks = [head().replace('/echo', '/native'), firstChunk, 'zz\r\n'];
    for (const [name, make] of Object.entries(bodyApps)) {
      const app = await make();
      const base = await listen(app.native);
      try {
        const answer = await sendRaw(base, chunks).catch((error: Error) => {
          throw new Error(`${name}: ${error.message}`);
        });
        expect({ name, status: answer.status }).toEqual({ name, status: 400 });
        expect(answer.headers['content-type'], name).toBe('application/problem+json');
        expect(answer.headers.connection, name).toBe('close');
        expect(app.seen, `${name}: the handler ran`).toEqual([]);
      } finally {
        await close(app.native);
        if (app.server !== app.native) await close(app.server);
      }
    }
  });
});

/** Every status line the server writes on one connection, until it closes it; bounded by `timeoutMs`. */
function statusLines(base: string, bytes: string, timeoutMs = 5000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(base).port), '127.0.0.1', () => socket.write(bytes));
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`not closed within ${timeoutMs} ms: ${received}`));
    }, timeoutMs);
    socket.on('data', (data) => {
      received += data.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received.match(/HTTP\/1\.1 \d{3}/g) ?? []);
    });
  });
}

describe('framing attack: pipelined requests', () => {
  it('broken framing on a request pipelined behind a good one: both are answered, in order, then the connection closes (nginx: every request it read gets an answer)', async () => {
    const bytes = `GET /limited HTTP/1.1\r\nHost: x\r\n\r\n${head()}${firstChunk}zz\r\n`;
    for (const [name, { base }] of servers) {
      expect({ name, lines: await statusLines(base, bytes) }).toEqual({
        name,
        lines: ['HTTP/1.1 429', 'HTTP/1.1 400'],
      });
    }
  });

  it('a malformed head pipelined behind a good request: the 400 follows the first answer (nginx: a request it cannot parse gets 400)', async () => {
    const bytes = 'GET /limited HTTP/1.1\r\nHost: x\r\n\r\nG@T /limited HTTP/1.1\r\nHost: x\r\n\r\n';
    for (const [name, { base }] of servers) {
      expect({ name, lines: await statusLines(base, bytes) }).toEqual({
        name,
        lines: ['HTTP/1.1 429', 'HTTP/1.1 400'],
      });
    }
  });
});

describe('framing attack: requests the HTTP parser refuses, on the demo (npm start)', () => {
  let demo: Started;
  let base: string;
  beforeAll(async () => {
    const port = await freePort();
    demo = await startCommand('npx', ['tsx', 'demo/server.ts'], port);
    base = `http://127.0.0.1:${port}`;
  }, 60_000);
  afterAll(() => demo?.stop());

  it.each([
    ['a request line with a bad method', 'G@T /health HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a header with an invalid character', 'GET /health HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n'],
    ['a bare CR in a header', 'GET /health HTTP/1.1\r\nHost: x\r\nX-Bad: a\rb\r\n\r\n'],
    [
      'Content-Length beside Transfer-Encoding',
      'POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n',
    ],
  ])(
    '%s gets the catalog 400 in the demo format, not node’s bare 400 (nginx: a request it cannot parse gets 400 and the connection is closed)',
    async (_, request) => {
      const answer = await sendRaw(base, [request]);
      expect(answer.status).toBe(400);
      const body = JSON.parse(answer.body) as Record<string, unknown>;
      expect(body).toMatchObject({ success: false, code: 'BAD_REQUEST' });
      expect(answer.headers.connection).toBe('close');
      expect((await fetch(`${base}/health`)).status).toBe(200);
    },
  );
});

describe("framing attack: a catalog's own message for a bad request", () => {
  it("answers broken framing and a head node refuses with the catalog's own text, not faultline's", async () => {
    const own = defineErrors({ BAD_REQUEST: { status: 400, message: 'Invalid request.' } });
    const handle = createNodeErrors({ catalog: own });
    const app = createRouter().post('/echo', async (req) => (await readJson(req)) ?? null);
    const server = createServer(handle(app.handle)).on('clientError', handle.clientError);
    const base = await listen(server);
    try {
      const framed = await sendRaw(base, [head(), firstChunk, 'zz\r\nab\r\n0\r\n\r\n'], { timeoutMs: 5000 });
      expect(framed.status).toBe(400);
      expect(JSON.parse(framed.body)).toMatchObject({ code: 'BAD_REQUEST', detail: 'Invalid request.' });
      const refused = await sendRaw(base, ['GET / HTTP/1.1\r\nHost: x\r\nX-Bad: a\rb\r\n\r\n'], {
        timeoutMs: 5000,
      });
      expect(refused.status).toBe(400);
      expect(JSON.parse(refused.body)).toMatchObject({ code: 'BAD_REQUEST', detail: 'Invalid request.' });
    } finally {
      await close(server);
    }
  });
});
