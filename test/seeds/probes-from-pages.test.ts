/**
 * Probes a third party could write from the five public error pages alone (docs/seeds/00N.md as found in
 * the reference set): each promise a page makes, tried against the shipped seed server over real HTTP and
 * WebSocket, with the hostile input the page does not mention (duplicated headers, binary frames).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, type SeedProcess, secret, startSeed } from './harness.js';
import { connect, type Socket } from './ws.js';

describe("page 001: invalid events are answered with the page's message, and the connection stays open", () => {
  const adminKey = secret();
  const demoToken = `ct_${randomBytes(16).toString('hex')}`;
  let seed: SeedProcess;

  beforeAll(async () => {
    seed = await startSeed('001', { ADMIN_API_KEY: adminKey, DEMO_CONNECTOR_TOKEN: demoToken });
  }, 60_000);
  afterAll(() => seed?.stop());

  async function open(): Promise<Socket> {
    const token = await fetch(`${seed.url}/api/v1/access-token`, {
      method: 'POST',
      headers: { 'x-token': demoToken, 'x-host': 'app.example.com' },
    });
    const { access_token } = (await token.json()) as { access_token: string };
    const session = await fetch(`${seed.url}/api/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${access_token}` },
    });
    const { session_id } = (await session.json()) as { session_id: string };
    const socket = await connect(
      `${seed.wsUrl}/api/v1/ws?session_id=${session_id}&access_token=${access_token}`,
    );
    if ('kind' in socket) throw new Error(`handshake refused: ${socket.status} ${socket.body}`);
    return socket;
  }
  const isError = (m: { type?: string; system_message?: { level?: string } }) =>
    m.type === 'EVENT_TYPE_SYSTEM_MESSAGE' && m.system_message?.level === 'SYSTEM_MESSAGE_LEVEL_ERROR';

  it('answers a binary frame "Unknown event type or invalid message format", never a message off the page', async () => {
    const socket = await open();
    socket.ws.send(Buffer.from([0xff, 0xfe, 0x00]), { binary: true });
    const error = await socket.next(isError);
    expect(error.system_message.message).toBe('Unknown event type or invalid message format');
    socket.send({ type: 'EVENT_TYPE_NOPE' });
    expect((await socket.next(isError)).system_message.message).toBe(
      'Unknown event type or invalid message format',
    );
    expect(socket.ws.readyState).toBe(socket.ws.OPEN);
    socket.ws.close();
  });

  it("answers a malformed request line 400 in the page's `{ error }` envelope, with a correlation id", async () => {
    const answer = await rawRequest(seed.port, 'GET /\u0001 HTTP/1.1\r\nHost: x\r\n\r\n');
    const [head, body] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(head).toMatch(/\r\nx-request-id: \S+/i);
    expect(Object.keys(JSON.parse(body ?? ''))).toEqual(['error']);
  });

  it('answers a text frame over the soft size limit with a message of the page, and stays open', async () => {
    const socket = await open();
    socket.send(JSON.stringify({ type: 'EVENT_TYPE_USER_MESSAGE', text: 'x'.repeat(100_000) }));
    const error = await socket.next(isError);
    expect(error.system_message.message).toBe('Unknown event type or invalid message format');
    expect(socket.ws.readyState).toBe(socket.ws.OPEN);
    socket.ws.close();
  });
});

describe('page 003: a duplicated key header is refused as a key problem, never as "Invalid X-App-ID format"', () => {
  const adminKey = secret();
  const demoKey = secret();
  let seed: SeedProcess;

  beforeAll(async () => {
    seed = await startSeed(
      '003',
      { ADMIN_API_KEY: adminKey, DEMO_API_KEY: demoKey },
      { isolate: /^(ADMIN_API_KEY|DEMO_API_KEY|REDIS_URL|RECORDING_ENABLED)$/ },
    );
  }, 60_000);
  afterAll(() => seed?.stop());

  // On the wire, one line per header given: fetch would join a repeated header into one `a, b` line.
  const post = async (path: string, headers: [string, string][]) => {
    const lines = headers.map(([name, value]) => `${name}: ${value}\r\n`).join('');
    const raw = `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n${lines}\r\n`;
    const answer = await rawRequest(seed.port, raw);
    const split = answer.indexOf('\r\n\r\n');
    return { status: Number(answer.split(' ')[1]), body: JSON.parse(answer.slice(split + 4)) };
  };

  it('answers X-API-Key sent twice 401 "Invalid API key"', async () => {
    const answer = await post('/api/v1/sessions', [
      ['x-app-id', 'demo-app'],
      ['x-api-key', demoKey],
      ['x-api-key', demoKey],
    ]);
    expect(answer).toEqual({ status: 401, body: { success: false, error: 'Invalid API key' } });
  });

  it('answers X-API-Key holding two keys 401 "Invalid API key"', async () => {
    const answer = await post('/api/v1/sessions', [
      ['x-app-id', 'demo-app'],
      ['x-api-key', `${demoKey}, ${demoKey}`],
    ]);
    expect(answer).toEqual({ status: 401, body: { success: false, error: 'Invalid API key' } });
  });

  it('answers X-Admin-API-Key sent twice 401 "Invalid admin API key"', async () => {
    const answer = await post('/admin/apps/other-app', [
      ['x-admin-api-key', adminKey],
      ['x-admin-api-key', adminKey],
    ]);
    expect(answer).toEqual({ status: 401, body: { success: false, error: 'Invalid admin API key' } });
  });

  it('still answers X-App-ID sent twice 400 "Invalid X-App-ID format"', async () => {
    const answer = await post('/api/v1/sessions', [
      ['x-app-id', 'demo-app'],
      ['x-app-id', 'other-app'],
      ['x-api-key', demoKey],
    ]);
    expect(answer).toEqual({ status: 400, body: { success: false, error: 'Invalid X-App-ID format' } });
  });
});

describe('page 002: SDK routes authenticate before they read the body', () => {
  let seed: SeedProcess;

  beforeAll(async () => {
    seed = await startSeed('002', { OWNER_PASSWORD: secret() });
  }, 60_000);
  afterAll(() => seed?.stop());

  it.each([
    ['malformed JSON', 'application/json', '{"events":['],
    ['a body that is not JSON', 'text/plain', 'events'],
  ])(
    'answers %s without an API key 401 AUTH_FAILED, as the page says of SDK routes',
    async (_, type, body) => {
      const res = await fetch(`${seed.url}/api/sdk/events`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({
        error: { code: 'AUTH_FAILED', statusCode: 401, category: 'AUTH' },
      });
    },
  );
});
