/**
 * Seed 001's per-address limit (`IP_RATE`) as it ships, in its own process: one budget per client address
 * for HTTP requests and WebSocket handshakes alike, spent before authentication, so that guessing access
 * tokens over the socket is held to the same rate as over HTTP. Each test speaks from its own loopback
 * address (127.0.0.N, all of which reach a server on 127.0.0.1 on Linux), so each has a fresh budget.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SeedProcess, startSeed } from './harness.js';
import { connect } from './ws.js';

const rate = 5;
const adminKey = randomBytes(24).toString('base64url');
const demoToken = `ct_${randomBytes(16).toString('hex')}`;
let seed: SeedProcess;
let nextAddress = 10;
/** A loopback address no other test of this file speaks from. */
const address = () => `127.0.0.${nextAddress++}`;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An HTTP request from `localAddress`. */
function http(localAddress: string, method: string, path: string, headers: Record<string, string> = {}) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request(`${seed.url}${path}`, { method, headers, localAddress, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path}`)));
    req.on('error', reject);
    req.end();
  });
}

/** A handshake from `localAddress`: 101 (then closed at once), or the HTTP answer that refused it. */
async function handshake(localAddress: string, query: string): Promise<Answer> {
  const answer = await connect(`${seed.wsUrl}/api/v1/ws?${query}`, { localAddress });
  if (!('kind' in answer)) {
    answer.ws.close();
    return { status: 101, headers: {}, body: '' };
  }
  return { status: answer.status, headers: Object.fromEntries(answer.headers), body: answer.body };
}

const guessed = (i: number) => `session_id=${randomUUID()}&access_token=guess${i}.sig`;

/** A session of the demo connector and its access token, made from `from`. */
async function session(from: string): Promise<{ id: string; token: string }> {
  const issued = await http(from, 'POST', '/api/v1/access-token', {
    'x-token': demoToken,
    'x-host': 'app.example.com',
  });
  expect(issued.status, issued.body).toBe(200);
  const token = (JSON.parse(issued.body) as { access_token: string }).access_token;
  const made = await http(from, 'POST', '/api/v1/sessions', { authorization: `Bearer ${token}` });
  expect(made.status, made.body).toBe(200);
  return { id: (JSON.parse(made.body) as { session_id: string }).session_id, token };
}

/** Asserts the page's 429 with a Retry-After, as the HTTP routes answer it. */
async function expectLimited(answer: Answer, from: string) {
  expect(answer.status, answer.body).toBe(429);
  const wait = Number(answer.headers['retry-after']);
  expect(wait).toBeGreaterThanOrEqual(1);
  expect(wait).toBeLessThanOrEqual(60);
  const overHttp = await http(from, 'GET', '/api/v1/sessions/x', { authorization: 'Bearer guess.sig' });
  expect(overHttp.status).toBe(429);
  expect(JSON.parse(answer.body)).toEqual(JSON.parse(overHttp.body));
  expect(answer.body).not.toMatch(/ at |stack/i);
}

beforeAll(async () => {
  seed = await startSeed('001', {
    ADMIN_API_KEY: adminKey,
    DEMO_CONNECTOR_TOKEN: demoToken,
    IP_RATE: String(rate),
  });
}, 60_000);

afterAll(async () => {
  await seed?.stop();
});

describe('seed 001: IP_RATE applies "per client address before authentication" to WebSocket handshakes', () => {
  it('answers handshakes with guessed access tokens 429 with Retry-After once the address has spent IP_RATE', async () => {
    const from = address();
    const statuses: number[] = [];
    for (let i = 0; i < rate; i++) statuses.push((await handshake(from, guessed(i))).status);
    expect(statuses).toEqual(Array(rate).fill(401));
    await expectLimited(await handshake(from, guessed(rate)), from);
  });

  it('refuses a handshake with a valid token 429 too: the limit runs before authentication', async () => {
    const from = address();
    // Two requests make the session; the rest of the budget goes on guesses.
    const { id, token } = await session(from);
    for (let i = 2; i < rate; i++) expect((await handshake(from, guessed(i))).status).toBe(401);
    await expectLimited(await handshake(from, `session_id=${id}&access_token=${token}`), from);
  });

  it('shares one budget per address: HTTP requests spend what handshakes may use', async () => {
    const from = address();
    for (let i = 0; i < rate; i++) {
      const res = await http(from, 'GET', '/api/v1/sessions/x', { authorization: `Bearer guess${i}.sig` });
      expect(res.status).toBe(401);
    }
    await expectLimited(await handshake(from, guessed(0)), from);
  });

  it('shares one budget per address: handshakes spend what HTTP requests may use', async () => {
    const from = address();
    for (let i = 0; i < rate; i++) expect((await handshake(from, guessed(i))).status).toBe(401);
    const res = await http(from, 'POST', '/api/v1/access-token', {
      'x-token': demoToken,
      'x-host': 'app.example.com',
    });
    expect(res.status).toBe(429);
  });

  it('keeps the budgets of other addresses: a client elsewhere still connects', async () => {
    const spent = address();
    for (let i = 0; i <= rate; i++) await handshake(spent, guessed(i));
    expect((await handshake(spent, guessed(0))).status).toBe(429);
    const from = address();
    const { id, token } = await session(from);
    expect((await handshake(from, `session_id=${id}&access_token=${token}`)).status).toBe(101);
  });
});
