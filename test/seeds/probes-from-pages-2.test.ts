/**
 * A second round of probes an outside tester writes from the five public error pages alone: each page's
 * promise (quoted below as a fixture, never read from elsewhere) against the shipped seed server over
 * real HTTP, with the inputs the page implies but does not spell out (malformed paths, client-chosen
 * request ids, retried keys, bodies of the wrong shape).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, type SeedProcess, secret, startSeed } from './harness.js';
import { connect } from './ws.js';

/** The head and the JSON body of a raw HTTP/1.1 answer. */
function parseRaw(answer: string): { status: number; head: string; body: unknown } {
  const split = answer.indexOf('\r\n\r\n');
  return {
    status: Number(answer.split(' ')[1]),
    head: answer.slice(0, split),
    body: JSON.parse(answer.slice(split + 4)),
  };
}

describe('page 000: a malformed x-api-key is a 401, as the troubleshooting table says', () => {
  // Page 000, "Common patterns": 401 on every request | API key missing or malformed | Verify the
  // `x-api-key` header is present and correctly formatted. Its 400 is "The request body or query
  // parameters failed validation".
  const adminKey = secret();
  let seed: SeedProcess;

  beforeAll(async () => {
    seed = await startSeed('000', { SEED_000_ADMIN_KEY: adminKey }, { isolate: /^SEED_000_/ });
  }, 60_000);
  afterAll(() => seed?.stop());

  // On the wire, one line per header given: fetch would join a repeated header into one `a, b` line.
  const get = async (headers: [string, string][]) => {
    const lines = headers.map(([name, value]) => `${name}: ${value}\r\n`).join('');
    const raw = `GET /v1/projects/support-bot/conversations HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${lines}\r\n`;
    return parseRaw(await rawRequest(seed.port, raw));
  };

  it.each([
    [
      'the key sent twice',
      [
        ['x-api-key', 'KEY'],
        ['x-api-key', 'KEY'],
      ],
    ],
    ['two keys in one header', [['x-api-key', 'KEY, KEY']]],
    [
      'two wrong keys',
      [
        ['x-api-key', 'a'],
        ['x-api-key', 'b'],
      ],
    ],
  ] as [string, [string, string][]][])('answers %s 401 AUTH_USER_UNAUTHORISED', async (_, headers) => {
    const answer = await get(headers.map(([name, value]) => [name, value.replaceAll('KEY', adminKey)]));
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ success: false, error_code: 'AUTH_USER_UNAUTHORISED', data: null });
  });

  it('still admits the key sent once', async () => {
    expect((await get([['x-api-key', adminKey]])).status).toBe(200);
  });

  it('answers a chat handshake with the key sent twice 401, before it looks the chat up', async () => {
    const raw =
      'GET /v1/chat?project=support-bot&chat=nope HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n' +
      'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
      `x-api-key: ${adminKey}\r\nx-api-key: ${adminKey}\r\n\r\n`;
    const answer = parseRaw(await rawRequest(seed.port, raw));
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ success: false, error_code: 'AUTH_USER_UNAUTHORISED' });
  });
});

