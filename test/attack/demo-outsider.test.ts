/**
 * The demo API attacked from outside, by someone who has only the README and the running server: every
 * route with hostile headers, bodies, paths and methods, one app's key on another app's objects and
 * budgets, and the WebSocket endpoint. Each demo runs in process on a real socket of 127.0.0.1, wired as
 * demo/server.ts wires it (its `clientError` included).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { memoryStore } from 'faultline/stores';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createDemo } from '../../demo/app.js';
import { DemoState } from '../../demo/state.js';
import { refusal, watch } from '../e2e/ws-helpers.js';
import { close, listen } from '../helpers/http.js';
import { sendRaw } from '../helpers/raw.js';

const keyA = randomBytes(24).toString('base64url');
const keyB = randomBytes(24).toString('base64url');
const asA = { 'x-app-id': 'app-a', 'x-api-key': keyA };
const asB = { 'x-app-id': 'app-b', 'x-api-key': keyB };
const json = { 'content-type': 'application/json' };

interface Booted {
  base: string;
  state: DemoState;
  port: number;
  stop(): Promise<void>;
}

/** A fresh demo with two apps, so that each suite has its own per-IP and per-app budgets. */
async function boot(): Promise<Booted> {
  const { server, nodeErrors, state } = createDemo({ logger: false, apps: { 'app-a': keyA, 'app-b': keyB } });
  server.on('clientError', nodeErrors.clientError);
  const base = await listen(server);
  return { base, state, port: Number(new URL(base).port), stop: () => close(server) };
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

async function call(base: string, path: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(base + path, { ...init, signal: AbortSignal.timeout(5000) });
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: await response.text(),
  };
}

