/**
 * Seed 001 as it ships: `examples/seeds/001/server.ts` in its own process, configured by environment only,
 * reached over HTTP and WebSocket alone. Every connector but the demo one is made through the admin
 * routes; the agent service and the handoff provider are a fake upstream of this file, given as
 * AGENT_URL and HANDOFF_URL. Three servers:
 * - `main`: the page's defaults, except SESSION_RATE=3 so that the per-session limit answers in 4 requests;
 * - `small`: sessions in memory with small bounds (MAX_SESSIONS, MAX_HISTORY_BYTES) and SESSION_IDLE_MS=3000,
 *   so that a session expires while its socket is open;
 * - `faults`: sessions in a real redis-server (REDIS_URL), killed and restarted to produce the page's
 *   "Failed to create session" and "Error: Unable to retrieve session".
 *
 * Rows that cannot be reached over HTTP: none. All 34 rows of the page are produced by real requests.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors, format } from '../../examples/reference/001.js';
import { start } from '../../examples/seeds/001/app.js';
import { event } from '../../examples/seeds/001/catalog.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import {
  expectRow,
  type Observed,
  observe,
  type Probe,
  rowsOf,
  type SeedProcess,
  startSeed,
  summary,
} from './harness.js';
import { asEvent, connect, type Socket } from './ws.js';

const contract = { catalog: errors, format, event, correlationHeader: 'x-request-id' };
const secret = () => randomBytes(24).toString('base64url');
const adminKey = secret();
const demoToken = `ct_${randomBytes(16).toString('hex')}`;
const idleMs = 3000;

let upstream: Server;
let redis: RedisServer;
let main: SeedProcess;
let small: SeedProcess;
let faults: SeedProcess;
/** How the fake agent service answers a conversation start, by session id. */
const agentModes = new Map<string, 'overloaded' | 'failing' | 'no-id'>();

const isError = (m: { type?: string; system_message?: { level?: string } }) =>
  m.type === 'EVENT_TYPE_SYSTEM_MESSAGE' && m.system_message?.level === 'SYSTEM_MESSAGE_LEVEL_ERROR';

/** The fake agent service and handoff provider: each failure mode is chosen by the input, as real ones fail. */
function upstreamServer(): Server {
  return createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => {
      raw += chunk;
    });
    req.on('end', () => {
      const body = JSON.parse(raw || '{}') as { session?: string; text?: string; queue?: string };
      const url = req.url ?? '';
      if (url === '/agent/conversations') {
        const mode = agentModes.get(body.session ?? '');
        if (mode === 'overloaded') return res.writeHead(503).end();
        if (mode === 'failing') return res.writeHead(500).end();
        if (mode === 'no-id') return res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        return res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ conversation_id: `cv-${body.session}` }));
      }
      if (url.startsWith('/agent/conversations/')) {
        if (body.text === 'overload') return res.writeHead(503).end();
        if (body.text === 'fail') return res.writeHead(500).end();
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        if (body.text === 'break') {
          res.write('{"delta":"Hel"}\n{"del');
          return setTimeout(() => res.socket?.destroy(), 20);
        }
        return res.end('{"delta":"Hello"}\n{"delta":" there"}\n');
      }
      if (url === '/handoff/sessions') {
        if (body.queue === 'broken') return res.writeHead(502).end();
        return res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"ho-1"}');
      }
      if (url.startsWith('/handoff/sessions/')) return res.writeHead(body.text === 'fail' ? 500 : 200).end();
      res.writeHead(404).end();
    });
  });
}

/** A connector as the client holds it: its token and a host its domain matches. */
interface ConnectorCredentials {
  id?: string;
  token: string;
  host: string;
}
const demo: ConnectorCredentials = { token: demoToken, host: 'app.example.com' };