describe("page 002: every error is the page's nested envelope, a malformed path included", () => {
  // Page 002, "Error Format": { error: { message, statusCode, code, category, details } }.
  let seed: SeedProcess;

  beforeAll(async () => {
    seed = await startSeed('002', { OWNER_PASSWORD: secret() });
  }, 60_000);
  afterAll(() => seed?.stop());

  it.each(['/%ZZ', '/api/sdk/%E0%A4%A', '/api/%'])(
    "answers the malformed path %s 400 in the page's envelope, with a request id",
    async (path) => {
      const answer = parseRaw(
        await rawRequest(seed.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
      );
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: { statusCode: 400, category: 'VALIDATION' } });
      expect(Object.keys(answer.body as object)).toEqual(['error']);
      expect(answer.head).toMatch(/\r\nx-request-id: \S+/i);
    },
  );

  it('gives request ids that do not count the requests a server has seen', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${seed.url}/api/nope`);
      await res.body?.cancel();
      ids.push(res.headers.get('x-request-id') ?? '');
    }
    for (const id of ids) expect(id).not.toMatch(/^req-\d+$/);
    expect(new Set(ids).size).toBe(3);
  });
});

describe('page 004: a retried Idempotency-Key replays the call, and only placed calls spend the quota', () => {
  // Page 004: QUOTA_EXCEEDED is "The workspace, API key, or per-resource quota has been exhausted for the
  // current window"; IDEMPOTENCY_KEY_REUSED is a key "replayed with a different request body" (so the
  // same body replays).
  const owner = secret();
  let provider: Server;
  let placed = 0;
  let seed: SeedProcess;
  let token: string;
  let workspace: string;

  beforeAll(async () => {
    provider = createServer((req, res) => {
      req.resume().on('end', () => {
        placed++;
        res.writeHead(201).end('{}');
      });
    });
    await new Promise<void>((done) => provider.listen(0, '127.0.0.1', done));
    const { port } = provider.address() as { port: number };
    seed = await startSeed(
      '004',
      {
        OWNER_PASSWORD: owner,
        ADMIN_PASSWORD: secret(),
        PROVIDER_URL: `http://127.0.0.1:${port}`,
        PROVIDER_CREDENTIAL: secret(),
        CALL_QUOTA_ACTIVE_DAY: '2',
      },
      { isolate: /^(OWNER_|ADMIN_|PROVIDER_|CALL_|IP_RATE|MAIL_|GOOGLE_)/ },
    );
    workspace = /workspace (ws_\w+)/.exec(seed.stdout())![1]!;
    const login = await fetch(`${seed.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'owner@example.com', password: owner }),
    });
    token = ((await login.json()) as { token: string }).token;
  }, 60_000);
  afterAll(async () => {
    await seed?.stop();
    await new Promise((done) => provider?.close(done));
  });

  const dial = (key: string, to = '+14155550100') =>
    fetch(`${seed.url}/workspaces/${workspace}/calls`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'idempotency-key': key,
      },
      body: JSON.stringify({ from: '+14155550001', to, agent: 'agt_1' }),
    });

  it('replays one placed call to every retry, with a daily quota of 2 left unspent by them', async () => {
    const first = await dial('retry-me');
    expect(first.status).toBe(201);
    const placedBody = await first.text();
    for (let i = 0; i < 3; i++) {
      const again = await dial('retry-me');
      expect(again.status, await again.clone().text()).toBe(201);
      expect(await again.text()).toBe(placedBody);
    }
    expect(placed).toBe(1);
    // The quota holds two calls: the second distinct one is placed, the third is refused.
    expect((await dial('second', '+14155550101')).status).toBe(201);
    const third = await dial('third', '+14155550102');
    expect(third.status).toBe(429);
    expect(await third.json()).toMatchObject({ success: false, code: 'QUOTA_EXCEEDED' });
    expect(placed).toBe(2);
  });
});

describe('page 001: POST /api/v1/sessions answers a body it cannot use "Error parsing request"', () => {
  // Page 001, "Session creation errors": `Error parsing request` | 400 | Request body contains invalid JSON |
  // Send valid JSON (e.g. `{}` or `{"streaming_enabled": true}`). The body is optional.
  const demoToken = `ct_${randomBytes(16).toString('hex')}`;
  let seed: SeedProcess;
  let accessToken: string;

  beforeAll(async () => {
    seed = await startSeed('001', { ADMIN_API_KEY: secret(), DEMO_CONNECTOR_TOKEN: demoToken });
    const res = await fetch(`${seed.url}/api/v1/access-token`, {
      method: 'POST',
      headers: { 'x-token': demoToken, 'x-host': 'app.example.com' },
    });
    accessToken = ((await res.json()) as { access_token: string }).access_token;
  }, 60_000);
  afterAll(() => seed?.stop());

  const create = (body: string) =>
    fetch(`${seed.url}/api/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body,
    });

  it.each(['{"streaming_enabled":"yes"}', '{"streaming_enabled":1}', '[]', '"x"', '42'])(
    'answers %s 400 "Error parsing request", a message of the page',
    async (body) => {
      const res = await create(body);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: 'Error parsing request' });
    },
  );

  // Page 001, "HTTP errors": its statuses are 400, 401, 404, 429 and 500; a body it cannot read is "400 Bad
  // request — missing required headers or malformed body".
  it.each([
    ['text/plain', '{}'],
    ['application/x-www-form-urlencoded', '{}'],
    ['application/json; charset=latin1', '{}'],
  ])(
    'answers a body sent as %s 400 "Error parsing request", never a status off the page',
    async (type, body) => {
      const res = await fetch(`${seed.url}/api/v1/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': type },
        body,
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: 'Error parsing request' });
    },
  );

  it('still reads a body sent as application/json; charset=UTF-8', async () => {
    const res = await fetch(`${seed.url}/api/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json; charset=UTF-8' },
      body: '{"streaming_enabled":true}',
    });
    expect(res.ok).toBe(true);
  });

  // Page 001, "Invalid event errors": `Unknown event type or invalid message format` | JSON could not be
  // parsed, or event type is not recognised; "Your WebSocket connection remains open".
  it.each([
    ['a user message whose text is a number', { type: 'EVENT_TYPE_USER_MESSAGE', text: 5 }],
    ['a user message without text', { type: 'EVENT_TYPE_USER_MESSAGE' }],
    ['a handoff request whose metadata is a string', { type: 'EVENT_TYPE_REQUEST_HANDOFF', metadata: 'x' }],
  ])("answers %s with the page's invalid-event message, and stays open", async (_, event) => {
    const created = await create('{}');
    const { session_id } = (await created.json()) as { session_id: string };
    const socket = await connect(
      `${seed.wsUrl}/api/v1/ws?session_id=${session_id}&access_token=${accessToken}`,
    );
    if ('kind' in socket) throw new Error(`handshake refused: ${socket.status} ${socket.body}`);
    socket.send(event);
    const error = await socket.next((m) => m.type === 'EVENT_TYPE_SYSTEM_MESSAGE');
    expect(error.system_message).toEqual({
      level: 'SYSTEM_MESSAGE_LEVEL_ERROR',
      message: 'Unknown event type or invalid message format',
    });
    expect(socket.ws.readyState).toBe(socket.ws.OPEN);
    socket.ws.close();
  });

  // Page 001, "WebSocket connection errors": `invalid connection parameters` | 400, returned as an HTTP error
  // during the handshake; no other 400 text is on the page for it.
  it.each([
    ['no Sec-WebSocket-Key', 'Sec-WebSocket-Version: 13'],
    [
      'a version no server speaks',
      'Sec-WebSocket-Version: 99\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    ],
  ])('answers a handshake with %s 400 "invalid connection parameters"', async (_, headers) => {
    const created = await create('{}');
    const { session_id } = (await created.json()) as { session_id: string };
    const raw =
      `GET /api/v1/ws?session_id=${session_id}&access_token=${accessToken} HTTP/1.1\r\nHost: x\r\n` +
      `Connection: Upgrade\r\nUpgrade: websocket\r\n${headers}\r\n\r\n`;
    const answer = parseRaw(await rawRequest(seed.port, raw));
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: 'invalid connection parameters' });
  });

  it.each(['{}', '{"streaming_enabled":true}'])('still creates a session for %s', async (body) => {
    const res = await create(body);
    expect(res.ok).toBe(true);
    expect(await res.json()).toMatchObject({ session_id: expect.any(String) });
  });
});