/** A catalog answer: a 4xx in the demo's envelope, with no stack trace or path of the server. */
function expectCatalog(answer: { status: number; body: string }, status: number, code?: string) {
  expect(answer.status, answer.body.slice(0, 300)).toBe(status);
  const body = JSON.parse(answer.body);
  expect(body.success).toBe(false);
  if (code) expect(body.code).toBe(code);
  expect(answer.body).not.toMatch(/\bat \S+ \(|node:internal|\/work\/|\.ts:\d/);
  return body;
}

/** The RateLimit field's remaining count of one policy. */
function remaining(headers: Record<string, string>, policy: string): number {
  const found = new RegExp(`"${policy}";r=(\\d+)`).exec(headers.ratelimit ?? '');
  if (!found) throw new Error(`no ${policy} in ${headers.ratelimit}`);
  return Number(found[1]);
}

async function createSession(base: string, as: Record<string, string>, extra: Record<string, string> = {}) {
  return call(base, '/v1/sessions', {
    method: 'POST',
    headers: { ...as, ...json, ...extra },
    body: JSON.stringify({ from: '+15550100', to: '+15550199' }),
  });
}

describe('the demo, its bodies', () => {
  let demo: Booted;
  beforeAll(async () => {
    demo = await boot();
  });
  afterAll(() => demo.stop());

  it('refuses a session whose from or to is 1 MB of text with 400, and keeps nothing (a tenant could fill the memory every app shares)', async () => {
    for (const body of [
      { from: 'x'.repeat(1_000_000), to: '+1' },
      { from: '+1', to: 'y'.repeat(1_000_000) },
      { from: 'x'.repeat(300), to: '+1' },
    ]) {
      const before = demo.state.sessions.size;
      const answer = await call(demo.base, '/v1/sessions', {
        method: 'POST',
        headers: { ...asA, ...json },
        body: JSON.stringify(body),
      });
      expectCatalog(answer, 400, 'SCHEMA_VALIDATION_FAILED');
      expect(demo.state.sessions.size).toBe(before);
    }
  });

  it('answers malformed, mistyped, empty and wrong-shaped bodies on every POST route with a catalog 4xx', async () => {
    const created = JSON.parse((await createSession(demo.base, asA)).body);
    const routes = ['/v1/sessions', '/v1/conferences', `/v1/sessions/${created.id}/commands/play`];
    const bodies: [Record<string, string>, string | Uint8Array<ArrayBuffer>, number][] = [
      [json, '{not json', 400],
      [json, '[]', 400],
      [json, 'null', 400],
      [json, '"text"', 400],
      [json, '{"from":1,"to":2,"name":3,"urls":"x"}', 400],
      [json, '{"__proto__":{"x":1}}', 400],
      [json, new Uint8Array([0xff, 0xfe, 0x7b]), 400],
      [{ 'content-type': 'text/plain' }, '{"from":"a","to":"b","name":"n"}', 415],
      [{ 'content-type': 'application/x-www-form-urlencoded' }, 'from=a&to=b', 415],
      [{ 'content-type': 'application/json; charset=utf-16' }, '{}', 415],
    ];
    for (const path of routes) {
      for (const [headers, body, status] of bodies) {
        const answer = await call(demo.base, path, { method: 'POST', headers: { ...asA, ...headers }, body });
        expect(answer.status, `${path} ${String(body)}`).toBeGreaterThanOrEqual(400);
        expect(answer.status, `${path} ${String(body)}`).toBeLessThan(500);
        if (status === 415) expect(answer.status, `${path} ${headers['content-type']}`).toBe(415);
        expectCatalog(answer, answer.status);
      }
    }
  });

  it('refuses a play URL that is not HTTP or HTTPS (file:, javascript:, gopher:, data:) with 400, as its catalog entry says, and records no command', async () => {
    for (const url of [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'gopher://127.0.0.1:6379/_FLUSHALL',
      'data:text/plain,hi',
      'ftp://example.com/a.wav',
    ]) {
      const created = JSON.parse((await createSession(demo.base, asA)).body);
      const answer = await call(demo.base, `/v1/sessions/${created.id}/commands/play`, {
        method: 'POST',
        headers: { ...asA, ...json },
        body: JSON.stringify({ urls: ['https://example.com/a.wav', url] }),
      });
      expectCatalog(answer, 400, 'SCHEMA_VALIDATION_FAILED');
      expect(demo.state.sessions.get(created.id)!.commands).toEqual([]);
    }
  });

  it('answers a body past 1 MiB (64 KiB on a command) with 413, declared or chunked', async () => {
    const created = JSON.parse((await createSession(demo.base, asA)).body);
    const big = (n: number) => JSON.stringify({ from: 'a', to: 'b', pad: 'x'.repeat(n) });
    const sized = await call(demo.base, '/v1/sessions', {
      method: 'POST',
      headers: { ...asA, ...json },
      body: big(1_100_000),
    });
    expectCatalog(sized, 413);
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big(70_000)));
        controller.close();
      },
    });
    const chunked = await call(demo.base, `/v1/sessions/${created.id}/commands/answer`, {
      method: 'POST',
      headers: { ...asA, ...json },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expectCatalog(chunked, 413);
  });

  it('runs a command sent with no body at all or with Content-Length: 0', async () => {
    for (const framing of ['none', 'zero'] as const) {
      const created = JSON.parse((await createSession(demo.base, asA)).body);
      const head = `POST /v1/sessions/${created.id}/commands/answer HTTP/1.1\r\nhost: x\r\nx-app-id: app-a\r\nx-api-key: ${keyA}\r\n`;
      const tail = framing === 'zero' ? 'content-length: 0\r\n\r\n' : '\r\n';
      const answer = await sendRaw(demo.base, [head + tail]);
      expect(answer.status, `${framing}: ${answer.body}`).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ command: 'answer', state: 'answered' });
    }
  });
});

describe('the demo, what one app can make it keep', () => {
  it("keeps an app's latest sessions, rooms and commands only, and never forgets another app's", async () => {
    const state = new DemoState({ maxSessionsPerApp: 3, maxRoomsPerApp: 2, maxCommands: 4 });
    const { server, nodeErrors } = createDemo({
      logger: false,
      apps: { 'app-a': keyA, 'app-b': keyB },
      state,
    });
    server.on('clientError', nodeErrors.clientError);
    const base = await listen(server);
    onTestFinished(() => close(server));
    const other = JSON.parse((await createSession(base, asB)).body).id as string;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(JSON.parse((await createSession(base, asA)).body).id);
    expect(state.sessions.size).toBe(4);
    // The two oldest of app-a are forgotten: a read is the catalog's 404, as for an expired session.
    expectCatalog(await call(base, `/v1/sessions/${ids[0]}`, { headers: asA }), 404, 'SESSION_NOT_FOUND');
    expect((await call(base, `/v1/sessions/${ids[4]}`, { headers: asA })).status).toBe(200);
    expect((await call(base, `/v1/sessions/${other}`, { headers: asB })).status).toBe(200);
    for (let i = 0; i < 4; i++) {
      const name = JSON.stringify({ name: `room-${i}` });
      const made = await call(base, '/v1/conferences', {
        method: 'POST',
        headers: { ...asA, ...json },
        body: name,
      });
      expect(made.status).toBe(201);
    }
    expect(state.rooms.size).toBe(2);
    // A forgotten room's name is free again.
    const again = JSON.stringify({ name: 'room-0' });
    expect(
      (await call(base, '/v1/conferences', { method: 'POST', headers: { ...asA, ...json }, body: again }))
        .status,
    ).toBe(201);
    const session = ids[4]!;
    // Six commands (no media command: those cool down for a second), of which the latest four are kept.
    for (const command of ['answer', 'transfer', 'answer', 'transfer', 'answer', 'hangup']) {
      const sent = await call(base, `/v1/sessions/${session}/commands/${command}`, {
        method: 'POST',
        headers: { ...asA, 'content-length': '0' },
      });
      expect(sent.status, sent.body).toBe(200);
    }
    const kept = state.sessions.get(session)!.commands.map((c) => c.command);
    expect(kept).toEqual(['answer', 'transfer', 'answer', 'hangup']);
  });
});

