/**
 * Attacks on the demo's authentication and on the limits around it, from distinct client addresses on
 * the loopback (127.0.0.1 is the real app, 127.0.0.2 and 127.0.0.3 are attackers).
 *
 * Anchors: express-rate-limit (proxies untrusted by default: a client is its socket address, and a limit
 * keys on what the caller cannot forge); a tenant's budget is spent only by requests that proved they are
 * the tenant, and a per-IP limit bounds guessing at the authentication itself.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request, type Server } from 'node:http';
import { memoryStore } from 'faultline/stores';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createDemo } from '../../demo/app.js';
import { close, listen } from '../helpers/http.js';
import { sendRaw } from '../helpers/raw.js';

// The apps' keys, made per run: the demo takes no key written in the repository.
const demoKey = randomBytes(24).toString('base64url');
const otherKey = randomBytes(24).toString('base64url');
const apps = { 'demo-app': demoKey, 'other-app': otherKey };
const servers: Server[] = [];
const agents: Agent[] = [];
afterAll(async () => {
  for (const agent of agents) agent.destroy();
  for (const server of servers) await close(server);
});

/** A demo on 127.0.0.1; `frozen` stops its guards' clock, so that no budget refills during a test. */
async function demo(frozen = false): Promise<string> {
  return (await demoWithState(frozen)).base;
}

async function demoWithState(frozen = false) {
  const at = Date.now();
  const store = frozen ? memoryStore({ now: () => at }) : memoryStore();
  const { server, state } = createDemo({ logger: false, store, apps });
  servers.push(server);
  return { base: await listen(server), state };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** A client on its own loopback address, with one kept-alive connection. */
function clientAt(address: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1, localAddress: address });
  agents.push(agent);
  return (base: string, path: string, headers: Record<string, string>) =>
    new Promise<Answer>((resolve, reject) => {
      const { port } = new URL(base);
      const req = request({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text ? JSON.parse(text) : undefined,
          }),
        );
      });
      req.setTimeout(5000, () => req.destroy(new Error('no answer within 5 s')));
      req.on('error', reject);
      req.end();
    });
}

const realApp = clientAt('127.0.0.1');
const real = { 'x-app-id': 'demo-app', 'x-api-key': demoKey };

/** Sends up to `max` requests until one is answered 429; returns the answers. */
async function until429(send: () => Promise<Answer>, max: number): Promise<Answer[]> {
  const answers: Answer[] = [];
  const deadline = Date.now() + 30_000;
  while (answers.length < max && Date.now() < deadline) {
    const answer = await send();
    answers.push(answer);
    if (answer.status === 429) break;
  }
  return answers;
}