/** What a test does with one of the servers, over HTTP and WebSocket only. */
function client(server: () => SeedProcess) {
  const post = (path: string, headers: Record<string, string>, body?: string) =>
    observe(
      fetch(`${server().url}${path}`, {
        method: 'POST',
        headers,
        ...(body === undefined ? {} : { body }),
      }),
    );
  const admin = (method: string, path: string, body?: unknown, key = adminKey) =>
    fetch(`${server().url}${path}`, {
      method,
      headers: {
        'x-admin-api-key': key,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  /** A connector made through the admin route. */
  const connector = async (init: Record<string, unknown>): Promise<ConnectorCredentials> => {
    const res = await admin('POST', '/admin/connectors', init);
    expect(res.status, await res.clone().text()).toBe(201);
    const made = (await res.json()) as { id: string; token: string; host: string | null };
    return { id: made.id, token: made.token, host: made.host ?? 'example.com' };
  };
  const token = async (c: ConnectorCredentials = demo): Promise<string> => {
    const res = await fetch(`${server().url}/api/v1/access-token`, {
      method: 'POST',
      headers: { 'x-token': c.token, 'x-host': c.host },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  };
  const session = async (c: ConnectorCredentials = demo): Promise<{ id: string; token: string }> => {
    const access = await token(c);
    const res = await fetch(`${server().url}/api/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${access}` },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    return { id: ((await res.json()) as { session_id: string }).session_id, token: access };
  };
  const wsUrl = (query: string) => `${server().wsUrl}/api/v1/ws?${query}`;
  const open = async (
    c: ConnectorCredentials = demo,
  ): Promise<{ socket: Socket; id: string; token: string }> => {
    const s = await session(c);
    const socket = await connect(wsUrl(`session_id=${s.id}&access_token=${s.token}`));
    if (!('ws' in socket)) throw new Error(`handshake refused: ${socket.status} ${socket.body}`);
    return { socket, ...s };
  };
  const read = async (id: string, bearer: string) => {
    const res = await fetch(`${server().url}/api/v1/sessions/${id}`, {
      headers: { authorization: `Bearer ${bearer}` },
    });
    return { status: res.status, body: await res.text() };
  };
  /** Sends `message` on a fresh session of `c` and returns the error event it answers. */
  const eventFor = async (
    message: unknown,
    prepare?: (id: string, socket: Socket) => Promise<void> | void,
    c: ConnectorCredentials = demo,
  ): Promise<Observed> => {
    const { socket, id } = await open(c);
    try {
      await prepare?.(id, socket);
      socket.send(message);
      return asEvent(await socket.next(isError));
    } finally {
      socket.ws.close();
    }
  };
  return { post, admin, connector, token, session, wsUrl, open, read, eventFor };
}

const m = client(() => main);
const s = client(() => small);
const f = client(() => faults);

const join = async (socket: Socket) => {
  socket.send({ type: 'EVENT_TYPE_REQUEST_POLY_AGENT_JOIN' });
  await socket.next((msg) => msg.type === 'EVENT_TYPE_AGENT_JOINED' || isError(msg));
};

/** Kills the faults server's Redis, runs `during`, restarts Redis and waits until sessions work again. */
async function withRedisDown<T>(during: () => Promise<T>): Promise<T> {
  await redis.kill();
  try {
    return await during();
  } finally {
    await redis.restart();
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      const res = await fetch(`${faults.url}/api/v1/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await f.token()}` },
      });
      status = res.status;
      await res.body?.cancel();
      if (status !== 200) await sleep(100);
    }
    expect(status, 'sessions work again once Redis is back').toBe(200);
  }
}

const probes: Record<string, Probe> = {
  SESSION_RATE_LIMITED: async () => {
    const { id, token } = await m.session();
    let last: Observed | undefined;
    for (let i = 0; i < 4; i++)
      last = await observe(
        fetch(`${main.url}/api/v1/sessions/${id}`, { headers: { authorization: `Bearer ${token}` } }),
      );
    return last!;
  },
  'status 400': async () =>
    m.post(
      '/api/v1/sessions',
      { authorization: `Bearer ${await m.token()}`, 'content-type': 'application/json' },
      '{"streaming_enabled":',
    ),
  'status 401': () => m.post('/api/v1/sessions', { authorization: 'Bearer expired.token' }),
  'status 404': async () => {
    // A session its client ended: the server has no record of it any more.
    const { socket, id, token } = await m.open();
    socket.send({ type: 'EVENT_TYPE_END_SESSION' });
    await socket.closed();
    return observe(
      fetch(`${main.url}/api/v1/sessions/${id}`, { headers: { authorization: `Bearer ${token}` } }),
    );
  },
  'status 429': () => probes.SESSION_RATE_LIMITED!(),
  'status 500': () => probes.ACCESS_TOKEN_CREATION_FAILED!(),
  MISSING_AUTH_HEADERS: () => m.post('/api/v1/access-token', { 'x-token': 'ct_x' }),
  CONNECTOR_TOKEN_NOT_FOUND: () =>
    m.post('/api/v1/access-token', { 'x-token': 'ct_unknown', 'x-host': 'example.com' }),
  CONNECTOR_VALIDATION_FAILED: () =>
    m.post('/api/v1/access-token', { 'x-token': demoToken, 'x-host': 'evil-example.com' }),
  CONNECTOR_HOST_MISSING: async () => {
    const bare = await m.connector({ host: null });
    return m.post('/api/v1/access-token', { 'x-token': bare.token, 'x-host': 'example.com' });
  },
  ACCESS_TOKEN_CREATION_FAILED: async () => {
    // A signing key retired at once (as after a leak) while a connector still names it.
    const made = await m.admin('POST', '/admin/signing-keys');
    expect(made.status).toBe(201);
    const { id: keyId } = (await made.json()) as { id: string };
    const pinned = await m.connector({ host: 'pinned.example', key_id: keyId });
    expect((await m.admin('DELETE', `/admin/signing-keys/${keyId}`)).status).toBe(204);
    return m.post('/api/v1/access-token', { 'x-token': pinned.token, 'x-host': 'pinned.example' });
  },
  ACCESS_TOKEN_MISSING: () => m.post('/api/v1/sessions', {}),
  ACCESS_TOKEN_INVALID: async () => {
    const access = await m.token();
    return m.post('/api/v1/sessions', { authorization: `Bearer ${access.slice(0, -3)}abc` });
  },
  REQUEST_PARSE_ERROR: async () =>
    m.post(
      '/api/v1/sessions',
      { authorization: `Bearer ${await m.token()}`, 'content-type': 'application/json' },
      '{streaming_enabled: true}',
    ),
  SESSION_CREATION_FAILED: async () => {
    const access = await f.token();
    return withRedisDown(() => f.post('/api/v1/sessions', { authorization: `Bearer ${access}` }));
  },
  WS_SESSION_NOT_FOUND: async () =>
    (await connect(m.wsUrl(`session_id=${randomUUID()}&access_token=${await m.token()}`))) as Observed,
  WS_AUTHENTICATION_FAILED: async () => {
    const { id, token } = await m.session();
    return (await connect(m.wsUrl(`session_id=${id}&access_token=${token.slice(0, -3)}abc`))) as Observed;
  },
  WS_CONNECTION_LIMIT_EXCEEDED: async () => {
    const { id, token } = await m.session();
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        const socket = await connect(m.wsUrl(`session_id=${id}&access_token=${token}`));
        expect('ws' in socket, `connection ${i + 1} of 10`).toBe(true);
        sockets.push(socket as Socket);
      }
      return (await connect(m.wsUrl(`session_id=${id}&access_token=${token}`))) as Observed;
    } finally {
      for (const socket of sockets) socket.ws.close();
    }
  },
  WS_INVALID_CONNECTION_PARAMETERS: async () => (await connect(m.wsUrl('session_id=abc'))) as Observed,
  INVALID_EVENT: () => m.eventFor('{"type": "EVENT_TYPE_USER_MESSAGE", "text": '),
  EVENT_TYPE_NOT_ALLOWED: () => m.eventFor({ type: 'EVENT_TYPE_AGENT_MESSAGE', delta: 'spoofed' }),
  AGENT_HIGH_LOAD: () =>
    m.eventFor({ type: 'EVENT_TYPE_REQUEST_POLY_AGENT_JOIN' }, (id) => void agentModes.set(id, 'overloaded')),
  AGENT_START_FAILED: () =>
    m.eventFor({ type: 'EVENT_TYPE_REQUEST_POLY_AGENT_JOIN' }, (id) => void agentModes.set(id, 'failing')),
  AGENT_RESPONSE_FAILED: () =>
    m.eventFor({ type: 'EVENT_TYPE_USER_MESSAGE', text: 'fail' }, (_id, socket) => join(socket)),
  AGENT_STREAM_FAILED: () =>
    m.eventFor({ type: 'EVENT_TYPE_USER_MESSAGE', text: 'break' }, (_id, socket) => join(socket)),
  SESSION_STATE_NOT_FOUND: () =>
    // The session expires while its socket is open: idle for longer than SESSION_IDLE_MS.
    s.eventFor({ type: 'EVENT_TYPE_USER_MESSAGE', text: 'hi' }, () => sleep(idleMs + 1000)),
  SESSION_RETRIEVAL_FAILED: async () => {
    const { socket } = await f.open();
    try {
      return await withRedisDown(async () => {
        socket.send({ type: 'EVENT_TYPE_USER_MESSAGE', text: 'hi' });
        return asEvent(await socket.next(isError));
      });
    } finally {
      socket.ws.close();
    }
  },
  CONNECTOR_NOT_FOUND: async () => {
    const doomed = await m.connector({ host: 'doomed.example' });
    const { socket } = await m.open(doomed);
    try {
      expect((await m.admin('DELETE', `/admin/connectors/${doomed.id}`)).status).toBe(204);
      socket.send({ type: 'EVENT_TYPE_REQUEST_POLY_AGENT_JOIN' });
      return asEvent(await socket.next(isError));
    } finally {
      socket.ws.close();
    }
  },
  CONVERSATION_NOT_FOUND: () => m.eventFor({ type: 'EVENT_TYPE_USER_MESSAGE', text: 'hello' }),
  CONVERSATION_ID_MISSING: () =>
    m.eventFor({ type: 'EVENT_TYPE_USER_MESSAGE', text: 'hello' }, async (id, socket) => {
      agentModes.set(id, 'no-id');
      await join(socket);
    }),
  HANDOFF_CONNECT_FAILED: async () =>
    m.eventFor(
      { type: 'EVENT_TYPE_REQUEST_HANDOFF' },
      undefined,
      await m.connector({ host: 'broken.example', handoff_queue: 'broken' }),
    ),
  HANDOFF_FORWARD_FAILED: async () =>
    m.eventFor(
      { type: 'EVENT_TYPE_USER_MESSAGE', text: 'fail' },
      async (_id, socket) => {
        socket.send({ type: 'EVENT_TYPE_REQUEST_HANDOFF' });
        await socket.next((msg) => msg.type === 'EVENT_TYPE_HANDOFF_STARTED');
      },
      await m.connector({ host: 'support.example', handoff_queue: 'tier-1' }),
    ),
  HANDOFF_INITIATION_FAILED: () => m.eventFor({ type: 'EVENT_TYPE_REQUEST_HANDOFF' }),
};