describe('the demo, its headers', () => {
  let demo: Booted;
  beforeAll(async () => {
    demo = await boot();
  });
  afterAll(() => demo.stop());

  const raw = (lines: string[], path = '/v1/sessions/x', method = 'GET') =>
    sendRaw(demo.base, [
      `${method} ${path} HTTP/1.1\r\nhost: x\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`,
    ]);

  it('refuses an identity header sent twice with 400, whatever the two values', async () => {
    for (const lines of [
      ['x-app-id: app-a', 'x-app-id: app-a', `x-api-key: ${keyA}`],
      ['x-app-id: app-b', 'x-app-id: app-a', `x-api-key: ${keyA}`],
      ['x-app-id: app-a', `x-api-key: ${keyA}`, `x-api-key: ${keyA}`],
      ['x-app-id: app-a', `x-api-key: ${keyB}`, `x-api-key: ${keyA}`],
    ]) {
      expectCatalog(await raw(lines), 400);
    }
    const created = await sendRaw(demo.base, [
      `POST /v1/sessions HTTP/1.1\r\nhost: x\r\nx-app-id: app-a\r\nx-api-key: ${keyA}\r\nidempotency-key: k1\r\nidempotency-key: k2\r\ncontent-type: application/json\r\ncontent-length: 23\r\n\r\n{"from":"a","to":"bcd"}`,
    ]);
    expectCatalog(created, 400);
  });

  it('refuses empty, oversized and odd app ids and keys with the catalog 400/401, never a 5xx', async () => {
    const cases: [string[], number][] = [
      [['x-app-id:', `x-api-key: ${keyA}`], 400],
      [[`x-app-id: ${'a'.repeat(65)}`, `x-api-key: ${keyA}`], 400],
      [['x-app-id: app a', `x-api-key: ${keyA}`], 400],
      [['x-app-id: constructor', `x-api-key: ${keyA}`], 401],
      [['x-app-id: __proto__', `x-api-key: ${keyA}`], 401],
      [['x-app-id: hasOwnProperty', 'x-api-key: x'], 401],
      [['x-app-id: app-a', 'x-api-key:'], 401],
      [['x-app-id: app-a', `x-api-key: ${'k'.repeat(8000)}`], 401],
      [['x-app-id: app-a', `x-api-key: ${keyA}\u00ff`], 401],
      [['x-app-id: APP-A', `x-api-key: ${keyA}`], 401],
    ];
    for (const [lines, status] of cases) expectCatalog(await raw(lines), status);
  });

  it('answers malformed framing, oversized heads and unknown methods with a catalog 4xx on the wire', async () => {
    const heads = [
      'GET /health HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n',
      'GET /health HTTP/1.1\r\nhost: x\r\ncontent-length: -1\r\n\r\n',
      'POST /v1/sessions HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\ncontent-length: 3\r\n\r\n',
      `GET /health HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`,
      `GET /v1/sessions/${'a'.repeat(70_000)} HTTP/1.1\r\nhost: x\r\n\r\n`,
      'FOO /health HTTP/1.1\r\nhost: x\r\n\r\n',
      'GET /health HTTP/1.1\r\nhost: x\r\nx-bad: a\rb\r\n\r\n',
      'GET /health HTTP/9.9\r\nhost: x\r\n\r\n',
    ];
    for (const head of heads) {
      const answer = await sendRaw(demo.base, [head]);
      expect(answer.status, head.slice(0, 60)).toBeGreaterThanOrEqual(400);
      expect(answer.status, head.slice(0, 60)).toBeLessThan(500);
      expectCatalog(answer, answer.status);
    }
    expect((await call(demo.base, '/health')).status).toBe(200);
  });

  it('answers hostile Accept-Language and X-Request-ID values without a 5xx, and only as JSON', async () => {
    for (const headers of [
      { 'accept-language': 'fr;q=abc, *;q=-1, zz-ZZZZZZZZZZ, ;;;' },
      { 'accept-language': `${'fr,'.repeat(2000)}en` },
      { 'accept-language': '__proto__, constructor' },
      { 'x-request-id': 'x'.repeat(8000) },
      { 'x-request-id': '' },
      { 'x-request-id': '<script>alert(1)</script>' },
    ] as Record<string, string>[]) {
      const answer = await call(demo.base, '/v1/sessions/nope', { headers: { ...asA, ...headers } });
      expectCatalog(answer, 404, 'SESSION_NOT_FOUND');
      // A reflected request id is only ever JSON, never a page a browser would render.
      expect(answer.headers['content-type']).toBe('application/json');
    }
  });
});

