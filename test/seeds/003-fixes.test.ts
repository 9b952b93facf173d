/**
 * Seed 003 against what a probe of its page found: a command that takes no body, sent without one (no
 * `Content-Length`, as `curl -X POST` sends it), whatever its Content-Type; command bodies checked as
 * strictly as other routes' ("Invalid request body" for one that is not an object, or a `conference/join`
 * without a string `room_id`); and, on Redis, a room or session whose creation fails after its first
 * write, which must leave nothing behind its 500. In process, over HTTP (raw sockets where no client sends
 * the framing), on memory and on a real redis-server.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SeedOptions, start } from '../../examples/seeds/003/app.js';
import { type Backend, backendOf } from './003-server.js';
import { rawRequest } from './harness.js';

const newKey = () => randomBytes(24).toString('base64url');
const adminApiKey = newKey();
const appKey = newKey();
const invalidBody = { status: 400, body: { success: false, error: 'Invalid request body' } };

/** An in-process gateway with app `app-a`, on memory or on a fresh Redis. */
async function gatewayOn(kind: 'memory' | 'redis', options: SeedOptions = {}) {
  const backend: Backend = await backendOf(kind);
  const running = await start(0, {
    adminApiKey,
    commandCooldown: 10,
    log: () => {},
    ...options,
    ...backend.options,
  });
  const admin = await fetch(`${running.url}/admin/apps/app-a`, {
    method: 'POST',
    headers: { 'x-admin-api-key': adminApiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ api_key: appKey }),
  });
  expect(admin.status).toBe(200);
  /** A request of app-a with a raw JSON body: its status and parsed body. */
  const call = async (method: string, path: string, raw?: string) => {
    const res = await fetch(`${running.url}${path}`, {
      method,
      headers: {
        'x-app-id': 'app-a',
        'x-api-key': appKey,
        ...(raw === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(raw === undefined ? {} : { body: raw }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const session = async () => {
    const made = await call('POST', '/api/v1/sessions');
    expect(made.status).toBe(201);
    return String(made.body.uuid);
  };
  const room = (name: string) => call('POST', '/api/v1/conferences', JSON.stringify({ name }));
  /** A POST of app-a on a raw socket, with `head` (header lines) and no body: its status and body. */
  const bodyless = async (path: string, head: string) => {
    const answer = await rawRequest(
      running.port,
      `POST ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-App-ID: app-a\r\nX-API-Key: ${appKey}\r\n` +
        `${head}\r\n`,
    );
    const [top = '', text = ''] = answer.split('\r\n\r\n');
    return { status: Number(top.split(' ')[1]), body: JSON.parse(text) as unknown };
  };
  return {
    redis: backend.redis,
    call,
    session,
    room,
    bodyless,
    async stop() {
      await running.close();
      await backend.stop();
    },
  };
}
type Gateway = Awaited<ReturnType<typeof gatewayOn>>;

describe('seed 003: commands and their bodies', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await gatewayOn('memory');
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it.each([
    ['application/json', 'Content-Type: application/json\r\n'],
    ['text/plain', 'Content-Type: text/plain\r\n'],
    ['no type', ''],
  ])(
    'takes a command that needs no body sent without one (no Content-Length), with %s',
    async (_type, head) => {
      for (const command of ['conference/leave', 'answer', 'hangup']) {
        const uuid = await gateway.session();
        const answer = await gateway.bodyless(`/api/v1/sessions/${uuid}/commands/${command}`, head);
        expect({ command, status: answer.status }).toEqual({ command, status: 200 });
      }
    },
  );

  it('answers a command that needs fields, sent without a body, with its own 400', async () => {
    const uuid = await gateway.session();
    const answer = await gateway.bodyless(
      `/api/v1/sessions/${uuid}/commands/playback/start`,
      'Content-Type: application/json\r\n',
    );
    expect(answer).toEqual({ status: 400, body: { success: false, error: 'urls is required' } });
  });

  it('still reads a body sent to a command that needs none: a form-encoded one is 415', async () => {
    const uuid = await gateway.session();
    const answer = await gateway.bodyless(
      `/api/v1/sessions/${uuid}/commands/conference/leave`,
      'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\na=1',
    );
    expect(answer.status).toBe(415);
  });

  it('answers 400 "Invalid request body" to a command body that is not a JSON object', async () => {
    for (const raw of ['[1]', '[]', '"hello"', '1', 'true', 'null']) {
      const uuid = await gateway.session();
      const answer = await gateway.call('POST', `/api/v1/sessions/${uuid}/commands/answer`, raw);
      expect({ raw, ...answer }).toEqual({ raw, ...invalidBody });
    }
  });

  it('answers 400 "Invalid request body" to conference/join without a string room_id, 404 to an unknown one', async () => {
    for (const raw of ['{}', '{"room_id":5}', '{"room_id":null}', '{"room_id":["x"]}']) {
      const uuid = await gateway.session();
      const answer = await gateway.call('POST', `/api/v1/sessions/${uuid}/commands/conference/join`, raw);
      expect({ raw, ...answer }).toEqual({ raw, ...invalidBody });
    }
    const uuid = await gateway.session();
    const unknown = JSON.stringify({ room_id: '00000000-0000-4000-8000-000000000000' });
    expect(await gateway.call('POST', `/api/v1/sessions/${uuid}/commands/conference/join`, unknown)).toEqual({
      status: 404,
      body: { success: false, error: 'Room not found' },
    });
  });
});

describe('seed 003 on Redis: a creation that fails after its first write leaves nothing behind', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await gatewayOn('redis', { bounds: { maxRoomsPerApp: 2, maxSessionsPerApp: 2 } });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  /** Runs `during` while the gateway's Redis user may not run `command`, as an ACL would deny it. */
  async function denied<T>(command: string, during: () => Promise<T>): Promise<T> {
    await gateway.redis!.call('ACL', 'SETUSER', 'default', `-${command}`);
    try {
      return await during();
    } finally {
      await gateway.redis!.call('ACL', 'SETUSER', 'default', `+${command}`);
    }
  }

  it('frees the name of a room whose creation answered 500', async () => {
    const failed = await denied('zadd', () => gateway.room('retried'));
    expect(failed).toEqual({ status: 500, body: { success: false, error: 'Internal server error' } });
    const retried = await gateway.room('retried');
    expect(retried.status).toBe(201);
  });

  it('counts toward maxRoomsPerApp only the rooms it answered 201 for', async () => {
    const first = await gateway.room('first');
    expect(first.status).toBe(201);
    // The room is indexed, then a later step fails.
    expect((await denied('zremrangebyscore', () => gateway.room('failed'))).status).toBe(500);
    expect((await gateway.room('second')).status).toBe(201);
    // Were the failed room counted, `second` would push `first` out of the bound of two: destroyed.
    expect((await gateway.call('GET', `/api/v1/conferences/${first.body.room_id}`)).status).toBe(200);
  });

  it('counts toward maxSessionsPerApp only the sessions it answered 201 for', async () => {
    const first = await gateway.session();
    const failed = await denied('zremrangebyscore', () => gateway.call('POST', '/api/v1/sessions'));
    expect(failed).toEqual({ status: 500, body: { success: false, error: 'Internal server error' } });
    await gateway.session();
    expect((await gateway.call('GET', `/api/v1/sessions/${first}`)).status).toBe(200);
  });
});
