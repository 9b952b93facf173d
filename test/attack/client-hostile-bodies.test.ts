/**
 * `faultline/client` reading bodies a hostile server shapes against its readers, not its limits: nested past
 * the stack where a reader walks (a literal member, a field's path), or a message that makes a template's
 * matcher backtrack. Whatever the body, the client answers an `ApiError` of the status, never retries a 4xx
 * it would not retry anyway, never throws from a socket's event, and reads a message in time linear in it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, defineErrors } from 'faultline';
import { connectSocket, createClient, parseErrorParts, parseErrorResponse } from 'faultline/client';
import { commonFormats } from 'faultline/format';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import * as z from 'zod';
import { close, listen, rejection } from '../helpers/http.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map(close));
});

/** Nested arrays `depth` deep: JSON.parse reads them, a recursive walk runs out of stack. */
const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

const catalog = defineErrors({
  FIELD_INVALID: {
    status: 400,
    message: 'Field {field} of {resource} is invalid',
    details: z.object({ field: z.string(), resource: z.string() }),
  },
});

async function answering(status: number, body: string): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    req.resume();
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  servers.push(server);
  return { url: await listen(server), hits: () => hits };
}

/**
 * A socket client of a server that sends `frames`, then a plain FIELD_INVALID error event: the messages it
 * emitted before that event, and the event's error. The last event arriving as an error shows that the
 * socket's listener survived the frames before it.
 */