describe('the demo, its paths and methods', () => {
  let demo: Booted;
  let session = '';
  beforeAll(async () => {
    demo = await boot();
    session = JSON.parse((await createSession(demo.base, asA)).body).id;
  });
  afterAll(() => demo.stop());

  const tricks = (id: string) => [
    `/v1/sessions/${id}`,
    `/v1/sessions/${id}/`,
    `/v1//sessions/${id}`,
    `//v1/sessions/${id}`,
    `/v1/./sessions/${id}`,
    `/v1/sessions/${id}?x=%ff`,
    `/v1/sessions/${id}/commands/answer`,
    `/v1/%73essions/${id}`,
    `/v1%2fsessions/${id}`,
    `/v1/sessions%2f${id}`,
    `/V1/sessions/${id}`,
    `/health/../v1/sessions/${id}`,
    `/v1/conferences/${id}`,
  ];

  it("answers every path trick on another app's session exactly as on an unknown id, under a wrong or missing key", async () => {
    const other = randomUUID();
    const shown = (answer: Answer, id: string) => {
      const body = answer.body ? JSON.parse(answer.body.replaceAll(id, '<id>')) : undefined;
      if (body) delete body.request_id;
      const { date: _d, 'x-request-id': _r, ratelimit: _l, ...headers } = answer.headers;
      return { status: answer.status, body, headers };
    };
    const callers: Record<string, string>[] = [
      {},
      { 'x-app-id': 'app-a' },
      { 'x-app-id': 'app-a', 'x-api-key': keyB },
      asB,
    ];
    for (const who of callers) {
      for (const method of ['GET', 'HEAD', 'DELETE', 'POST', 'PUT', 'OPTIONS', 'PATCH']) {
        const paths = tricks(session);
        const others = tricks(other);
        for (let i = 0; i < paths.length; i++) {
          const init = { method, headers: who };
          const theirs = await call(demo.base, paths[i]!, init);
          const missing = await call(demo.base, others[i]!, init);
          expect(theirs.status, `${method} ${paths[i]}`).toBeLessThan(500);
          if (method === 'HEAD') {
            expect(theirs.status).toBe(missing.status);
            expect(theirs.headers['content-length']).toBe(missing.headers['content-length']);
          } else {
            expect(shown(theirs, session), `${method} ${paths[i]}`).toEqual(shown(missing, other));
          }
        }
      }
    }
    // None of it touched the session.
    const still = await call(demo.base, `/v1/sessions/${session}`, { headers: asA });
    expect(JSON.parse(still.body)).toMatchObject({ state: 'ringing', commands: [] });
  }, 60_000);

  it('answers CONNECT, to a path or to host:port, with the catalog 400 (was a socket closed without a word)', async () => {
    for (const target of ['/v1/sessions', '127.0.0.1:22', 'example.com:443']) {
      const answer = await sendRaw(demo.base, [`CONNECT ${target} HTTP/1.1\r\nhost: ${target}\r\n\r\n`]);
      expectCatalog(answer, 400, 'BAD_REQUEST');
      expect(answer.headers.connection).toBe('close');
    }
    expect((await call(demo.base, '/health')).status).toBe(200);
  });

  it('lives through clients that reset after the CONNECT answer, and lets go of one that never closes', async () => {
    const own = createDemo({ logger: false, apps: { 'app-a': keyA } });
    own.server.on('clientError', own.nodeErrors.clientError);
    const base = await listen(own.server);
    onTestFinished(() => close(own.server));
    const port = Number(new URL(base).port);
    const head = 'CONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\n\r\n';
    for (let i = 0; i < 3; i++) {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => {});
      socket.write(head);
      await new Promise((resolve) => socket.once('data', resolve));
      socket.resetAndDestroy();
    }
    // A client that reads the answer and never closes its side of the connection.
    const holder = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    holder.on('error', () => {});
    onTestFinished(() => void holder.destroy());
    holder.write(head);
    holder.resume();
    await new Promise((resolve) => holder.once('end', resolve));
    const open = () => new Promise<number>((resolve) => own.server.getConnections((_, n) => resolve(n)));
    let count = await open();
    for (let i = 0; i < 100 && count > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      count = await open();
    }
    expect(count).toBe(0);
    expect((await call(base, '/health')).status).toBe(200);
  }, 30_000);

  it('answers TRACE, OPTIONS and HEAD under /v1 without a key with the key refusal, not with which methods exist', async () => {
    const raw = (method: string, path: string, extra = '') =>
      sendRaw(demo.base, [`${method} ${path} HTTP/1.1\r\nhost: x\r\n${extra}\r\n`], {
        head: method === 'HEAD',
      });
    for (const method of ['TRACE', 'OPTIONS', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'CONNECT', 'PROPFIND']) {
      const known = await raw(method, '/v1/sessions');
      const unknown = await raw(method, '/v1/nothing-here');
      expect(known.status, method).toBeLessThan(500);
      if (method !== 'HEAD') expectCatalog(known, known.status);
      expect(known.headers.allow, method).toBeUndefined();
      expect(unknown.status, method).toBe(known.status);
      expect(unknown.headers['content-length'], method).toBe(known.headers['content-length']);
    }
    const trace = await raw('TRACE', '/health', 'cookie: secret=1\r\n');
    expectCatalog(trace, 405);
    expect(trace.body).not.toContain('secret');
  });

  it('answers a path of 60 000 characters, in one segment or in 5 000, with a catalog answer', async () => {
    for (const path of [
      `/v1/sessions/${'a'.repeat(60_000)}`,
      `/v1/${'a/'.repeat(5000)}`,
      `/${'%2f'.repeat(3000)}`,
    ]) {
      const answer = await sendRaw(demo.base, [`GET ${path} HTTP/1.1\r\nhost: x\r\nx-app-id: app-a\r\n\r\n`]);
      expect(answer.status).toBeLessThan(500);
      expectCatalog(answer, answer.status);
    }
  });
});

