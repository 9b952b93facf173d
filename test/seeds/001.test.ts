import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { errors, format } from '../../examples/reference/001.js';
import { start } from '../../examples/seeds/001/app.js';
import { event } from '../../examples/seeds/001/catalog.js';
import type { Connector } from '../../examples/seeds/001/domain.js';
import type { LogLine } from '../../examples/seeds/shared/run.js';
import { expectRow, type Observed, observe, type Probe, rowsOf, summary } from './harness.js';
import { asEvent, connect, type Socket } from './ws.js';

const log: LogLine[] = [];
let seed: Awaited<ReturnType<typeof start>>;
let upstream: Server;
let connector: Connector;
let handoffConnector: Connector;
const contract = { catalog: errors, format, event, correlationHeader: 'x-request-id' };

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
        const mode = seed.seed.messaging.records.has(body.session ?? '')
          ? agentModes.get(body.session!)
          : undefined;
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
        if (body.text === 'garbage') return res.end('{"delta": "Hel\nnot json\n');
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
const agentModes = new Map<string, string>();

async function token(c: Connector = connector): Promise<string> {
  const res = await fetch(`${seed.url}/api/v1/access-token`, {
    method: 'POST',
    headers: { 'x-token': c.token, 'x-host': `app.${c.host}` },
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}
async function session(c: Connector = connector): Promise<{ id: string; token: string }> {
  const access = await token(c);
  const res = await fetch(`${seed.url}/api/v1/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${access}` },
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return { id: ((await res.json()) as { session_id: string }).session_id, token: access };
}
const wsUrl = (query: string) => `${seed.url.replace('http', 'ws')}/api/v1/ws?${query}`;
async function open(c: Connector = connector): Promise<{ socket: Socket; id: string }> {
  const s = await session(c);
  const socket = await connect(wsUrl(`session_id=${s.id}&access_token=${s.token}`));
  if (!('ws' in socket)) throw new Error(`handshake refused: ${socket.status} ${socket.body}`);
  return { socket, id: s.id };
}
/** Sends `message` on a fresh session and returns the error event it answers. */
async function eventFor(
  message: unknown,
  prepare?: (id: string, socket: Socket) => Promise<void> | void,
): Promise<Observed> {
  const { socket, id } = await open();
  try {
    await prepare?.(id, socket);
    socket.send(message);
    return asEvent(await socket.next(isError));
  } finally {
    socket.ws.close();
  }
}
const join = async (socket: Socket) => {
  socket.send({ type: 'EVENT_TYPE_REQUEST_POLY_AGENT_JOIN' });
  await socket.next((m) => m.type === 'EVENT_TYPE_AGENT_JOINED' || isError(m));
};
const post = (path: string, headers: Record<string, string>, body?: string) =>
  observe(fetch(`${seed.url}${path}`, { method: 'POST', headers, ...(body === undefined ? {} : { body }) }));

const probes: Record<string, Probe> = {
  SESSION_RATE_LIMITED: async () => {
    const s = await session();
    let last: Observed | undefined;
    for (let i = 0; i < 4; i++)
      last = await observe(
        fetch(`${seed.url}/api/v1/sessions/${s.id}`, { headers: { authorization: `Bearer ${s.token}` } }),
      );
    return last!;
  },
  'status 400': async () =>
    post(
      '/api/v1/sessions',
      { authorization: `Bearer ${await token()}`, 'content-type': 'application/json' },
      '{"streaming_enabled":',
    ),
  'status 401': () => post('/api/v1/sessions', { authorization: 'Bearer expired.token' }),
  'status 404': async () => {
    const s = await session();
    seed.seed.messaging.records.delete(s.id);
    return observe(
      fetch(`${seed.url}/api/v1/sessions/${s.id}`, { headers: { authorization: `Bearer ${s.token}` } }),
    );
  },
  'status 429': async () => (await probes.SESSION_RATE_LIMITED!)(),
  'status 500': async () => (await probes.SESSION_CREATION_FAILED!)(),
  MISSING_AUTH_HEADERS: () => post('/api/v1/access-token', { 'x-token': 'ct_x' }),
  CONNECTOR_TOKEN_NOT_FOUND: () =>
    post('/api/v1/access-token', { 'x-token': 'ct_unknown', 'x-host': 'example.com' }),
  CONNECTOR_VALIDATION_FAILED: () =>
    post('/api/v1/access-token', { 'x-token': connector.token, 'x-host': 'evil-example.com' }),
  CONNECTOR_HOST_MISSING: () => {
    const bare = seed.seed.messaging.addConnector({ host: undefined });
    return post('/api/v1/access-token', { 'x-token': bare.token, 'x-host': 'example.com' });
  },
  ACCESS_TOKEN_CREATION_FAILED: () => {
    const rotated = seed.seed.messaging.addConnector({ host: 'example.com', keyId: 'k0-rotated-out' });
    return post('/api/v1/access-token', { 'x-token': rotated.token, 'x-host': 'example.com' });
  },
  ACCESS_TOKEN_MISSING: () => post('/api/v1/sessions', {}),
  ACCESS_TOKEN_INVALID: async () => {
    const access = await token();
    return post('/api/v1/sessions', { authorization: `Bearer ${access.slice(0, -3)}abc` });
  },
  REQUEST_PARSE_ERROR: async () =>
    post(
      '/api/v1/sessions',
      { authorization: `Bearer ${await token()}`, 'content-type': 'application/json' },
      '{streaming_enabled: true}',
    ),
  SESSION_CREATION_FAILED: async () => {
    const full = await start(0, { log: () => {}, maxSessions: 0 });
    try {
      const c = full.seed.messaging.addConnector({ host: 'example.com' });
      const issued = full.seed.messaging.accessToken(c.token, 'example.com').access_token;
      return await observe(
        fetch(`${full.url}/api/v1/sessions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${issued}` },
        }),
      );
    } finally {
      await full.close();
    }
  },
  WS_SESSION_NOT_FOUND: async () =>
    (await connect(
      wsUrl(`session_id=00000000-0000-4000-8000-000000000000&access_token=${await token()}`),
    )) as Observed,
  WS_AUTHENTICATION_FAILED: async () => {
    const s = await session();
    return (await connect(wsUrl(`session_id=${s.id}&access_token=${s.token.slice(0, -3)}abc`))) as Observed;
  },
  WS_CONNECTION_LIMIT_EXCEEDED: async () => {
    const s = await session();
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        const socket = await connect(wsUrl(`session_id=${s.id}&access_token=${s.token}`));
        expect('ws' in socket, `connection ${i + 1} of 10`).toBe(true);
        sockets.push(socket as Socket);
      }
      return (await connect(wsUrl(`session_id=${s.id}&access_token=${s.token}`))) as Observed;
    } finally {
      for (const socket of sockets) socket.ws.close();
    }
  },
  WS_INVALID_CONNECTION_PARAMETERS: async () => (await connect(wsUrl('session_id=abc'))) as Observed,
  INVALID_EVENT: () => eventFor('{"type": "EVENT_TYPE_USER_MESSAGE", "text": '),
  EVENT_TYPE_NOT_ALLOWED: () => eventFor({ type: 'EVENT_TYPE_AGENT_MESSAGE', delta: 'spoofed' }),
  AGENT_HIGH_LOAD: () =>
    eventFor({ type: 'EVENT_TYPE_REQUEST_POLY_AGENT_JOIN' }, (id) => void agentModes.set(id, 'overloaded')),
  AGENT_START_FAILED: () =>
    eventFor({ type: 'EVENT_TYPE_REQUEST_POLY_AGENT_JOIN' }, (id) => void agentModes.set(id, 'failing')),
  AGENT_RESPONSE_FAILED: () =>
    eventFor({ type: 'EVENT_TYPE_USER_MESSAGE', text: 'fail' }, (_id, socket) => join(socket)),
  AGENT_STREAM_FAILED: () =>
    eventFor({ type: 'EVENT_TYPE_USER_MESSAGE', text: 'break' }, (_id, socket) => join(socket)),
  SESSION_STATE_NOT_FOUND: () =>
    eventFor(
      { type: 'EVENT_TYPE_USER_MESSAGE', text: 'hi' },
      (id) => void seed.seed.messaging.records.delete(id),
    ),
  SESSION_RETRIEVAL_FAILED: () =>
    eventFor(
      { type: 'EVENT_TYPE_USER_MESSAGE', text: 'hi' },
      (id) => void seed.seed.messaging.records.set(id, '{"id":'),
    ),
  CONNECTOR_NOT_FOUND: async () => {
    const doomed = seed.seed.messaging.addConnector({ host: 'doomed.example' });
    const { socket } = await open(doomed);
    try {
      seed.seed.messaging.connectors.delete(doomed.id);
      socket.send({ type: 'EVENT_TYPE_REQUEST_POLY_AGENT_JOIN' });
      return asEvent(await socket.next(isError));
    } finally {
      socket.ws.close();
    }
  },
  CONVERSATION_NOT_FOUND: () => eventFor({ type: 'EVENT_TYPE_USER_MESSAGE', text: 'hello' }),
  CONVERSATION_ID_MISSING: () =>
    eventFor({ type: 'EVENT_TYPE_USER_MESSAGE', text: 'hello' }, async (id, socket) => {
      agentModes.set(id, 'no-id');
      await join(socket);
    }),
  HANDOFF_CONNECT_FAILED: async () => {
    const broken = seed.seed.messaging.addConnector({ host: 'broken.example', handoff: { queue: 'broken' } });
    const { socket } = await open(broken);
    try {
      socket.send({ type: 'EVENT_TYPE_REQUEST_HANDOFF' });
      return asEvent(await socket.next(isError));
    } finally {
      socket.ws.close();
    }
  },
  HANDOFF_FORWARD_FAILED: async () => {
    const { socket } = await open(handoffConnector);
    try {
      socket.send({ type: 'EVENT_TYPE_REQUEST_HANDOFF' });
      await socket.next((m) => m.type === 'EVENT_TYPE_HANDOFF_STARTED');
      socket.send({ type: 'EVENT_TYPE_USER_MESSAGE', text: 'fail' });
      return asEvent(await socket.next(isError));
    } finally {
      socket.ws.close();
    }
  },
  HANDOFF_INITIATION_FAILED: () => eventFor({ type: 'EVENT_TYPE_REQUEST_HANDOFF' }),
};