/** Rows no HTTP or WebSocket request can produce, with the reason: none. */
const unreachable: Record<string, string> = {};

beforeAll(async () => {
  upstream = upstreamServer();
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
  redis = await startRedis();
  const common = { ADMIN_API_KEY: adminKey, DEMO_CONNECTOR_TOKEN: demoToken };
  [main, small, faults] = await Promise.all([
    startSeed('001', {
      ...common,
      AGENT_URL: `${base}/agent`,
      HANDOFF_URL: `${base}/handoff`,
      SESSION_RATE: '3',
    }),
    startSeed('001', {
      ...common,
      SESSION_IDLE_MS: String(idleMs),
      MAX_SESSIONS: '4',
      MAX_HISTORY_BYTES: '20000',
      // The budget across all sessions is what this server tests, not a connector's share of it.
      HISTORY_BYTES_PER_CONNECTOR: '20000',
      MESSAGE_RATE: '1000',
    }),
    startSeed('001', { ...common, REDIS_URL: redis.url }),
  ]);
}, 90_000);

afterAll(async () => {
  await Promise.all([main?.stop(), small?.stop(), faults?.stop()]);
  await redis?.stop();
  upstream?.close();
});

describe('seed 001: every row of the page over HTTP and WebSocket, from the shipped server', () => {
  const rows = rowsOf('001');
  const reached = new Set<string>();
  for (const { key, row } of rows) {
    if (key in unreachable) continue;
    it(`answers ${key} (${row.channel}) as the page documents`, { timeout: 30_000 }, async () => {
      const probe = probes[key];
      expect(probe, `no probe for ${key}`).toBeDefined();
      await expectRow(contract, row, await probe!());
      reached.add(key);
    });
  }

  it('reports reachable/total', () => {
    console.log(summary('001', reached, unreachable));
    expect(reached.size + Object.keys(unreachable).length).toBe(rows.length);
  });
});

