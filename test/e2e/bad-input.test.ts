import type { Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapters } from '../helpers/adapters.js';
import { close, listen } from '../helpers/http.js';
import { type RawAnswer, rawClient, sendRaw, until } from '../helpers/raw.js';

/** One bad-input matrix, run against every adapter's example server: every answer must be the same. */
const readTimeout = 300;
const examples = Object.fromEntries(adapters.map((adapter) => [adapter.name, adapter.example]));
const servers = new Map<string, { server: Server; base: string }>();

beforeAll(async () => {
  for (const [name, create] of Object.entries(examples)) {
    const server = await create({ readTimeout });
    servers.set(name, { server, base: await listen(server) });
  }
});
afterAll(async () => {
  for (const { server } of servers.values()) await close(server);
});

/** The headers a client acts on: compared across the adapters. */
const compared = [
  'content-type',
  'allow',
  'accept',
  'accept-encoding',
  'retry-after',
  'connection',
  'content-language',
];
const catalogCodes = new Set([
  'BAD_REQUEST',
  'MALFORMED_JSON',
  'VALIDATION_FAILED',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'REQUEST_TIMEOUT',
  'BODY_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'EXPECTATION_FAILED',
  'RATE_LIMITED',
  'INTERNAL_ERROR',
  'NOT_IMPLEMENTED',
  'SESSION_NOT_FOUND',
]);
// A stack frame, a file path, a native error name, a framework's code or the examples' secret.
const leaks =
  /\bat .+:\d+:\d+|\/work\/|node_modules|[A-Za-z]:\\|SyntaxError|TypeError|URIError|RangeError|FST_ERR|HPE_|db-password-123/;

interface Seen {
  status: number;
  code: string | undefined;
  /** The path the answer names (`instance`): the request's own, on every adapter. */
  instance?: unknown;
  headers: Record<string, string | undefined>;
}

function inspect(answer: RawAnswer, head: boolean): Seen {
  expect(answer.body).not.toMatch(leaks);
  expect(JSON.stringify(answer.headers)).not.toMatch(leaks);
  let code: string | undefined;
  let instance: unknown;
  if (!head && answer.status >= 400) {
    expect(answer.headers['content-type']).toBe('application/problem+json');
    const body = JSON.parse(answer.body) as Record<string, unknown>;
    code = body.code as string;
    instance = body.instance;
    expect(catalogCodes.has(code), `code ${code}`).toBe(true);
    expect(body.status).toBe(answer.status);
    expect(body.correlation_id).toBe(answer.headers['x-request-id']);
  }
  // A success is the framework's own answer: only its status is compared.
  const headers: Record<string, string | undefined> = {};
  if (answer.status >= 300 || answer.status === 204)
    for (const name of compared) headers[name] = answer.headers[name];
  return instance === undefined
    ? { status: answer.status, code, headers }
    : { status: answer.status, code, instance, headers };
}

/** Sends the same raw request to every adapter's server; all must answer alike, and keep answering. */
async function everywhere(chunks: readonly (string | Uint8Array)[], head = false): Promise<Seen> {
  const seen: Record<string, Seen> = {};
  for (const [name, { base }] of servers) seen[name] = inspect(await sendRaw(base, chunks, { head }), head);
  for (const [name, answer] of Object.entries(seen))
    expect(answer, `${name} differs from node`).toEqual(seen.node);
  return seen.node!;
}