const unreachable: Record<string, string> = {};

beforeAll(async () => {
  upstream = upstreamServer();
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
  seed = await start(0, {
    log: (line) => log.push(line),
    agentUrl: `${base}/agent`,
    handoffUrl: `${base}/handoff`,
    sessionRate: 3,
  });
  connector = seed.seed.messaging.addConnector({ host: 'example.com' });
  handoffConnector = seed.seed.messaging.addConnector({
    host: 'support.example',
    handoff: { queue: 'tier-1' },
  });
});

afterAll(async () => {
  await seed?.close();
  upstream?.close();
});

describe('seed 001: the messaging API on node:http with WebSocket', () => {
  const rows = rowsOf('001');
  const reached = new Set<string>();
  for (const { key, row } of rows) {
    if (key in unreachable) continue;
    it(`answers ${key} (${row.channel}) as the page documents`, async () => {
      const probe = probes[key];
      expect(probe, `no probe for ${key}`).toBeDefined();
      expectRow(contract, row, await probe!());
      reached.add(key);
    });
  }

  it('keeps the connection open after an invalid event, and echoes the metadata sent', async () => {
    const { socket } = await open();
    socket.send({ type: 'EVENT_TYPE_NOPE', metadata: { custom: { ticket: 'T-9' } } });
    const error = await socket.next(isError);
    expect(error.system_message.message).toBe('Unknown event type or invalid message format');
    expect(error.metadata).toEqual({ custom: { ticket: 'T-9' } });
    socket.send({ type: 'EVENT_TYPE_REQUEST_POLY_AGENT_JOIN' });
    expect(await socket.next((m) => m.type === 'EVENT_TYPE_AGENT_JOINED')).toMatchObject({
      conversation_id: expect.any(String),
    });
    socket.send({ type: 'EVENT_TYPE_USER_MESSAGE', text: 'hi' });
    expect(await socket.next((m) => m.type === 'EVENT_TYPE_AGENT_MESSAGE')).toMatchObject({ delta: 'Hello' });
    socket.ws.close();
  });

  it('sends EVENT_TYPE_SESSION_END after a terminal error', async () => {
    const { socket, id } = await open();
    seed.seed.messaging.records.delete(id);
    socket.send({ type: 'EVENT_TYPE_USER_MESSAGE', text: 'hi' });
    await socket.next(isError);
    expect(await socket.next((m) => m.type === 'EVENT_TYPE_SESSION_END')).toEqual({
      type: 'EVENT_TYPE_SESSION_END',
    });
    socket.ws.close();
  });

  it('drops messages over the rate without closing the connection', async () => {
    const { socket } = await open();
    for (let i = 0; i < 40; i++) socket.send({ type: 'EVENT_TYPE_NOPE', id: String(i) });
    // Every answered message is an error event; the ones over 10 per second are dropped, silently.
    await socket.next(isError);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const answered = socket.messages.filter(isError as (m: unknown) => boolean).length;
    expect(answered).toBeGreaterThanOrEqual(1);
    expect(answered).toBeLessThan(40);
    expect(socket.ws.readyState).toBe(socket.ws.OPEN);
    socket.ws.close();
  });

  it('accepts an invalid cursor and replays from 0 instead of refusing', async () => {
    const s = await session();
    const socket = await connect(wsUrl(`session_id=${s.id}&access_token=${s.token}&cursor=abc`));
    expect('ws' in socket).toBe(true);
    (socket as Socket).ws.close();
  });

  it('reports reachable/total', () => {
    console.log(summary('001', reached, unreachable));
    expect(reached.size + Object.keys(unreachable).length).toBe(rows.length);
  });
});