describe('seed 001: behaviour the page describes', () => {
  it('keeps the connection open after an invalid event, and echoes the metadata sent', async () => {
    const { socket } = await m.open();
    socket.send({ type: 'EVENT_TYPE_NOPE', metadata: { custom: { ticket: 'T-9' } } });
    const error = await socket.next(isError);
    expect(error.system_message.message).toBe('Unknown event type or invalid message format');
    expect(error.metadata).toEqual({ custom: { ticket: 'T-9' } });
    socket.send({ type: 'EVENT_TYPE_REQUEST_POLY_AGENT_JOIN' });
    expect(await socket.next((msg) => msg.type === 'EVENT_TYPE_AGENT_JOINED')).toMatchObject({
      conversation_id: expect.any(String),
    });
    socket.send({ type: 'EVENT_TYPE_USER_MESSAGE', text: 'hi' });
    expect(await socket.next((msg) => msg.type === 'EVENT_TYPE_AGENT_MESSAGE')).toMatchObject({
      delta: 'Hello',
    });
    socket.ws.close();
  });

  it('sends EVENT_TYPE_SESSION_END after a terminal error: a session that expired while its socket was open', {
    timeout: 30_000,
  }, async () => {
    const { socket } = await s.open();
    await sleep(idleMs + 1000);
    socket.send({ type: 'EVENT_TYPE_USER_MESSAGE', text: 'hi' });
    expect((await socket.next(isError)).system_message.message).toBe('Error: Session not found');
    expect(await socket.next((msg) => msg.type === 'EVENT_TYPE_SESSION_END')).toEqual({
      type: 'EVENT_TYPE_SESSION_END',
    });
    socket.ws.close();
  });

  it('drops messages over the rate without closing the connection', async () => {
    const { socket } = await m.open();
    for (let i = 0; i < 40; i++) socket.send({ type: 'EVENT_TYPE_NOPE', id: String(i) });
    // Every answered message is an error event; the ones over 10 per second are dropped, silently.
    await socket.next(isError);
    await sleep(300);
    const answered = socket.messages.filter(isError as (msg: unknown) => boolean).length;
    expect(answered).toBeGreaterThanOrEqual(1);
    expect(answered).toBeLessThan(40);
    expect(socket.ws.readyState).toBe(socket.ws.OPEN);
    socket.ws.close();
  });

  it('expires a session SESSION_IDLE_MS after its last request: 404 over HTTP and at the handshake', {
    timeout: 30_000,
  }, async () => {
    const { id, token } = await s.session();
    await sleep(idleMs + 1000);
    expect((await s.read(id, token)).status).toBe(404);
    const handshake = await connect(s.wsUrl(`session_id=${id}&access_token=${token}`));
    expect('ws' in handshake ? 'open' : handshake.status).toBe(404);
  });

  it('keeps a session alive while it is used: expiry counts from the last activity (moved clock)', async () => {
    let at = Date.UTC(2026, 0, 1);
    const running = await start(0, { clock: { now: () => at }, log: () => {} });
    try {
      const { token } = running.seed.messaging.addConnector({ host: 'example.com' });
      const mint = async () => {
        const res = await fetch(`${running.url}/api/v1/access-token`, {
          method: 'POST',
          headers: { 'x-token': token, 'x-host': 'example.com' },
        });
        return ((await res.json()) as { access_token: string }).access_token;
      };
      const created = await fetch(`${running.url}/api/v1/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await mint()}` },
      });
      const { session_id } = (await created.json()) as { session_id: string };
      const read = async () =>
        (
          await fetch(`${running.url}/api/v1/sessions/${session_id}`, {
            headers: { authorization: `Bearer ${await mint()}` },
          })
        ).status;
      at += 9 * 60_000;
      expect(await read()).toBe(200);
      at += 9 * 60_000;
      expect(await read()).toBe(200);
      at += 10 * 60_000 + 1;
      expect(await read()).toBe(404);
    } finally {
      await running.close();
    }
  });

  it('replays the events after the cursor on a reconnect, and everything from an invalid cursor', async () => {
    const { socket, id, token } = await m.open();
    socket.send({ type: 'EVENT_TYPE_REQUEST_POLY_AGENT_JOIN' });
    const joined = await socket.next((msg) => msg.type === 'EVENT_TYPE_AGENT_JOINED');
    socket.send({ type: 'EVENT_TYPE_USER_MESSAGE', text: 'hi' });
    await socket.next((msg) => msg.type === 'EVENT_TYPE_AGENT_MESSAGE' && msg.delta === ' there');
    socket.ws.close();
    expect(joined.cursor).toEqual(expect.any(Number));

    const again = await connect(m.wsUrl(`session_id=${id}&access_token=${token}&cursor=${joined.cursor}`));
    if (!('ws' in again)) throw new Error(`refused: ${again.status}`);
    const replayed = [await again.next(), await again.next(), await again.next()];
    expect(replayed.map((msg) => [msg.type, msg.text ?? msg.delta])).toEqual([
      ['EVENT_TYPE_USER_MESSAGE', 'hi'],
      ['EVENT_TYPE_AGENT_MESSAGE', 'Hello'],
      ['EVENT_TYPE_AGENT_MESSAGE', ' there'],
    ]);
    expect(replayed.every((msg) => msg.cursor > joined.cursor)).toBe(true);
    again.ws.close();

    const all = await connect(m.wsUrl(`session_id=${id}&access_token=${token}&cursor=abc`));
    if (!('ws' in all)) throw new Error(`refused: ${all.status}`);
    expect(await all.next()).toMatchObject({ type: 'EVENT_TYPE_AGENT_JOINED', cursor: joined.cursor });
    all.ws.close();
  });

  it('keeps the session after an agent that failed to start: no SESSION_END, and a second JOIN is answered', async () => {
    // The page: "The user can try REQUEST_POLY_AGENT_JOIN again or start a new session."
    const { socket, id } = await m.open();
    agentModes.set(id, 'failing');
    socket.send({ type: 'EVENT_TYPE_REQUEST_POLY_AGENT_JOIN' });
    const failed = await socket.next((msg) => isError(msg) || msg.type === 'EVENT_TYPE_SESSION_END');
    expect(failed).toMatchObject({ system_message: { message: expect.stringContaining('unable to start') } });
    agentModes.delete(id);
    socket.send({ type: 'EVENT_TYPE_REQUEST_POLY_AGENT_JOIN' });
    const next = await socket.next(
      (msg) => msg.type === 'EVENT_TYPE_AGENT_JOINED' || msg.type === 'EVENT_TYPE_SESSION_END',
    );
    expect(next).toMatchObject({ type: 'EVENT_TYPE_AGENT_JOINED' });
    socket.ws.close();
  });

  it('ends the session on EVENT_TYPE_END_SESSION: every socket of it closes, and a reconnect is refused 404', async () => {
    const { id, token } = await m.session();
    const url = m.wsUrl(`session_id=${id}&access_token=${token}`);
    const [a, b] = (await Promise.all([connect(url), connect(url)])) as Socket[];
    a!.send({ type: 'EVENT_TYPE_END_SESSION' });
    for (const socket of [a!, b!]) {
      expect(await socket.next((msg) => msg.type === 'EVENT_TYPE_SESSION_END')).toMatchObject({
        type: 'EVENT_TYPE_SESSION_END',
      });
      expect(await socket.closed()).toBe(1000);
    }
    const refused = await connect(url);
    expect('ws' in refused ? 'open' : refused.status).toBe(404);
    expect((await m.read(id, token)).status).toBe(404);
  });

  it('answers a connection over the limit 429 with a Retry-After that reflects when a slot frees, not the lease', async () => {
    const { id, token } = await m.session();
    const url = m.wsUrl(`session_id=${id}&access_token=${token}`);
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        const socket = await connect(url);
        expect('ws' in socket, `connection ${i + 1} of 10`).toBe(true);
        sockets.push(socket as Socket);
      }
      const refused = await connect(url);
      if ('ws' in refused) throw new Error('the eleventh connection was admitted');
      expect(refused.status).toBe(429);
      // No connection of this seed ends by itself (no idle or duration limit): a slot frees when a client
      // closes one, or when a dead one is dropped, within two 30 s heartbeats; the lease lives 90 s.
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    } finally {
      for (const socket of sockets) socket.ws.close();
    }
  });

  it('logs an invalid cursor as a warning by default, without the access token', async () => {
    const { id, token } = await m.session();
    const before = main.log.length;
    const socket = await connect(m.wsUrl(`session_id=${id}&access_token=${token}&cursor=abc`));
    expect('ws' in socket).toBe(true);
    if ('ws' in socket) socket.ws.close();
    let warnings: typeof main.log = [];
    for (let i = 0; i < 50 && warnings.length === 0; i++) {
      warnings = main.log.slice(before).filter((line) => line.code === 'INVALID_CURSOR');
      if (warnings.length === 0) await sleep(50);
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 'warn', code: 'INVALID_CURSOR' });
    expect(warnings[0]!.url).toContain('access_token=%5Bredacted%5D');
    expect(JSON.stringify(main.log)).not.toContain(token);
  });

  it('never writes an access token into a log line, for a refused handshake either', async () => {
    const { token } = await m.session();
    const before = main.log.length;
    const refused = await connect(m.wsUrl(`session_id=${randomUUID()}&access_token=${token}`));
    expect('ws' in refused ? 'open' : refused.status).toBe(404);
    for (let i = 0; i < 50 && main.log.length === before; i++) await sleep(50);
    expect(main.log.length).toBeGreaterThan(before);
    expect(JSON.stringify(main.log.slice(before))).not.toContain(token);
  });
});