describe('the demo: limits around authentication', () => {
  it('a caller who knows only the app id spends nothing of the real app’s budget: 0 of its next 20 requests locked out (was 19 of 20) (a tenant limit applies after the tenant’s key is checked)', async () => {
    const base = await demo();
    const attacker = clientAt('127.0.0.2');
    const answers = await until429(
      () => attacker(base, '/v1/sessions/none', { 'x-app-id': 'demo-app', 'x-api-key': 'guess' }),
      700,
    );
    const next: Answer[] = [];
    for (let i = 0; i < 20; i++) next.push(await realApp(base, '/v1/sessions/none', real));
    expect(next.filter((a) => a.status === 429).length).toBe(0);
    expect(answers.length).toBe(700);
    expect(answers.every((a) => a.status === 401 && a.body.code === 'INVALID_API_KEY')).toBe(true);
    expect(next.map((a) => a.body.code)).toEqual(Array(20).fill('SESSION_NOT_FOUND'));
    // The app's first request found its per-app and daily budgets whole.
    expect(next[0]!.headers.ratelimit).toContain('"per-app";r=599');
    expect(next[0]!.headers.ratelimit).toContain('"daily";r=99999');
  });

  it('brute-forcing the key of a known app from one address hits the per-IP limit, which then guards the authentication itself, and the real app is untouched (express-rate-limit: a client is its address; the key guessed is never a key of the limit)', async () => {
    const base = await demo(true);
    const attacker = clientAt('127.0.0.3');
    const answers = await until429(
      () => attacker(base, '/v1/sessions/none', { 'x-app-id': 'demo-app', 'x-api-key': 'guess' }),
      1500,
    );
    const last = answers.at(-1)!;
    expect(last.status).toBe(429);
    expect(last.body.details).toEqual({ policies: ['per-ip'] });
    expect(answers.length).toBe(1201);
    expect(answers.slice(0, 1200).every((a) => a.status === 401)).toBe(true);
    // Past the limit, even the right key from that address is not checked.
    const right = await attacker(base, '/v1/sessions/none', real);
    expect(right.status).toBe(429);
    // The real app, from its own address, keeps its whole budget.
    const mine = await realApp(base, '/v1/sessions/none', real);
    expect(mine.status).toBe(404);
    expect(mine.headers.ratelimit).toContain('"per-app";r=599');
  });

  it('an app id sent twice (the attacker’s, then the victim’s) is refused 400 before any guard or handler reads either (RFC 9110 §5.3: a field that is not a list must not be repeated)', async () => {
    const base = await demo();
    const answer = await sendRaw(base, [
      'POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-App-ID: other-app\r\nX-App-ID: demo-app\r\n' +
        `X-API-Key: ${otherKey}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 23\r\n' +
        'Connection: close\r\n\r\n{"from":"a","to":"b"}  ',
    ]);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({
      code: 'INVALID_HEADER',
      details: { header: 'X-App-ID' },
    });
  });

  it('probing routes without a key learns nothing: an unknown /v1 route and a known one both answer 401 (authenticate before revealing whether something exists)', async () => {
    const base = await demo();
    const probe = clientAt('127.0.0.4');
    const unknown = await probe(base, '/v1/nowhere', { 'x-app-id': 'demo-app' });
    const known = await probe(base, '/v1/sessions/none', { 'x-app-id': 'demo-app' });
    expect([unknown.status, unknown.body.code]).toEqual([401, 'MISSING_API_KEY']);
    expect([known.status, known.body.code]).toEqual([401, 'MISSING_API_KEY']);
  });

  it('app ids that name object properties (__proto__, constructor, toString) are unknown apps: 401 (no lookup reaches the prototype)', async () => {
    const base = await demo();
    const probe = clientAt('127.0.0.5');
    for (const appId of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const answer = await probe(base, '/v1/sessions/none', { 'x-app-id': appId, 'x-api-key': 'x' });
      expect([appId, answer.status, answer.body.code]).toEqual([appId, 401, 'INVALID_API_KEY']);
    }
  });
});

/** A WebSocket handshake from `address` on a connection of its own: the refusal's status and body, or 101. */
function handshake(base: string, path: string, address: string): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const { port } = new URL(base);
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      localAddress: address,
      agent: false,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
      },
    });
    req.setTimeout(5000, () => req.destroy(new Error('no answer within 5 s')));
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: undefined });
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: text ? JSON.parse(text) : undefined,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** A `ws` client from 127.0.0.1 that sends one command and resolves with the answer (10 s at most). */
function command(url: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { localAddress: '127.0.0.1' });
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error('no answer within 10 s'));
    }, 10_000);
    socket.on('error', reject);
    socket.once('open', () => socket.send(JSON.stringify({ type: 'command', id: 'c1', command: 'answer' })));
    socket.once('message', (data) => {
      clearTimeout(timer);
      socket.close();
      resolve(JSON.parse(String(data)));
    });
  });
}

describe('the demo WebSocket handshake: the same guards as HTTP', () => {
  const socketPath = (sessionId: string, appId: string, key: string) =>
    `/v1/ws?session_id=${sessionId}&app_id=${encodeURIComponent(appId)}&api_key=${encodeURIComponent(key)}`;

  it('app ids that name object properties (__proto__, constructor, toString) are unknown apps at the handshake: 401 (no lookup reaches the prototype)', async () => {
    const { base, state } = await demoWithState();
    const session = state.createSession('demo-app', '+15550100', '+15550199');
    for (const appId of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      const answer = await handshake(base, socketPath(session.id, appId, 'x'), '127.0.0.6');
      expect([appId, answer.status, answer.body?.code]).toEqual([appId, 401, 'INVALID_API_KEY']);
    }
  });

  it('brute-forcing a known app’s key over handshakes from one address hits the per-IP limit: 429 at the handshake, even for the right key, and the real app still connects (express-rate-limit: a client is its address; a per-IP limit bounds guessing at the authentication itself)', async () => {
    const { base, state } = await demoWithState(true);
    const session = state.createSession('demo-app', '+15550100', '+15550199');
    const answers: Answer[] = [];
    const deadline = Date.now() + 60_000;
    while (answers.length < 1500 && Date.now() < deadline) {
      const answer = await handshake(
        base,
        socketPath(session.id, 'demo-app', `guess-${answers.length}`),
        '127.0.0.7',
      );
      answers.push(answer);
      if (answer.status === 429) break;
    }
    const last = answers.at(-1)!;
    expect(last.status).toBe(429);
    expect(last.body.details).toEqual({ policies: ['per-ip'] });
    expect(last.headers['retry-after']).toBeDefined();
    expect(answers.length).toBe(1201);
    expect(answers.slice(0, 1200).every((a) => a.status === 401 && a.body.code === 'INVALID_API_KEY')).toBe(
      true,
    );
    // Past the limit, the right key from that address is not checked either, over WebSocket or HTTP.
    expect((await handshake(base, socketPath(session.id, 'demo-app', demoKey), '127.0.0.7')).status).toBe(
      429,
    );
    const attacker = clientAt('127.0.0.7');
    expect((await attacker(base, '/v1/sessions/none', real)).status).toBe(429);
    // The real app, from its own address, connects and is served.
    const url = `${base.replace('http', 'ws')}${socketPath(session.id, 'demo-app', demoKey)}`;
    expect(await command(url)).toMatchObject({ type: 'command_ok', reply_to: 'c1', command: 'answer' });
  }, 90_000);

  it('an app id sent twice in the query is refused 400 before any key is compared (one identity for guard and handler)', async () => {
    const { base, state } = await demoWithState();
    const session = state.createSession('demo-app', '+15550100', '+15550199');
    const path = `${socketPath(session.id, 'other-app', otherKey)}&app_id=demo-app`;
    const answer = await handshake(base, path, '127.0.0.8');
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('INVALID_HEADER');
  });
});
