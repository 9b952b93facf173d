/**
 * Seed 003 against a third outside probe written from its reference page: a JSON body in a coding the
 * gateway does not decode (a transfer coding besides chunked, a content coding) gets the page's own 400,
 * never a 501 under the 500 text, nor the 415 that blames a Content-Type the request has right. In process,
 * on raw sockets on 127.0.0.1, since no client sends these framings.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start } from '../../examples/seeds/003/app.js';
import { rawRequest } from './harness.js';

const adminApiKey = randomBytes(24).toString('base64url');
const appKey = randomBytes(24).toString('base64url');
let gateway: Awaited<ReturnType<typeof start>>;
let session: string;

beforeAll(async () => {
  gateway = await start(0, { adminApiKey, log: () => {} });
  const admin = await fetch(`${gateway.url}/admin/apps/app-a`, {
    method: 'POST',
    headers: { 'x-admin-api-key': adminApiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ api_key: appKey }),
  });
  expect(admin.status).toBe(200);
  const made = await fetch(`${gateway.url}/api/v1/sessions`, {
    method: 'POST',
    headers: { 'x-app-id': 'app-a', 'x-api-key': appKey },
  });
  session = ((await made.json()) as { uuid: string }).uuid;
});

afterAll(async () => {
  await gateway?.close();
});

/** The status line, the headers (lower-cased) and the body of the answer to `head` and `body`. */
async function send(path: string, head: string, body: string) {
  const answer = await rawRequest(
    gateway.port,
    `POST ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-App-ID: app-a\r\nX-API-Key: ${appKey}\r\n` +
      `${head}\r\n${body}`,
  );
  const [top = '', text = ''] = answer.split('\r\n\r\n');
  const [status, ...lines] = top.split('\r\n');
  return { status: Number(status!.split(' ')[1]), headers: lines.join('\n').toLowerCase(), body: text };
}

const invalidBody = JSON.stringify({ success: false, error: 'Invalid request body' });
/** The path of a route that reads a JSON body: one under the 1 MiB limit, one under the 64 KiB one. */
const pathOf = (route: 'conference' | 'command') =>
  route === 'conference' ? '/api/v1/conferences' : `/api/v1/sessions/${session}/commands/answer`;

describe('seed 003 coded bodies', () => {
  it.each(['conference', 'command'] as const)(
    'answers a JSON body in `Transfer-Encoding: gzip, chunked` on the %s route with 400 "Invalid request body"',
    async (route) => {
      const answer = await send(
        pathOf(route),
        'Content-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n',
        '2\r\n{}\r\n0\r\n\r\n',
      );
      expect(answer).toMatchObject({ status: 400, body: invalidBody });
    },
  );

  it.each(['conference', 'command'] as const)(
    'answers a JSON body in `Content-Encoding: gzip` on the %s route with 400 "Invalid request body" and `Accept-Encoding: identity`',
    async (route) => {
      const answer = await send(
        pathOf(route),
        'Content-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: 12\r\n',
        '{"name":"g"}',
      );
      expect(answer).toMatchObject({ status: 400, body: invalidBody });
      expect(answer.headers).toContain('accept-encoding: identity');
    },
  );

  it("keeps the page's 415 for a coded body of another type, whose Content-Type is what is wrong", async () => {
    const answer = await send(
      '/api/v1/conferences',
      'Content-Type: text/plain\r\nContent-Encoding: gzip\r\nContent-Length: 12\r\n',
      '{"name":"g"}',
    );
    expect(answer).toMatchObject({
      status: 415,
      body: JSON.stringify({ success: false, error: 'Content-Type must be application/json' }),
    });
  });

  it('reads a body whose only coding is identity', async () => {
    const answer = await send(
      '/api/v1/conferences',
      'Content-Type: application/json\r\nContent-Encoding: identity\r\nContent-Length: 16\r\n',
      '{"name":"plain"}',
    );
    expect(answer.status, answer.body).toBe(201);
  });
});