describe('seed 001: bounded memory', () => {
  const text = 'x'.repeat(1000);
  /** Sends `count` user messages on a fresh session of the small server; each is kept in its history. */
  async function talk(count: number) {
    const opened = await s.open();
    for (let i = 0; i < count; i++) opened.socket.send({ type: 'EVENT_TYPE_USER_MESSAGE', text });
    // Each message is answered "Error: Conversation not found" after it is kept (no agent joined).
    for (let i = 0; i < count; i++) await opened.socket.next(isError);
    opened.socket.ws.close();
    return opened;
  }
  const replayed = async (id: string, token: string) => {
    const again = await connect(s.wsUrl(`session_id=${id}&access_token=${token}`));
    if (!('ws' in again)) throw new Error(`refused: ${again.status}`);
    const events: { cursor: number }[] = [];
    try {
      for (;;) events.push(await again.next(undefined, 300));
    } catch {
      // No more events within 300 ms: the replay is complete.
    }
    again.ws.close();
    return events;
  };

  it('keeps at most MAX_HISTORY_BYTES of replay history across sessions: the session idle longest loses its oldest events first', async () => {
    const older = await talk(10);
    const newer = await talk(15);
    // About 1 KiB per event: 25 KiB sent, 20 000 bytes kept. The newer session keeps all 15.
    const newest = await replayed(newer.id, newer.token);
    expect(newest.map((e) => e.cursor)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    const oldest = await replayed(older.id, older.token);
    expect(oldest.length).toBeLessThan(10);
    // What is left of the older one is its newest events, still in order.
    expect(oldest.map((e) => e.cursor)).toEqual(
      Array.from({ length: oldest.length }, (_, i) => 10 - oldest.length + i + 1),
    );
  });

  it('holds at most MAX_SESSIONS sessions: past it a new session answers 500 "Failed to create session", and an expired one makes room', {
    timeout: 30_000,
  }, async () => {
    const access = await s.token();
    const create = () =>
      fetch(`${small.url}/api/v1/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${access}` },
      });
    const statuses: number[] = [];
    for (let i = 0; i < 5 && !statuses.includes(500); i++) {
      const res = await create();
      statuses.push(res.status);
      await res.body?.cancel();
    }
    expect(statuses.at(-1)).toBe(500);
    await sleep(idleMs + 1000);
    const res = await create();
    expect(res.status).toBe(200);
    await res.body?.cancel();
  });
});

