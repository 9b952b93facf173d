/**
 * An app that keeps `express.json()` beside faultline (the README supports it) gets body-parser's errors,
 * which mark their messages as meant for the client (http-errors `expose`). Three of them carry text that
 * is not: a `verify` callback's message (which may name the signature a forger needs), zlib's own words
 * for a body that does not inflate, and a content coding body-parser does not inflate, answered before as
 * a media type refusal. Each gets the catalog's answer, as faultline's own reader gives it.
 */
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import express from 'express';
import { createExpressErrors } from 'faultline/express';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { close, listen } from '../helpers/http.js';

let server: Server;
let url: string;

beforeAll(async () => {
  const errors = createExpressErrors({ logger: false });
  const app = express();
  app.post(
    '/webhook',
    express.json({
      verify: (req) => {
        if (req.headers['x-signature'] !== 'valid')
          throw new Error('signature mismatch: expected sha256=5f2b9c');
      },
    }),
    (_req, res) => {
      res.status(201).json({ accepted: true });
    },
  );
  app.use(errors.handler);
  server = createServer(app);
  url = await listen(server);
});
afterAll(() => close(server));

const post = (headers: Record<string, string>, body: BodyInit) =>
  fetch(`${url}/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(5_000),
  });

it("answers a verify callback's refusal 403 without its message", async () => {
  const res = await post({}, '{"event":"paid"}');
  const text = await res.text();
  expect(res.status).toBe(403);
  expect(JSON.parse(text)).toMatchObject({ code: 'FORBIDDEN' });
  expect(text).not.toContain('sha256');
  expect((await post({ 'x-signature': 'valid' }, '{"event":"paid"}')).status).toBe(201);
});

it("answers a gzip body that does not inflate 400 without zlib's words", async () => {
  const broken = new Uint8Array(gzipSync(`{"event":"paid"}`).subarray(0, 12));
  const res = await post({ 'x-signature': 'valid', 'content-encoding': 'gzip' }, broken);
  const text = await res.text();
  expect(res.status).toBe(400);
  expect(JSON.parse(text)).toMatchObject({
    code: 'BAD_REQUEST',
    detail: 'The request body could not be decoded.',
  });
  expect(text).not.toMatch(/header check|unexpected end/i);
});

it('answers a content coding body-parser does not inflate as faultline does: 415 with Accept-Encoding', async () => {
  const res = await post({ 'x-signature': 'valid', 'content-encoding': 'compress' }, '{"event":"paid"}');
  const body = await res.json();
  expect(res.status).toBe(415);
  expect(body).toMatchObject({ detail: 'The request content encoding is not supported.' });
  expect(res.headers.get('accept-encoding')).toBe('identity');
});