async function afterFrames(...frames: string[]): Promise<{ messages: unknown[]; error: ApiError }> {
  const http = createServer();
  servers.push(http);
  const wss = new WebSocketServer({ noServer: true });
  http.on('upgrade', (request, socket, head) =>
    wss.handleUpgrade(request, socket, head, (ws) => {
      for (const frame of frames) ws.send(frame);
      ws.send(JSON.stringify({ type: 'error', error: { code: 'FIELD_INVALID', message: 'm' } }));
    }),
  );
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const socket = connectSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/`, {
    WebSocket,
    catalog,
    reconnect: false,
  });
  const messages: unknown[] = [];
  socket.on('message', (message) => messages.push(message));
  const error = await new Promise<ApiError>((resolve) => socket.on('error', resolve));
  socket.close();
  wss.close();
  return { messages, error };
}

describe('a body nested past the stack where a reader walks it', () => {
  it('reads a deep member of a literal (`success`) as an unrecognised body of its status', async () => {
    const error = await parseErrorParts(
      { status: 400, headers: {}, body: `{"success":${deep(20_000)},"error":"x"}` },
      { formats: [commonFormats.message] },
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(400);
  });

  it('reads a deep path of a field error as an unrecognised body of its status', async () => {
    const body = `{"error":{"message":"m","code":"X","details":[{"path":[${deep(20_000)}],"message":"x"}]}}`;
    const error = await parseErrorParts(
      { status: 422, headers: {}, body },
      { formats: [commonFormats.nested] },
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(422);
  });

  it('rejects a POST answered 400 with such a body once, with an ApiError, never retried as a network error', async () => {
    const server = await answering(400, `{"success":${deep(20_000)},"error":"x"}`);
    const api = createClient({ baseUrl: server.url, formats: [commonFormats.message] });
    const error = await rejection(api.post('/orders', { json: { a: 1 } }));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(400);
    expect(server.hits()).toBe(1);
  });

  it("emits a socket's deep event as a message, never an uncaught exception", async () => {
    const { messages, error } = await afterFrames(
      `{"type":${deep(20_000)},"error":{"code":"X","message":"m"}}`,
    );
    expect(error.code).toBe('FIELD_INVALID');
    expect(messages).toHaveLength(1);
  });
});

describe('an error whose details nest past what a server reads', () => {
  /** An object `depth` levels deep, under 1 MiB: JSON.parse reads it, JSON.stringify runs out of stack. */
  const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

  it('reads it as a body of its status alone, so that the error serializes and logs', async () => {
    const body = `{"code":"FIELD_INVALID","status":400,"details":${deepObject(150_000)}}`;
    const server = await answering(400, body);
    const api = createClient({ baseUrl: server.url, catalog });
    const error = await rejection(api.get('/x'));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(400);
    expect(error.details).toBeUndefined();
    expect(() => JSON.stringify(error)).not.toThrow();
  });

  it('reads a body 256 levels deep (its details 255), as deep as a server reads one', async () => {
    const body = `{"code":"FIELD_INVALID","status":400,"details":${deepObject(255)}}`;
    const error = await parseErrorParts({ status: 400, headers: {}, body }, { catalog });
    expect(error.code).toBe('FIELD_INVALID');
    expect(error.details).toBeDefined();
  });

  it("emits a socket's deep error event as its text, never an ApiError", async () => {
    const deepEvent = `{"type":"error","error":{"code":"FIELD_INVALID","message":"m","details":${deepObject(5_000)}}}`;
    const { messages, error } = await afterFrames(deepEvent);
    expect(error.details).toBeUndefined();
    expect(messages).toEqual([deepEvent]);
  });
});

describe('a catalog message a body leaves to the client', () => {
  it('fills the template from the details the body carries, as the server does', async () => {
    const body = '{"code":"FIELD_INVALID","status":400,"details":{"field":"email","resource":"user"}}';
    const error = await parseErrorParts({ status: 400, headers: {}, body }, { catalog });
    expect(error.message).toBe('Field email of user is invalid');
    expect(error.message).toBe(catalog.create('FIELD_INVALID', { field: 'email', resource: 'user' }).message);
  });
});

describe('a message matched back to a template', () => {
  const read = (message: string) =>
    parseErrorParts(
      { status: 400, headers: {}, body: { success: false, error: message } },
      { catalog, formats: [commonFormats.message] },
    );

  it('reads the values back as the shortest that fit, the last taking the rest', async () => {
    expect((await read('Field a of b is invalid')).details).toEqual({ field: 'a', resource: 'b' });
    expect((await read('Field a of b of c is invalid')).details).toEqual({ field: 'a', resource: 'b of c' });
    expect((await read('Field of of of is invalid')).details).toEqual({ field: 'of', resource: 'of' });
    for (const other of [
      'Field  of b is invalid',
      'Field a of  is invalid',
      'Field a is invalid',
      'Field a of b',
    ])
      expect((await read(other)).code).not.toBe('FIELD_INVALID');
  });

  it('reads a 1 MiB message that repeats the fixed text without backtracking (a regex took minutes)', async () => {
    const hostile = `Field ${' of '.repeat(260_000)}`;
    const error = await read(hostile);
    expect(error.code).not.toBe('FIELD_INVALID');
    const instance = await read(`Field ${'x of '.repeat(200_000)}y is invalid`);
    expect(instance.code).toBe('FIELD_INVALID');
    expect((instance.details as { field: string }).field).toBe('x');
  });
});

describe('a RateLimit field of strings', () => {
  const waitOf = async (ratelimit: string) =>
    (await parseErrorParts({ status: 429, headers: { ratelimit }, body: '' })).retryAfter;

  it('blanks strings with escapes in one pass: names are read around them, unterminated ones refuse the field', async () => {
    expect(await waitOf('"a\\"b,c";r=0;t=5, "d";r=3;t=9')).toBe(5);
    expect(await waitOf(`${'"\\"'.repeat(40_000)};r=0;t=5`)).toBeUndefined();
    expect(await waitOf('"open;r=0;t=5')).toBeUndefined();
  });
});

describe('what an error keeps of the response', () => {
  it('keeps no cookie the server set: an error is logged and serialized whole', async () => {
    const error = await parseErrorParts({
      status: 401,
      headers: [
        ['set-cookie', 'session=secret-token; HttpOnly'],
        ['www-authenticate', 'Bearer'],
      ],
      body: '',
    });
    expect(error.headers['www-authenticate']).toBe('Bearer');
    expect(error.headers['set-cookie']).toBeUndefined();
    expect(JSON.stringify(error)).not.toContain('secret-token');
  });
});

// A problem type is a URI a client may render as a link ("more about this error"): a hostile server's
// `javascript:` type would run in the page that renders it.
describe('a problem type in a scheme that runs', () => {
  const problem = (type: unknown) =>
    new Response(JSON.stringify({ type, title: 'Not Found', status: 404, detail: 'No such order.' }), {
      status: 404,
      headers: { 'content-type': 'application/problem+json' },
    });

  it.each([
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    ' javascript:alert(1)',
    'java\tscript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
  ])('reads %j as no type, and keeps the rest of the answer', async (type) => {
    const error = await parseErrorResponse(problem(type));
    expect(error.type).toBeUndefined();
    expect(error.message).toBe('No such order.');
    expect(error.status).toBe(404);
  });

  it.each([
    'https://api.example.com/problems/not-found',
    'urn:problem-type:NOT_FOUND',
    'tag:example.com,2026:not-found',
    '/problems/not-found',
    'about:blank',
  ])('keeps %j', async (type) => {
    expect((await parseErrorResponse(problem(type))).type).toBe(type);
  });
});