const request = (
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Uint8Array,
) => {
  let head = `${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  if (body !== undefined)
    head += `Content-Length: ${typeof body === 'string' ? Buffer.byteLength(body) : body.length}\r\n`;
  return body === undefined ? [`${head}\r\n`] : [`${head}\r\n`, body];
};
const json = { 'Content-Type': 'application/json' };

describe('every adapter answers bad input the same way, in the catalog', () => {
  it.each([
    ['malformed JSON', '{"email":', 400, 'MALFORMED_JSON'],
    ['truncated JSON', '{"email":"a@b', 400, 'MALFORMED_JSON'],
    ['an empty body with a JSON type', '', 400, 'MALFORMED_JSON'],
    ['JSON nested 100 000 deep', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, 400, 'MALFORMED_JSON'],
    ['a validation failure', '{"email":1}', 400, 'VALIDATION_FAILED'],
  ])('answers %s', async (_, body, status, code) => {
    const seen = await everywhere(request('POST', '/echo', json, body));
    expect(seen).toMatchObject({ status, code });
  });

  it('answers invalid UTF-8 in a JSON body with the malformed-JSON code, never U+FFFD in the data', async () => {
    const body = Uint8Array.from([...Buffer.from('{"email":"'), 0xff, 0xfe, ...Buffer.from('"}')]);
    expect(await everywhere(request('POST', '/echo', json, body))).toMatchObject({
      status: 400,
      code: 'MALFORMED_JSON',
    });
  });

  it('accepts a UTF-8 BOM before the JSON', async () => {
    const body = Uint8Array.from([0xef, 0xbb, 0xbf, ...Buffer.from('{"email":"a@b.c"}')]);
    expect((await everywhere(request('POST', '/echo', json, body))).status).toBe(200);
  });

  it("refuses two BOMs before the JSON 400, as the frameworks' own parsers read them", async () => {
    const bom = [0xef, 0xbb, 0xbf];
    const body = Uint8Array.from([...bom, ...bom, ...Buffer.from('{"email":"a@b.c", "__proto__x":1}')]);
    expect(await everywhere(request('POST', '/echo', json, body))).toMatchObject({
      status: 400,
      code: 'MALFORMED_JSON',
    });
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['a charset other than UTF-8', 'application/json; charset=latin1'],
    ['XML', 'application/xml'],
  ])('answers 415 with Accept for %s', async (_, type) => {
    const seen = await everywhere(request('POST', '/echo', { 'Content-Type': type }, '{"email":"a"}'));
    expect(seen).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(seen.headers.accept).toBe('application/json');
  });

  // A coded body read as if it were plain would be misread (a gzip body "malformed"), or worse, a `br` label
  // on plain bytes accepted: no coding is decoded, each is refused as RFC 9110 §15.5.16 says.
  it.each([
    ['gzip', 'gzip', gzipSync('{"email":"a@b.c"}')],
    ['a coding over plain JSON', 'br', '{"email":"a@b.c"}'],
    ['an unknown coding', 'x-unknown', '{"email":"a@b.c"}'],
    ['two codings', 'identity, gzip', gzipSync('{"email":"a@b.c"}')],
  ])('answers 415 with Accept-Encoding: identity for a body in %s', async (_, coding, body) => {
    const headers = { ...json, 'Content-Encoding': coding };
    const seen = await everywhere(request('POST', '/echo', headers, body));
    expect(seen).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(seen.headers['accept-encoding']).toBe('identity');
  });

  // An absolute-form target whose authority does not parse. Before: node 404 (read as `/`), Express its
  // final handler's HTML 404 (its router skips every middleware), Koa 500 (`ctx.path` throws).
  // @hono/node-server answers it itself, a bodiless 400, before the app runs.
  it('answers an absolute-form target that does not parse 400 in the catalog format', async () => {
    const chunks = ['GET http://[::1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'];
    const seen: Record<string, Seen> = {};
    for (const [name, { base }] of servers) {
      const answer = await sendRaw(base, chunks, {});
      if (name === 'hono') expect(answer.status, name).toBe(400);
      else seen[name] = inspect(answer, false);
    }
    for (const [name, answer] of Object.entries(seen)) expect(answer, name).toEqual(seen.node);
    expect(seen.node).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
  });

  // A proxy that joins the lines reads gzip; a reader of the first line alone took the bytes for plain JSON.
  it('answers 415 for a coding on the second Content-Encoding line', async () => {
    const body = gzipSync('{"email":"a@b.c"}');
    const seen = await everywhere([
      `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: identity\r\nContent-Encoding: gzip\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
      body,
    ]);
    expect(seen).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  // node's parser lets `gzip, chunked` through and hands over the gzip bytes: RFC 9112 §6.1 and nginx say 501.
  it('answers 501 for a transfer coding other than chunked', async () => {
    const body = gzipSync('{"email":"a@b.c"}');
    const seen = await everywhere([
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n',
      `${body.length.toString(16)}\r\n`,
      body,
      '\r\n0\r\n\r\n',
    ]);
    expect(seen).toMatchObject({ status: 501, code: 'NOT_IMPLEMENTED' });
  });

  // Fastify's router refuses a type it has no parser for even without a body; every adapter answers alike.
  it('answers a bodiless request that names a type other than JSON 415, as one with a body', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const named = await everywhere(request('POST', '/echo', { 'Content-Type': type }, ''));
      expect(named).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    }
    expect(await everywhere(request('POST', '/echo', {}, ''))).toMatchObject({ status: 400 });
  });

  it('reads a body whose coding is identity', async () => {
    const headers = { ...json, 'Content-Encoding': 'Identity' };
    expect((await everywhere(request('POST', '/echo', headers, '{"email":"a@b.c"}'))).status).toBe(200);
  });

  it('answers 413 for a declared length over the limit, and for a chunked body past it', async () => {
    const declared = await everywhere([
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n{"em',
    ]);
    expect(declared).toMatchObject({ status: 413, code: 'BODY_TOO_LARGE' });
    expect(declared.headers.connection).toBe('close');
    const chunk = Buffer.alloc(256 * 1024, 'a');
    const chunked: (string | Uint8Array)[] = [
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
    ];
    for (let i = 0; i < 6; i++) chunked.push(`${chunk.length.toString(16)}\r\n`, chunk, '\r\n');
    chunked.push('0\r\n\r\n');
    expect(await everywhere(chunked)).toMatchObject({ status: 413, code: 'BODY_TOO_LARGE' });
  });

  it('answers 408 when a body stalls mid-read (a lying Content-Length), then closes', async () => {
    const seen = await everywhere([
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"email":',
    ]);
    expect(seen).toMatchObject({ status: 408, code: 'REQUEST_TIMEOUT' });
    expect(seen.headers.connection).toBe('close');
  });

  it('answers 413 for a declared length over the limit before any upload: no 100 Continue first (nginx)', async () => {
    const head = `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${2 * 1024 * 1024}\r\n\r\n`;
    for (const [name, { base }] of servers) {
      const answer = await sendRaw(base, [head, 'x'.repeat(1024)], { expectContinue: true });
      expect(answer, name).toMatchObject({ status: 413, continued: false });
      expect(answer.headers.connection, name).toBe('close');
    }
  });

  it('sends 100 Continue when it reads a body within the limit, then answers it', async () => {
    const body = '{"email":1}';
    const head = `POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`;
    for (const [name, { base }] of servers) {
      const answer = await sendRaw(base, [head, body], { expectContinue: true });
      expect({ ...inspect(answer, false), continued: answer.continued }, name).toMatchObject({
        status: 400,
        code: 'VALIDATION_FAILED',
        continued: true,
      });
    }
  });

  it('answers a path it does not serve without asking for a body it does not read, then closes', async () => {
    const head = `POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n`;
    for (const [name, { base }] of servers) {
      const answer = await sendRaw(base, [head, '{"email":1}'], { expectContinue: true });
      // Fastify runs its content-type parser before its 404 handler, even for a path it does not know: it
      // reads the body, so asking for it is honest there.
      const reads = name === 'fastify';
      expect(answer, name).toMatchObject({ status: 404, continued: reads });
      if (!reads) expect(answer.headers.connection, name).toBe('close');
    }
  });

  it('says of valid JSON nested too deep that it is, not that it is malformed', async () => {
    const body = `${'['.repeat(300)}${']'.repeat(300)}`;
    for (const [name, { base }] of servers) {
      const answer = await sendRaw(base, request('POST', '/echo', json, body));
      expect(inspect(answer, false), name).toMatchObject({ status: 400, code: 'MALFORMED_JSON' });
      expect(JSON.parse(answer.body).detail, name).toBe(
        'The request body nests arrays and objects more than 256 levels deep.',
      );
    }
  });

  it("answers an expectation other than 100-continue with the catalog's 417, not node's empty one", async () => {
    const bare = await everywhere(request('GET', '/users/1', { Expect: '200-ok' }));
    expect(bare).toMatchObject({ status: 417, code: 'EXPECTATION_FAILED' });
    // node hands a list naming 100-continue to `checkContinue`: before, each got its `100 Continue`.
    for (const expect100 of ['bogus, 100-continue', '100-continue, bogus', '100-continue;x=1']) {
      const listed = await everywhere(request('GET', '/users/1', { Expect: expect100 }));
      expect(listed, expect100).toMatchObject({ status: 417, code: 'EXPECTATION_FAILED' });
    }
    // Its body is never read: the answer closes the connection after it, whatever comes behind.
    const head = `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 200-ok\r\nContent-Length: 11\r\n\r\n`;
    for (const [name, { base }] of servers) {
      const client = await rawClient(Number(new URL(base).port));
      client.socket.write(`${head}{"email":1}GET /users/1 HTTP/1.1\r\nHost: x\r\n\r\n`);
      await until(client.closed);
      client.socket.destroy();
      // One answer, the 417, and the request behind the unread body is never served.
      expect(client.received().match(/HTTP\/1\.1 \d{3}/g), name).toEqual(['HTTP/1.1 417']);
      expect(client.received(), name).toMatch(/\r\nconnection: close\r\n/i);
      expect(client.closed(), name).toBe(true);
    }
  });

  it('reads a body that arrives slowly but never stalls for readTimeout, past readTimeout in all', async () => {
    // Five parts a third of readTimeout apart: the wait is for the next bytes, not for the whole body.
    const parts = ['{"em', 'ail"', ':', '1', '}'];
    const head = `POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n`;
    for (const [name, { base }] of servers) {
      const answer = inspect(await sendRaw(base, [head, ...parts], { gapMs: readTimeout / 3 }), false);
      expect(answer, name).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    }
  });

  it('answers OPTIONS with 204 and Allow, and a wrong method with 405 and Allow', async () => {
    expect(await everywhere(request('OPTIONS', '/echo'))).toMatchObject({
      status: 204,
      headers: { allow: 'POST, OPTIONS' },
    });
    expect(await everywhere(request('OPTIONS', '/sessions/a'))).toMatchObject({
      status: 204,
      headers: { allow: 'GET, HEAD, OPTIONS' },
    });
    expect(await everywhere(request('OPTIONS', '/nowhere'))).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
    });
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
      expect(await everywhere(request(method, '/echo'))).toMatchObject({
        status: 405,
        code: 'METHOD_NOT_ALLOWED',
        headers: { allow: 'POST, OPTIONS' },
      });
    }
    expect(await everywhere(request('POST', '/limited', json, '{}'))).toMatchObject({
      status: 405,
      headers: { allow: 'GET, HEAD, OPTIONS' },
    });
  });

  it('answers HEAD on every route with the headers of GET and no body', async () => {
    for (const [path, status] of [
      ['/echo', 405],
      ['/sessions/a', 404],
      ['/limited', 429],
      ['/boom', 500],
      ['/nowhere', 404],
    ] as const) {
      expect((await everywhere(request('HEAD', path), true)).status, path).toBe(status);
    }
  });

  it.each([
    ['a malformed escape', '/no%zz', 400, 'BAD_REQUEST'],
    ['a malformed escape in a parameter', '/sessions/%zz', 400, 'BAD_REQUEST'],
    ['an escape that is no UTF-8 in a parameter', '/sessions/%ff', 400, 'BAD_REQUEST'],
    ['an overlong UTF-8 slash in a parameter', '/sessions/%c0%af', 400, 'BAD_REQUEST'],
    ['an escape that is no UTF-8 in an unknown path', '/no%e2%82', 400, 'BAD_REQUEST'],
    ['an escaped UTF-8 character in a parameter', '/sessions/%C3%A9', 404, 'SESSION_NOT_FOUND'],
    ['an encoded NUL', '/sessions/a%00b', 404, 'SESSION_NOT_FOUND'],
    ['an encoded dot-dot', '/%2e%2e/echo', 400, 'BAD_REQUEST'],
    ['an encoded dot-dot as a parameter', '/sessions/%2e%2e', 400, 'BAD_REQUEST'],
    ['an encoded dot as a parameter', '/sessions/%2E', 400, 'BAD_REQUEST'],
    ['an 8 kB path', `/${'a'.repeat(8192)}`, 404, 'NOT_FOUND'],
  ])('answers a path with %s', async (_, path, status, code) => {
    expect(await everywhere(request('GET', path))).toMatchObject({ status, code });
  });

  it('answers a request node’s parser refuses (a bare CR in a header) in the catalog', async () => {
    const seen = await everywhere(['GET /limited HTTP/1.1\r\nHost: x\r\nX-Bad: a\rb\r\n\r\n']);
    expect(seen).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
  });

  it('answers a head over node’s header limit 400, the status its catalog code documents (nginx)', async () => {
    const seen = await everywhere([
      `GET /limited HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    ]);
    expect(seen).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
  });

  it('answers a request with 200 headers', async () => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 200; i++) headers[`X-Filler-${i}`] = `value-${i}`;
    expect(await everywhere(request('GET', '/limited', headers))).toMatchObject({
      status: 429,
      code: 'RATE_LIMITED',
    });
  });

  it.each([
    ['unicode', 'ünïcødé'],
    ['10 kB', 'a'.repeat(10_000)],
    ['a space', 'a b'],
  ])('never echoes a correlation id with %s', async (_, id) => {
    for (const { base } of servers.values()) {
      const answer = await sendRaw(base, [
        Buffer.from(`GET /limited HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Request-Id: ${id}\r\n\r\n`),
      ]);
      expect(answer.status).toBe(429);
      expect(answer.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(answer.body).not.toContain(id);
    }
  });

  it('answers 100 parallel mixed bad requests, and still answers afterwards', async () => {
    const mixed = [
      request('POST', '/echo', json, '{"email":'),
      request('POST', '/echo', { 'Content-Type': 'text/plain' }, 'x'),
      request('DELETE', '/echo'),
      request('GET', '/no%zz'),
      request('GET', '/boom'),
      ['POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 9999999\r\n\r\n'],
      request('POST', '/echo', json, `${'['.repeat(5000)}${']'.repeat(5000)}`),
      ['GET /limited HTTP/1.1\r\nHost: x\r\nX-Bad: a\rb\r\n\r\n'],
    ];
    for (const { base } of servers.values()) {
      const answers = await Promise.all(
        Array.from({ length: 100 }, (_, i) => sendRaw(base, mixed[i % mixed.length]!, { timeoutMs: 10_000 })),
      );
      for (const answer of answers) {
        expect(answer.status).toBeGreaterThanOrEqual(400);
        inspect(answer, false);
      }
      expect((await fetch(`${base}/limited`)).status).toBe(429);
    }
  }, 60_000);
});