describe('the demo, its budgets between tenants', () => {
  let demo: Booted;
  beforeAll(async () => {
    demo = await boot();
  });
  afterAll(() => demo.stop());

  it('spends the per-IP budget whatever X-Forwarded-For, X-Real-IP, Forwarded or X-App-ID claim', async () => {
    let last = remaining((await call(demo.base, '/health')).headers, 'per-ip');
    let at = performance.now();
    for (let i = 0; i < 20; i++) {
      const answer = await call(demo.base, i % 2 ? '/health' : '/v1/sessions/x', {
        headers: {
          'x-forwarded-for': `203.0.113.${i}, 10.0.0.${i}`,
          'x-real-ip': `198.51.100.${i}`,
          forwarded: `for=192.0.2.${i}`,
          'x-app-id': `rotating-${i}`,
          'x-api-key': randomBytes(24).toString('base64url'),
        },
      });
      const now = remaining(answer.headers, 'per-ip');
      // One unit spent from the same budget, which refills one unit per 50 ms (1,200 a minute) meanwhile:
      // a fresh budget for the forged address would show 1,199.
      const refilled = Math.ceil((performance.now() - at) / 50);
      expect(now).toBeGreaterThanOrEqual(last - 1);
      expect(now).toBeLessThanOrEqual(last - 1 + refilled);
      last = now;
      at = performance.now();
    }
  });

  it("spends none of app A's per-app or daily budget with A's app id and any other key, B's included", async () => {
    const before = await call(demo.base, '/v1/sessions/nope', { headers: asA });
    for (let i = 0; i < 15; i++) {
      const key = i % 3 === 0 ? keyB : i % 3 === 1 ? randomBytes(24).toString('base64url') : '';
      const answer = await call(demo.base, '/v1/sessions/nope', {
        headers: { 'x-app-id': 'app-a', 'x-api-key': key },
      });
      expect(answer.status).toBe(401);
      expect(answer.headers.ratelimit).not.toContain('per-app');
    }
    const after = await call(demo.base, '/v1/sessions/nope', { headers: asA });
    expect(remaining(after.headers, 'per-app')).toBe(remaining(before.headers, 'per-app') - 1);
    expect(remaining(after.headers, 'daily')).toBe(remaining(before.headers, 'daily') - 1);
  });

  it("spends none of app A's budget when app B spends its own", async () => {
    const before = await call(demo.base, '/v1/sessions/nope', { headers: asA });
    for (let i = 0; i < 10; i++) await call(demo.base, '/v1/sessions/nope', { headers: asB });
    const after = await call(demo.base, '/v1/sessions/nope', { headers: asA });
    expect(remaining(after.headers, 'per-app')).toBe(remaining(before.headers, 'per-app') - 1);
  });

  it("never replays app A's answer to app B reusing A's Idempotency-Key and body", async () => {
    const key = randomUUID();
    const first = await createSession(demo.base, asA, { 'idempotency-key': key });
    const replay = await createSession(demo.base, asA, { 'idempotency-key': key });
    const other = await createSession(demo.base, asB, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(JSON.parse(replay.body).id).toBe(JSON.parse(first.body).id);
    expect(other.status).toBe(201);
    expect(JSON.parse(other.body)).toMatchObject({ appId: 'app-b' });
    expect(JSON.parse(other.body).id).not.toBe(JSON.parse(first.body).id);
    expect(other.body).not.toContain('app-a');
  });

  it("never cools down app A's session with app B's media commands on it", async () => {
    const session = JSON.parse((await createSession(demo.base, asA)).body).id;
    const play = (as: Record<string, string>, path = 'play') =>
      call(demo.base, `/v1/sessions/${session}/commands/${path}`, {
        method: 'POST',
        headers: { ...as, ...json },
        body: JSON.stringify({ urls: ['https://example.com/a.wav'] }),
      });
    for (const path of ['play', 'pl%61y', 'play?x=1'])
      expectCatalog(await play(asB, path), 404, 'SESSION_NOT_FOUND');
    const mine = await play(asA);
    expect(mine.status, mine.body).toBe(200);
  });
});

describe('the demo WebSocket, from outside', () => {
  let demo: Booted;
  let session = '';
  let ws = '';
  beforeAll(async () => {
    demo = await boot();
    session = JSON.parse((await createSession(demo.base, asA)).body).id;
    ws = demo.base.replace('http:', 'ws:');
  });
  afterAll(() => demo.stop());

  it('holds an app to its share of connections, however many sessions it mints (10 per session bound no app)', async () => {
    const { server, nodeErrors } = createDemo({
      logger: false,
      apps: { 'app-a': keyA, 'app-b': keyB },
      connectionsPerApp: 4,
    });
    server.on('clientError', nodeErrors.clientError);
    const base = await listen(server);
    const url = base.replace('http:', 'ws:');
    const opened: ReturnType<typeof watch>[] = [];
    onTestFinished(async () => {
      for (const socket of opened) socket.socket.terminate();
      await close(server);
    });
    for (let i = 0; i < 4; i++) {
      const id = JSON.parse((await createSession(base, asA)).body).id;
      const socket = watch(`${url}/v1/ws?session_id=${id}&app_id=app-a&api_key=${keyA}`);
      opened.push(socket);
      await socket.opened;
    }
    const fresh = JSON.parse((await createSession(base, asA)).body).id;
    const refused = await refusal(`${url}/v1/ws?session_id=${fresh}&app_id=app-a&api_key=${keyA}`);
    const body = expectCatalog(refused, 429, 'APP_CONNECTION_LIMIT');
    expect(body.details).toEqual({ max: 4 });
    expect(refused.headers['retry-after']).toBe('5');
    // Another app keeps its own share.
    const theirs = JSON.parse((await createSession(base, asB)).body).id;
    const other = watch(`${url}/v1/ws?session_id=${theirs}&app_id=app-b&api_key=${keyB}`);
    opened.push(other);
    await other.opened;
    // A closed connection frees its place.
    const first = opened[0]!;
    first.socket.close();
    await first.closed;
    // The server counts the connection gone once its own side has closed: a bounded wait for that.
    let status = 0;
    for (let i = 0; i < 50 && status !== 101; i++) {
      const again = watch(`${url}/v1/ws?session_id=${fresh}&app_id=app-a&api_key=${keyA}`);
      opened.push(again);
      status = await again.opened.then(
        () => 101,
        () => new Promise<number>((resolve) => setTimeout(() => resolve(429), 20)),
      );
    }
    expect(status).toBe(101);
  });

  it("holds an app to its share under a burst of handshakes sent at once, and frees a refused one's place", async () => {
    // A store that answers a few milliseconds later, as Redis does: handshakes then overlap in authenticate.
    const memory = memoryStore();
    const later =
      <A extends unknown[], R>(method: (...args: A) => R) =>
      (...args: A) =>
        new Promise<Awaited<R>>((resolve, reject) =>
          setTimeout(() => Promise.resolve(method.apply(memory, args)).then(resolve, reject), 5),
        );
    const slow = {
      kind: 'slow-memory',
      rate: later(memory.rate),
      quota: later(memory.quota),
      window: later(memory.window),
      acquire: later(memory.acquire),
      renew: later(memory.renew),
      release: later(memory.release),
      claim: later(memory.claim),
      complete: later(memory.complete),
      abandon: later(memory.abandon),
      close: () => memory.close(),
    };
    const { server, nodeErrors } = createDemo({
      logger: false,
      apps: { 'app-a': keyA, 'app-b': keyB },
      connectionsPerApp: 4,
      store: slow,
    });
    server.on('clientError', nodeErrors.clientError);
    const base = await listen(server);
    const url = base.replace('http:', 'ws:');
    const sockets: ReturnType<typeof watch>[] = [];
    onTestFinished(async () => {
      for (const socket of sockets) socket.socket.terminate();
      await close(server);
    });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(JSON.parse((await createSession(base, asA)).body).id);
    // Four handshakes on each of five sessions, all at once: twenty, of which four may open.
    for (let i = 0; i < 20; i++) {
      sockets.push(watch(`${url}/v1/ws?session_id=${ids[i % 5]}&app_id=app-a&api_key=${keyA}`));
    }
    const outcomes = await Promise.all(
      sockets.map((s) =>
        s.opened.then(
          () => 'open',
          () => 'refused',
        ),
      ),
    );
    expect(outcomes.filter((o) => o === 'open')).toHaveLength(4);
    // The sixteen refused handshakes hold no place: closing one open connection lets exactly one more in.
    const first = sockets[outcomes.indexOf('open')]!;
    first.socket.close();
    await first.closed;
    let status = 'refused';
    for (let i = 0; i < 50 && status !== 'open'; i++) {
      const again = watch(`${url}/v1/ws?session_id=${ids[0]}&app_id=app-a&api_key=${keyA}`);
      sockets.push(again);
      status = await again.opened.then(
        () => 'open',
        () => new Promise<string>((resolve) => setTimeout(() => resolve('refused'), 20)),
      );
    }
    expect(status).toBe('open');
    const over = await refusal(`${url}/v1/ws?session_id=${ids[1]}&app_id=app-a&api_key=${keyA}`);
    expect(over.status).toBe(429);
  });

  it('refuses a handshake without or with a wrong key alike for an existing and an unknown session', async () => {
    const flat = (r: Awaited<ReturnType<typeof refusal>>, id: string) => {
      const body = JSON.parse(r.body.replaceAll(id, '<id>'));
      delete body.request_id;
      const { date: _d, 'x-request-id': _r, ratelimit: _l, ...headers } = r.headers;
      return { status: r.status, body, headers };
    };
    const other = randomUUID();
    for (const query of [
      '',
      '&app_id=app-a',
      `&app_id=app-a&api_key=${keyB}`,
      `&app_id=app-b&api_key=${keyB}`,
    ]) {
      const theirs = await refusal(`${ws}/v1/ws?session_id=${session}${query}`);
      const missing = await refusal(`${ws}/v1/ws?session_id=${other}${query}`);
      expect(theirs.status, query).toBeGreaterThanOrEqual(400);
      expect(theirs.status, query).toBeLessThan(500);
      expect(flat(theirs, session)).toEqual(flat(missing, other));
    }
  });

  it('spends the per-IP budget on every refused handshake, whatever X-Forwarded-For or the app id claim', async () => {
    // The limits' clock stands still: no unit comes back while the test runs, however slow the machine.
    const at = Date.now();
    const { server, nodeErrors } = createDemo({
      logger: false,
      apps: { 'app-a': keyA, 'app-b': keyB },
      store: memoryStore({ now: () => at }),
    });
    server.on('clientError', nodeErrors.clientError);
    const base = await listen(server);
    onTestFinished(() => close(server));
    const socketUrl = base.replace('http:', 'ws:');
    const perIp = async () => remaining((await call(base, '/health')).headers, 'per-ip');
    const before = await perIp();
    for (let i = 0; i < 5; i++) {
      const answer = await refusal(
        `${socketUrl}/v1/ws?session_id=${session}&app_id=app-${i}&api_key=${keyA}`,
        {
          'x-forwarded-for': `203.0.113.${i}`,
        },
      );
      expectCatalog(answer, 401);
    }
    expect(await perIp()).toBe(before - 6);
  });

  it('refuses a handshake with a credential given twice, in the query or the query and a header', async () => {
    for (const [query, headers] of [
      [`&app_id=app-a&app_id=app-b&api_key=${keyA}`, {}],
      [`&app_id=app-a&api_key=${keyA}&api_key=${keyA}`, {}],
    ] as const) {
      const answer = await refusal(`${ws}/v1/ws?session_id=${session}${query}`, headers);
      expectCatalog(answer, 400);
    }
  });

  it('holds a command over the socket to the REST rules: play needs urls, media commands cool down per session, and the daily quota is spent', async () => {
    const open = async () => {
      const id: string = JSON.parse((await createSession(demo.base, asA)).body).id;
      const client = watch(`${ws}/v1/ws?session_id=${id}&app_id=app-a&api_key=${keyA}`);
      onTestFinished(() => client.socket.terminate());
      await client.opened;
      return { id, client };
    };
    const daily = async () =>
      remaining((await call(demo.base, '/v1/sessions/nope', { headers: asA })).headers, 'daily');
    const before = await daily();
    const other = await open();
    other.client.socket.send(JSON.stringify({ type: 'command', id: 'bare', command: 'play' }));
    expect(await other.client.next()).toMatchObject({
      type: 'error',
      code: 'URLS_REQUIRED',
      reply_to: 'bare',
    });
    const { id, client } = await open();
    const play = (n: string, url = 'https://example.com/a.wav') =>
      client.socket.send(JSON.stringify({ type: 'command', id: n, command: 'play', urls: [url] }));
    play('file', 'file:///etc/passwd');
    expect(await client.next()).toMatchObject({ type: 'error', reply_to: 'file' });
    // REST first, then the socket at once: one cooldown per session, whichever door a command comes by. (A
    // step slower than the 1 s interval would let a play through, never refuse more: the bounds hold.)
    const rest = await call(demo.base, `/v1/sessions/${id}/commands/play`, {
      method: 'POST',
      headers: { ...asA, ...json },
      body: JSON.stringify({ urls: ['https://example.com/b.wav'] }),
    });
    expect(rest.status, rest.body).toBe(200);
    for (let i = 0; i < 5; i++) play(String(i));
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await client.next());
    const ok = answers.filter((m) => m.type === 'command_ok').length;
    expect(answers.filter((m) => m.code === 'COOLDOWN').length).toBe(5 - ok);
    expect(ok).toBeLessThan(5);
    expect(demo.state.sessions.get(id)!.commands).toHaveLength(1 + ok);
    // The socket's commands spend the app's daily quota, as the same commands over REST do.
    expect(await daily()).toBeLessThan(before - 1);
    client.socket.close();
    await client.closed;
  });

  it('answers a message flood, a huge message and junk frames with bounded events, and the session lives on', async () => {
    const client = watch(`${ws}/v1/ws?session_id=${session}&app_id=app-a&api_key=${keyA}`);
    await client.opened;
    for (let i = 0; i < 500; i++) client.socket.send('{not json');
    client.socket.send(JSON.stringify({ type: 'command', command: 'x'.repeat(100_000) }));
    client.socket.send(Buffer.alloc(10, 0xff));
    const closed = await Promise.race([
      client.closed,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 1500)),
    ]);
    // The rate drops what it cannot answer: far fewer events than messages, whether it closed or not.
    expect(client.messages.length + (closed ? 0 : 0)).toBeLessThanOrEqual(60);
    for (const message of client.messages) {
      expect(message.type).toBe('error');
      expect(JSON.stringify(message)).not.toMatch(/node:internal|\/work\//);
    }
    client.socket.terminate();
    // A message past the hard bound closes that socket with 1009; the server still answers.
    const big = watch(`${ws}/v1/ws?session_id=${session}&app_id=app-a&api_key=${keyA}`);
    await big.opened;
    big.socket.send(Buffer.alloc(2 * 1024 * 1024, 0x61));
    expect((await big.closed).code).toBe(1009);
    const still = await call(demo.base, `/v1/sessions/${session}`, { headers: asA });
    expect(still.status).toBe(200);
  });
});