describe('seed 001: admin routes', () => {
  it('answers the admin routes only with the admin key: missing 401, wrong 401, never the connector list', async () => {
    for (const key of ['', secret()]) {
      const res = await m.admin('POST', '/admin/connectors', { host: 'x.example' }, key);
      expect(res.status).toBe(401);
      expect(await res.text()).not.toContain('ct_');
    }
  });

  it('configures a connector: host and handoff changed through PATCH take effect on the next request', async () => {
    const c = await m.connector({ host: 'old.example' });
    const patched = await m.admin('PATCH', `/admin/connectors/${c.id}`, {
      host: 'new.example',
      handoff_queue: 'tier-1',
    });
    expect(await patched.json()).toMatchObject({ host: 'new.example', handoff_queue: 'tier-1' });
    const moved = await m.post('/api/v1/access-token', { 'x-token': c.token, 'x-host': 'old.example' });
    expect(moved.kind === 'http' && moved.status).toBe(401);
    const { socket } = await m.open({ ...c, host: 'app.new.example' });
    socket.send({ type: 'EVENT_TYPE_REQUEST_HANDOFF' });
    expect(
      await socket.next((msg) => msg.type === 'EVENT_TYPE_HANDOFF_STARTED' || isError(msg)),
    ).toMatchObject({
      type: 'EVENT_TYPE_HANDOFF_STARTED',
    });
    socket.ws.close();
    expect((await m.admin('PATCH', '/admin/connectors/con_nope', { host: 'a.example' })).status).toBe(404);
    expect((await m.admin('PATCH', `/admin/connectors/${c.id}`, { key_id: 'k_nope' })).status).toBe(400);
  });

  it('retiring a signing key revokes the access tokens it signed', async () => {
    const made = (await (await m.admin('POST', '/admin/signing-keys')).json()) as { id: string };
    const c = await m.connector({ host: 'rotating.example', key_id: made.id });
    const { id, token } = await m.session(c);
    expect((await m.read(id, token)).status).toBe(200);
    expect((await m.admin('DELETE', `/admin/signing-keys/${made.id}`)).status).toBe(204);
    expect((await m.read(id, token)).status).toBe(401);
  });
});

