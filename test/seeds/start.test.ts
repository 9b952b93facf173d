/**
 * Each seed starts as its README line says, `npx tsx examples/seeds/00N/server.ts` on `PORT`, and answers
 * a documented error; seed 003 also runs on Redis (`REDIS_URL`) and answers its generic 500 while Redis is
 * down.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { sendRaw } from '../helpers/raw.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { freePort, type Started, startCommand } from '../helpers/spawn.js';

const started: Started[] = [];
let redis: RedisServer | undefined;
afterAll(async () => {
  for (const s of started) s.stop();
  await redis?.stop();
});

async function run(seed: string, env: Record<string, string> = {}): Promise<string> {
  return (await runWithOutput(seed, env)).url;
}

async function runWithOutput(
  seed: string,
  env: Record<string, string> = {},
): Promise<{ url: string; output: string }> {
  const port = await freePort();
  const saved = { ...process.env };
  Object.assign(process.env, env);
  let output: string;
  try {
    const one = await startCommand('npx', ['tsx', `examples/seeds/${seed}/server.ts`], port, 60_000);
    started.push(one);
    output = one.output;
  } finally {
    process.env = saved;
  }
  return { url: `http://127.0.0.1:${port}`, output };
}

/** Seed 000's admin key, given by its environment: the seed makes one at start without it. */
const adminKey000 = randomBytes(24).toString('base64url');
const envOf: Record<string, Record<string, string>> = { '000': { SEED_000_ADMIN_KEY: adminKey000 } };

const cases: [string, (url: string) => Promise<Response>, number, unknown][] = [
  [
    '000',
    (url) =>
      fetch(`${url}/v1/projects/support-bot/conversations/nope`, {
        headers: { 'x-api-key': adminKey000, 'x-polyai-correlation-id': 'start-1' },
      }),
    404,
    {
      success: false,
      error: 'Conversation ID does not exist.',
      error_id: 'start-1',
      error_code: 'CONVERSATIONS_NOT_FOUND',
      error_message: 'Conversation ID does not exist.',
      data: null,
    },
  ],
  [
    '001',
    (url) => fetch(`${url}/api/v1/access-token`, { method: 'POST' }),
    401,
    { error: 'Missing authentication headers' },
  ],
  [
    '002',
    (url) => fetch(`${url}/api/flows/flow_1`),
    401,
    { error: { message: 'No token', statusCode: 401, code: 'AUTH_NO_TOKEN', category: 'AUTH' } },
  ],
  [
    '003',
    (url) => fetch(`${url}/api/v1/sessions/nope`),
    400,
    { success: false, error: 'Missing X-App-ID header' },
  ],
  [
    '004',
    (url) => fetch(`${url}/support/tickets/T-00000000?token=guess`),
    404,
    { success: false, code: 'SUPPORT_TICKET_NOT_FOUND', error: 'Ticket not found' },
  ],
];