describe('seed 001: safe to copy', () => {
  /** `GET /api/v1/sessions/:id` with `Authorization: Bearer <bearer>`: its status and body. */
  const read = async (id: string, bearer: string) => {
    const res = await fetch(`${seed.url}/api/v1/sessions/${id}`, {
      headers: { authorization: `Bearer ${bearer}` },
    });
    return { status: res.status, body: await res.text() };
  };
  const forged = (payload: string) => `${Buffer.from(payload).toString('base64url')}.c2lnbmF0dXJl`;
  const payloads = ['null', '0', 'true', '"k1"', '[]', '{"kid":null,"con":null}', '{"kid":{}}'];

  it('answers 401 "Invalid access token", never 500, to a bearer token whose payload is JSON null or not an object', async () => {
    const before = log.length;
    for (const payload of payloads) {
      const created = await post('/api/v1/sessions', { authorization: `Bearer ${forged(payload)}` });
      expect({ payload, status: created.kind === 'http' && created.status }).toEqual({
        payload,
        status: 401,
      });
      expectRow(contract, { channel: 'http', catalogCode: 'ACCESS_TOKEN_INVALID' } as never, created);
    }
    expect(log.slice(before).filter((line) => line.status >= 500)).toEqual([]);
  });

  it('refuses the WebSocket handshake 401 "authentication failed", never 500, for a token whose payload is JSON null', async () => {
    const s = await session();
    for (const payload of payloads) {
      const answer = await connect(wsUrl(`session_id=${s.id}&access_token=${forged(payload)}`));
      expect('ws' in answer, payload).toBe(false);
      if ('ws' in answer) continue;
      expect({ payload, status: answer.status }).toEqual({ payload, status: 401 });
      expect(JSON.parse(answer.body)).toEqual({ error: 'authentication failed' });
    }
  });

  it('authenticates before looking a session up: a garbage token gets the same 401 for an existing and an unknown id', async () => {
    const s = await session();
    const unknown = randomUUID();
    for (const bad of ['garbage', forged('null'), `${s.token.slice(0, -3)}abc`]) {
      const [existing, missing] = await Promise.all([read(s.id, bad), read(unknown, bad)]);
      expect([existing.status, missing.status]).toEqual([401, 401]);
      expect(existing.body).toBe(missing.body);
      const handshakes = await Promise.all(
        [s.id, unknown].map((id) => connect(wsUrl(`session_id=${id}&access_token=${bad}`))),
      );
      expect(handshakes.map((h) => ('ws' in h ? 'open' : h.status))).toEqual([401, 401]);
    }
  });

  it("answers another connector's session exactly as an unknown one, over HTTP and at the handshake", async () => {
    const s = await session();
    const other = await token(seed.seed.messaging.addConnector({ host: 'tenant-b.example' }));
    const unknown = randomUUID();
    const [foreign, missing] = await Promise.all([read(s.id, other), read(unknown, other)]);
    expect([foreign.status, missing.status]).toEqual([404, 404]);
    expect(foreign.body).toBe(missing.body);
    const handshakes = await Promise.all(
      [s.id, unknown].map((id) => connect(wsUrl(`session_id=${id}&access_token=${other}`))),
    );
    expect(handshakes.map((h) => ('ws' in h ? 'open' : h.status))).toEqual([404, 404]);
  });

  it("spends a session's HTTP budget only on its authenticated owner: garbage tokens naming it cannot exhaust it", async () => {
    const s = await session();
    for (let i = 0; i < 8; i++) expect((await read(s.id, 'garbage')).status).toBe(401);
    const owner = await read(s.id, s.token);
    expect(owner.status, owner.body).toBe(200);
  });
});