describe('seed 001: safe to copy', () => {
  const forged = (payload: string) => `${Buffer.from(payload).toString('base64url')}.c2lnbmF0dXJl`;
  const payloads = ['null', '0', 'true', '"k1"', '[]', '{"kid":null,"con":null}', '{"kid":{}}'];

  it('answers 401 "Invalid access token", never 500, to a bearer token whose payload is JSON null or not an object', async () => {
    const before = main.log.length;
    for (const payload of payloads) {
      const created = await m.post('/api/v1/sessions', { authorization: `Bearer ${forged(payload)}` });
      expect({ payload, status: created.kind === 'http' && created.status }).toEqual({
        payload,
        status: 401,
      });
      await expectRow(contract, { channel: 'http', catalogCode: 'ACCESS_TOKEN_INVALID' } as never, created);
    }
    expect(main.log.slice(before).filter((line) => line.status >= 500)).toEqual([]);
  });

  it('refuses the WebSocket handshake 401 "authentication failed", never 500, for a token whose payload is JSON null', async () => {
    const { id } = await m.session();
    for (const payload of payloads) {
      const answer = await connect(m.wsUrl(`session_id=${id}&access_token=${forged(payload)}`));
      expect('ws' in answer, payload).toBe(false);
      if ('ws' in answer) continue;
      expect({ payload, status: answer.status }).toEqual({ payload, status: 401 });
      expect(JSON.parse(answer.body)).toEqual({ error: 'authentication failed' });
    }
  });

  it('authenticates before looking a session up: a garbage token gets the same 401 for an existing and an unknown id', async () => {
    const { id, token } = await m.session();
    const unknown = randomUUID();
    for (const bad of ['garbage', forged('null'), `${token.slice(0, -3)}abc`]) {
      const [existing, missing] = await Promise.all([m.read(id, bad), m.read(unknown, bad)]);
      expect([existing.status, missing.status]).toEqual([401, 401]);
      expect(existing.body).toBe(missing.body);
      const handshakes = await Promise.all(
        [id, unknown].map((sid) => connect(m.wsUrl(`session_id=${sid}&access_token=${bad}`))),
      );
      expect(handshakes.map((h) => ('ws' in h ? 'open' : h.status))).toEqual([401, 401]);
    }
  });

  it("answers another connector's session as an unknown one over HTTP, and 401 at the handshake as the page says", async () => {
    const { id } = await m.session();
    const other = await m.token(await m.connector({ host: 'tenant-b.example' }));
    const unknown = randomUUID();
    const [foreign, missing] = await Promise.all([m.read(id, other), m.read(unknown, other)]);
    expect([foreign.status, missing.status]).toEqual([404, 404]);
    expect(foreign.body).toBe(missing.body);
    // "authentication failed | 401 | The access_token is invalid, expired, or doesn't match the session".
    const handshakes = await Promise.all(
      [id, unknown].map((sid) => connect(m.wsUrl(`session_id=${sid}&access_token=${other}`))),
    );
    expect(handshakes.map((h) => ('ws' in h ? 'open' : h.status))).toEqual([401, 404]);
    const refused = handshakes[0]!;
    expect('body' in refused && refused.body).toContain('authentication failed');
  });

  it("spends a session's HTTP budget only on its authenticated owner: garbage tokens naming it cannot exhaust it", async () => {
    const { id, token } = await m.session();
    for (let i = 0; i < 8; i++) expect((await m.read(id, 'garbage')).status).toBe(401);
    const owner = await m.read(id, token);
    expect(owner.status, owner.body).toBe(200);
  });

  it('takes the Bearer scheme in any case, as HTTP authentication schemes are', async () => {
    const access = await m.token(await m.connector({ host: 'scheme.example' }));
    for (const scheme of ['bearer', 'BEARER']) {
      const created = await m.post('/api/v1/sessions', { authorization: `${scheme} ${access}` });
      expect(created.kind === 'http' && created.status).toBe(200);
    }
    const basic = await m.post('/api/v1/sessions', { authorization: `Basic ${access}` });
    expect(basic.kind === 'http' && basic.status).toBe(401);
  });

  it('stops a deleted connector: its token and the access tokens it got answer 401', async () => {
    const c = await m.connector({ host: 'gone.example' });
    const access = await m.token(c);
    expect((await m.admin('DELETE', `/admin/connectors/${c.id}`)).status).toBe(204);
    const again = await m.post('/api/v1/access-token', { 'x-token': c.token, 'x-host': c.host });
    expect(again.kind === 'http' && again.status).toBe(401);
    const created = await m.post('/api/v1/sessions', { authorization: `Bearer ${access}` });
    expect(created.kind === 'http' && created.status).toBe(401);
  });
});
