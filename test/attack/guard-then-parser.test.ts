/**
 * An idempotency guard mounted before a framework's own body parser (the README's order: guards before
 * the body reader) reads the body for its fingerprint. It must leave the parser's checks in force: its
 * `limit`, its `verify` hook (a webhook's signature check) and `strict`. Before, the guard consumed the
 * stream, body-parser took the request for already parsed and skipped them all, so adding an
 * Idempotency-Key turned off a signature check.
 */
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import express from 'express';
import { createExpressErrors, guard } from 'faultline/express';
import { idempotency } from 'faultline/guards';
import { memoryStore } from 'faultline/stores';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { close, listen, rawRequest } from '../helpers/http.js';

let server: Server;
let url: string;
let received: unknown[] = [];

beforeAll(async () => {
  const errors = createExpressErrors({ onError: false });
  const app = express();
  app.post(
    '/webhook',
    guard(idempotency({ store: memoryStore(), tenant: () => 'shop' })),
    express.json({
      limit: '1kb',
      strict: true,
      verify: (req) => {
        if (req.headers['x-signature'] !== 'valid') {
          throw Object.assign(new Error('bad signature'), { status: 403, expose: true });
        }
      },
    }),
    (req, res) => {
      received.push(req.body);
      res.status(201).json({ accepted: true });
    },
  );
  app.use(errors.notFound, errors.handler);
  server = createServer(app);
  url = `${await listen(server)}/webhook`;
});
afterAll(async () => {
  await close(server);
});

async function send(body: string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  await res.arrayBuffer();
  return res.status;
}

it.each([
  ['a forged signature', '{"a":1}', { 'x-signature': 'forged' }, 403],
  [
    'a body over the parser limit of 1 KiB',
    JSON.stringify({ a: 'x'.repeat(4096) }),
    { 'x-signature': 'valid' },
    413,
  ],
  ['a non-object under strict', '"just a string"', { 'x-signature': 'valid' }, 400],
])(
  'refuses %s with or without an Idempotency-Key, as the parser does',
  async (_name, body, headers, status) => {
    received = [];
    expect(await send(body, headers)).toBe(status);
    expect(await send(body, { ...headers, 'idempotency-key': `"k-${status}"` })).toBe(status);
    expect(received).toEqual([]);
  },
);

it('hands the parser the same bytes the guard fingerprinted, and replays a retry', async () => {
  received = [];
  const headers = { 'x-signature': 'valid', 'idempotency-key': '"order-1"' };
  expect(await send('{"item":"book"}', headers)).toBe(201);
  expect(await send('{"item":"book"}', headers)).toBe(201);
  expect(received).toEqual([{ item: 'book' }]);
  expect(await send('{"item":"pen"}', headers)).toBe(422);
});

// A chunked body of no bytes is no JSON for the guard to refuse, as one with `Content-Length: 0` is not:
// the route runs. Before, the guard answered 400 MALFORMED_JSON.
it('lets an empty chunked JSON body reach the route, as an empty body with a length does', async () => {
  received = [];
  const headers = {
    'x-signature': 'valid',
    'idempotency-key': '"empty-1"',
    'content-type': 'application/json',
  };
  const chunked = await rawRequest(url, [
    'POST /webhook HTTP/1.1\r\nhost: x\r\nx-signature: valid\r\nidempotency-key: "empty-1"\r\n' +
      'content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n',
  ]);
  expect(chunked?.status).toBe(201);
  expect(await send('', { ...headers, 'idempotency-key': '"empty-2"' })).toBe(201);
  // The guard read the chunked stream to its end: with no bytes to put back, body-parser finds it
  // finished and leaves `req.body` unset, where it sets `{}` for the body of length 0 it reads itself.
  expect(received).toEqual([undefined, {}]);
});

// A middleware that taps the stream before the guard (a logger of raw bodies) must see each byte once:
// bytes put back would reach it a second time. Such a stream is read through, and its value kept.
it('reads a stream someone taps through, once, and keeps the value for the route', async () => {
  const errors = createExpressErrors({ onError: false });
  const app = express();
  let tapped = 0;
  app.post(
    '/tapped',
    (req, _res, next) => {
      req.on('data', (chunk: Buffer) => {
        tapped += chunk.length;
      });
      next();
    },
    guard(idempotency({ store: memoryStore(), tenant: () => 'shop' })),
    express.json(),
    (req, res) => {
      res.status(201).json(req.body);
    },
  );
  app.use(errors.notFound, errors.handler);
  const tappedServer = createServer(app);
  const base = await listen(tappedServer);
  try {
    const res = await fetch(`${base}/tapped`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': '"t-1"' },
      body: '{"item":"book"}',
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ item: 'book' });
    expect(tapped).toBe('{"item":"book"}'.length);
  } finally {
    await close(tappedServer);
  }
});