describe("seed 001: the page's prose", () => {
  /** A seed on a clock the test moves, with its own connector; tokens are minted at the moved time. */
  async function onClock() {
    let at = Date.UTC(2026, 0, 1);
    const lines: LogLine[] = [];
    const running = await start(0, { clock: { now: () => at }, log: (line) => lines.push(line) });
    const c = running.seed.messaging.addConnector({ host: 'example.com' });
    const mint = async () => {
      const res = await fetch(`${running.url}/api/v1/access-token`, {
        method: 'POST',
        headers: { 'x-token': c.token, 'x-host': 'example.com' },
      });
      return ((await res.json()) as { access_token: string }).access_token;
    };
    return {
      running,
      lines,
      mint,
      advance: (ms: number) => {
        at += ms;
      },
    };
  }

  it('expires a session after 10 minutes without activity; activity keeps it alive', async () => {
    const { running, mint, advance } = await onClock();
    try {
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
      advance(9 * 60_000);
      expect(await read()).toBe(200);
      advance(9 * 60_000);
      expect(await read()).toBe(200);
      advance(10 * 60_000 + 1);
      expect(await read()).toBe(404);
      const handshake = await connect(
        `${running.url.replace('http', 'ws')}/api/v1/ws?session_id=${session_id}&access_token=${await mint()}`,
      );
      expect('ws' in handshake ? 'open' : handshake.status).toBe(404);
    } finally {
      await running.close();
    }
  });

  it('replays the events after the cursor on a reconnect, and everything from an invalid cursor', async () => {
    const { socket, id } = await open();
    const s = { id, token: await token() };
    socket.send({ type: 'EVENT_TYPE_REQUEST_POLY_AGENT_JOIN' });
    const joined = await socket.next((m) => m.type === 'EVENT_TYPE_AGENT_JOINED');
    socket.send({ type: 'EVENT_TYPE_USER_MESSAGE', text: 'hi' });
    await socket.next((m) => m.type === 'EVENT_TYPE_AGENT_MESSAGE' && m.delta === ' there');
    socket.ws.close();
    expect(joined.cursor).toEqual(expect.any(Number));

    const again = await connect(wsUrl(`session_id=${s.id}&access_token=${s.token}&cursor=${joined.cursor}`));
    if (!('ws' in again)) throw new Error(`refused: ${again.status}`);
    const replayed = [await again.next(), await again.next(), await again.next()];
    expect(replayed.map((m) => [m.type, m.text ?? m.delta])).toEqual([
      ['EVENT_TYPE_USER_MESSAGE', 'hi'],
      ['EVENT_TYPE_AGENT_MESSAGE', 'Hello'],
      ['EVENT_TYPE_AGENT_MESSAGE', ' there'],
    ]);
    expect(replayed.every((m) => m.cursor > joined.cursor)).toBe(true);
    again.ws.close();

    const all = await connect(wsUrl(`session_id=${s.id}&access_token=${s.token}&cursor=abc`));
    if (!('ws' in all)) throw new Error(`refused: ${all.status}`);
    expect(await all.next()).toMatchObject({ type: 'EVENT_TYPE_AGENT_JOINED', cursor: joined.cursor });
    all.ws.close();
  });

  it('ends the session on EVENT_TYPE_END_SESSION: every socket of it closes, and a reconnect is refused 404', async () => {
    const s = await session();
    const url = wsUrl(`session_id=${s.id}&access_token=${s.token}`);
    const [a, b] = (await Promise.all([connect(url), connect(url)])) as Socket[];
    a!.send({ type: 'EVENT_TYPE_END_SESSION' });
    for (const socket of [a!, b!]) {
      expect(await socket.next((m) => m.type === 'EVENT_TYPE_SESSION_END')).toMatchObject({
        type: 'EVENT_TYPE_SESSION_END',
      });
      expect(await socket.closed()).toBe(1000);
    }
    const refused = await connect(url);
    expect('ws' in refused ? 'open' : refused.status).toBe(404);
    const read = await fetch(`${seed.url}/api/v1/sessions/${s.id}`, {
      headers: { authorization: `Bearer ${s.token}` },
    });
    expect(read.status).toBe(404);
  });

  it('logs an invalid cursor as a warning by default, without the access token', async () => {
    const running = await start(0);
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const c = running.seed.messaging.addConnector({ host: 'example.com' });
      const access = running.seed.messaging.accessToken(c.token, 'example.com').access_token;
      const created = await fetch(`${running.url}/api/v1/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${access}` },
      });
      const { session_id } = (await created.json()) as { session_id: string };
      const socket = await connect(
        `${running.url.replace('http', 'ws')}/api/v1/ws?session_id=${session_id}&access_token=${access}&cursor=abc`,
      );
      expect('ws' in socket).toBe(true);
      if ('ws' in socket) socket.ws.close();
    } finally {
      spy.mockRestore();
      await running.close();
    }
    const warnings = written
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('INVALID_CURSOR'))
      .map((line) => JSON.parse(line) as LogLine);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 'warn', code: 'INVALID_CURSOR' });
    expect(warnings[0]!.url).toContain('access_token=%5Bredacted%5D');
    expect(written.join('')).not.toContain('access_token=ey');
  });

  it('never writes an access token into a log line, for a refused handshake either', async () => {
    const s = await session();
    const before = log.length;
    const refused = await connect(wsUrl(`session_id=${randomUUID()}&access_token=${s.token}`));
    expect('ws' in refused ? 'open' : refused.status).toBe(404);
    const lines = log.slice(before);
    expect(lines.length).toBeGreaterThan(0);
    expect(JSON.stringify(lines)).not.toContain(s.token);
  });
});