describe("page 004: a request target or Host the server cannot read is answered in the page's envelope", () => {
  // Page 004: "The API returns errors in a stable, machine-readable envelope" { success, code, error, details }.
  let seed: SeedProcess;

  beforeAll(async () => {
    seed = await startSeed(
      '004',
      { OWNER_PASSWORD: secret(), ADMIN_PASSWORD: secret() },
      { isolate: /^(OWNER_|ADMIN_|PROVIDER_|CALL_|IP_RATE|MAIL_|GOOGLE_)/ },
    );
  }, 60_000);
  afterAll(() => seed?.stop());

  it.each([
    ['an HTTP/1.0 request without Host', 'GET / HTTP/1.0\r\n\r\n'],
    ['the asterisk target', 'GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
    ['a Host holding userinfo', 'GET / HTTP/1.1\r\nHost: a@b\r\nConnection: close\r\n\r\n'],
    ['a Host holding a space', 'GET /a HTTP/1.1\r\nHost: x y\r\nConnection: close\r\n\r\n'],
    ['an unclosed IPv6 Host', 'GET /x HTTP/1.1\r\nHost: [::1\r\nConnection: close\r\n\r\n'],
  ])('answers %s 400 BAD_REQUEST with a request id', async (_, raw) => {
    const answer = parseRaw(await rawRequest(seed.port, raw));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ success: false, code: 'BAD_REQUEST', error: expect.any(String) });
    expect(answer.head).toMatch(/\r\nx-request-id: \S+/i);
  });

  it('still serves a request with an ordinary Host', async () => {
    const answer = await rawRequest(seed.port, 'GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(parseRaw(answer)).toMatchObject({
      status: 404,
      body: { success: false, code: 'RESOURCE_NOT_FOUND' },
    });
  });
});