describe('the seed servers, started as documented', () => {
  it('seed 001 accepts no connector token written in the repository: its demo token is made at start and printed', {
    timeout: 90_000,
  }, async () => {
    const { url, output } = await runWithOutput('001');
    const printed = /X-Token: (ct_[0-9a-f]{32})'/.exec(output)?.[1];
    expect(printed, output).toBeDefined();
    const ask = (token: string) =>
      fetch(`${url}/api/v1/access-token`, {
        method: 'POST',
        headers: { 'x-token': token, 'x-host': 'app.example.com' },
      });
    expect((await ask('ct_demo_connector_token')).status).toBe(401);
    expect((await ask(printed!)).status).toBe(200);
    // The admin key too: made at start, printed once, and the only key the admin routes take.
    const adminKey = /admin key (\S+):/.exec(output)?.[1];
    expect(adminKey, output).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const admin = (key: string) =>
      fetch(`${url}/admin/signing-keys`, { method: 'POST', headers: { 'x-admin-api-key': key } });
    expect((await admin('admin-key-written-in-a-readme')).status).toBe(401);
    expect((await admin(adminKey!)).status).toBe(201);
  });

  it('seed 001 expires an idle session after SESSION_IDLE_MS', { timeout: 90_000 }, async () => {
    const { url, output } = await runWithOutput('001', { SESSION_IDLE_MS: '300' });
    const connector = /X-Token: (ct_[0-9a-f]{32})'/.exec(output)![1]!;
    const minted = await fetch(`${url}/api/v1/access-token`, {
      method: 'POST',
      headers: { 'x-token': connector, 'x-host': 'example.com' },
    });
    const { access_token } = (await minted.json()) as { access_token: string };
    const headers = { authorization: `Bearer ${access_token}` };
    const created = await fetch(`${url}/api/v1/sessions`, { method: 'POST', headers });
    const { session_id } = (await created.json()) as { session_id: string };
    // Three idle windows without a request: the session is gone.
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect((await fetch(`${url}/api/v1/sessions/${session_id}`, { headers })).status).toBe(404);
  });

  it.each([
    ['002', '/api/auth/login'],
    ['004', '/auth/login'],
  ])(
    'seed %s accepts no owner password written in the repository: it is made at start and printed',
    {
      timeout: 90_000,
    },
    async (seed, path) => {
      const { url, output } = await runWithOutput(seed);
      const printed = /owner@example\.com signs in with password (\S+)/.exec(output)?.[1];
      expect(printed, output).toBeDefined();
      const login = (password: string) =>
        fetch(`${url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'owner@example.com', password }),
        });
      expect((await login('correct horse battery')).status).toBe(401);
      expect((await login(printed!)).status).toBe(200);
    },
  );

  it('seed 003 accepts no key written in the repository: its demo key is made at start and printed', {
    timeout: 90_000,
  }, async () => {
    const { url, output } = await runWithOutput('003');
    const printed = /X-API-Key: ([0-9a-f]{32})'/.exec(output)?.[1];
    expect(printed, output).toBeDefined();
    const ask = (key: string) =>
      fetch(`${url}/api/v1/sessions/nope`, { headers: { 'x-app-id': 'demo-app', 'x-api-key': key } });
    expect((await ask('demo-key-0123456789abcdef')).status).toBe(401);
    expect((await ask(printed!)).status).toBe(404);
  });

  it.each(cases)(
    'seed %s starts with npx tsx on PORT, answers a documented error, Expect and CONNECT',
    { timeout: 90_000 },
    async (seed, request, status, body) => {
      const url = await run(seed, envOf[seed]);
      const res = await request(url);
      expect(res.status).toBe(status);
      expect(await res.json()).toEqual(body);
      // An expectation HTTP does not define gets the seed's own envelope, not node's empty 417: the page's
      // 400 where the page has no 417 (its bad-request code claims the role), 417 on 002's built-in table.
      const expectation = await sendRaw(url, ['GET /health HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n']);
      expect(expectation.status).toBe(seed === '002' ? 417 : 400);
      expect(expectation.headers['content-type']).toMatch(/json/);
      expect(JSON.parse(expectation.body)).toBeTypeOf('object');
      // A seed is no proxy: CONNECT gets the seed's own 400, not a socket closed without a word.
      const tunnel = await sendRaw(url, [
        'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
      ]);
      expect(tunnel.status).toBe(400);
      expect(JSON.parse(tunnel.body)).toBeTypeOf('object');
    },
  );

  it('seed 003 with REDIS_URL answers its generic 500 while Redis is down, and recovers', {
    timeout: 90_000,
  }, async () => {
    redis = await startRedis();
    // A key made per run, given as an operator would: no test writes a working key in the repository.
    const key = randomBytes(24).toString('base64url');
    const url = await run('003', { REDIS_URL: redis.url, DEMO_API_KEY: key });
    const headers = { 'x-app-id': 'demo-app', 'x-api-key': key };
    expect((await fetch(`${url}/api/v1/sessions/nope`, { headers })).status).toBe(404);
    await redis.kill();
    const down = await fetch(`${url}/api/v1/sessions/nope`, { headers });
    expect(down.status).toBe(500);
    expect(await down.json()).toEqual({ success: false, error: 'Internal error validating API key' });
    await redis.restart();
    // Redis restarts empty: the app is configured again, as its operator would.
    let answer = 0;
    for (let i = 0; i < 50 && answer !== 401; i++) {
      answer = (await fetch(`${url}/api/v1/sessions/nope`, { headers })).status;
      if (answer !== 401) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(answer).toBe(401);
  });
});
