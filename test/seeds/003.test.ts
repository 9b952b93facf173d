import { ioredisSend } from 'faultline/stores';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors, format } from '../../examples/reference/003.js';
import { type SeedOptions, start } from '../../examples/seeds/003/app.js';
import type { LogLine } from '../../examples/seeds/shared/run.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { expectRow, type Observed, observe, type Probe, rowsOf, summary } from './harness.js';

const contract = { catalog: errors, format, correlationHeader: 'x-request-id' };
const adminApiKey = 'admin-key-0123456789abcdef';

type Gateway = Awaited<ReturnType<typeof start>>;

interface Init {
  app?: string | null;
  key?: string | null;
  admin?: string;
  body?: unknown;
  raw?: string | Buffer;
  type?: string;
}

function client(gateway: () => Gateway) {
  const request = (method: string, path: string, init: Init = {}): Promise<Response> => {
    const headers: Record<string, string> = {};
    if (init.app !== null) headers['x-app-id'] = init.app ?? 'app-a';
    if (init.key !== null) headers['x-api-key'] = init.key ?? 'key-of-app-a-0123456789';
    if (init.admin) headers['x-admin-api-key'] = init.admin;
    let body: string | Buffer | undefined;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['content-type'] = 'application/json';
    }
    if (init.raw !== undefined) {
      body = init.raw;
      if (init.type) headers['content-type'] = init.type;
    }
    return fetch(`${gateway().url}${path}`, { method, headers, body: body as BodyInit | undefined });
  };
  const call = (method: string, path: string, init?: Init): Promise<Observed> =>
    observe(request(method, path, init));
  const session = async (app = 'app-a', key = 'key-of-app-a-0123456789'): Promise<string> => {
    const res = await request('POST', '/api/v1/sessions', { app, key });
    expect(res.status, await res.clone().text()).toBe(201);
    return ((await res.json()) as { uuid: string }).uuid;
  };
  return { request, call, session };
}

async function configure(gateway: Gateway, app: string, key: string, rateLimit = 600): Promise<void> {
  const res = await fetch(`${gateway.url}/admin/apps/${app}`, {
    method: 'POST',
    headers: { 'x-admin-api-key': adminApiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ api_key: key, rate_limit: rateLimit }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

/** A gateway on a Redis that then dies: its answers while Redis is down. */
async function withDeadRedis(run: (c: ReturnType<typeof client>) => Promise<Observed>): Promise<Observed> {
  const redis = await startRedis();
  const connection = new Redis(redis.url, {
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => 200,
  });
  connection.on('error', () => {});
  await new Promise((resolve) => connection.once('ready', resolve));
  const gateway = await start(0, { adminApiKey, redis: ioredisSend(connection), log: () => {} });
  try {
    await configure(gateway, 'app-a', 'key-of-app-a-0123456789');
    await redis.kill();
    return await run(client(() => gateway));
  } finally {
    await gateway.close();
    connection.disconnect();
    await redis.stop().catch(() => {});
  }
}

function probesFor(gateway: () => Gateway, log: LogLine[]): Record<string, Probe> {
  const { call, session, request } = client(gateway);
  return {
    MISSING_APP_ID: () => call('GET', '/api/v1/sessions/x', { app: null }),
    INVALID_APP_ID: () => call('GET', '/api/v1/sessions/x', { app: 'app id with spaces' }),
    INVALID_REQUEST_BODY: async () =>
      call('POST', `/api/v1/sessions/${await session()}/commands/playback/start`, {
        raw: '{"urls": [',
        type: 'application/json',
      }),
    INVALID_COMMAND: async () =>
      call('POST', `/api/v1/sessions/${await session()}/commands/teleport`, { body: {} }),
    URLS_REQUIRED: async () =>
      call('POST', `/api/v1/sessions/${await session()}/commands/playback/start`, { body: { urls: [] } }),
    INVALID_COMMAND_UID: async () =>
      call('POST', `/api/v1/sessions/${await session()}/commands/answer`, {
        body: { command_uid: 'uid with spaces!' },
      }),
    MISSING_API_KEY: () => call('GET', '/api/v1/sessions/x', { key: null }),
    INVALID_API_KEY: () => call('GET', '/api/v1/sessions/x', { key: 'not-the-key-of-app-a' }),
    MISSING_ADMIN_API_KEY: () => call('POST', '/admin/apps/app-z', { body: { api_key: 'x'.repeat(20) } }),
    INVALID_ADMIN_API_KEY: () =>
      call('POST', '/admin/apps/app-z', { admin: 'wrong-admin-key', body: { api_key: 'x'.repeat(20) } }),
    SESSION_FORBIDDEN: async () =>
      call('GET', `/api/v1/sessions/${await session('app-b', 'key-of-app-b-0123456789')}`),
    ROOM_FORBIDDEN: async () => {
      const res = await request('POST', '/api/v1/conferences', {
        app: 'app-b',
        key: 'key-of-app-b-0123456789',
        body: { name: 'standup' },
      });
      const { room_id } = (await res.json()) as { room_id: string };
      return call('GET', `/api/v1/conferences/${room_id}`);
    },
    SESSION_NOT_FOUND: () => call('GET', '/api/v1/sessions/00000000-0000-4000-8000-000000000000'),
    ROOM_NOT_FOUND: () => call('POST', '/api/v1/conferences/00000000-0000-4000-8000-000000000000/stop'),
    CONFERENCE_NAME_TAKEN: async () => {
      await request('POST', '/api/v1/conferences', { body: { name: 'sales' } });
      return call('POST', '/api/v1/conferences', { body: { name: 'sales' } });
    },
    SESSION_IN_OTHER_ROOM: async () => {
      const uuid = await session();
      const rooms: string[] = [];
      for (const name of ['room-1', 'room-2']) {
        const res = await request('POST', '/api/v1/conferences', { body: { name } });
        rooms.push(((await res.json()) as { room_id: string }).room_id);
      }
      await request('POST', `/api/v1/sessions/${uuid}/commands/conference/join`, {
        body: { room_id: rooms[0] },
      });
      // A second join inside the cooldown of the conference group would be refused first: wait it out.
      await new Promise((resolve) => setTimeout(resolve, 120));
      return call('POST', `/api/v1/sessions/${uuid}/commands/conference/join`, {
        body: { room_id: rooms[1] },
      });
    },
    MUTE_STATE_UNCHANGED: async () => {
      const uuid = await session();
      await request('POST', `/api/v1/sessions/${uuid}/commands/mute`, { body: {} });
      await new Promise((resolve) => setTimeout(resolve, 120));
      return call('POST', `/api/v1/sessions/${uuid}/commands/mute`, { body: {} });
    },
    BODY_TOO_LARGE: async () =>
      call('POST', `/api/v1/sessions/${await session()}/commands/playback/start`, {
        body: { urls: ['https://example.com/a.wav'], note: 'x'.repeat(65 * 1024) },
      }),
    UNSUPPORTED_MEDIA_TYPE: async () =>
      call('POST', `/api/v1/sessions/${await session()}/commands/answer`, {
        raw: 'command_uid=1',
        type: 'application/x-www-form-urlencoded',
      }),
    RATE_LIMITED: async () => {
      let last: Observed | undefined;
      for (let i = 0; i < 4; i++)
        last = await call('GET', '/api/v1/sessions/x', {
          app: 'app-slow',
          key: 'key-of-app-slow-0123456789',
        });
      return last!;
    },
    COMMAND_RATE_LIMITED: async () => {
      const uuid = await session();
      await request('POST', `/api/v1/sessions/${uuid}/commands/playback/start`, {
        body: { urls: ['https://example.com/a.wav'] },
      });
      return call('POST', `/api/v1/sessions/${uuid}/commands/playback/stop`, { body: {} });
    },
    API_KEY_LOOKUP_FAILED: () => withDeadRedis(({ call: callDead }) => callDead('GET', '/api/v1/sessions/x')),
    INTERNAL_ERROR: () =>
      withDeadRedis(async ({ call: callDead }) => {
        // Storing an app's configuration on a dead Redis fails unexpectedly: the generic 500.
        return callDead('POST', '/admin/apps/app-c', {
          admin: adminApiKey,
          body: { api_key: 'k'.repeat(20) },
        });
      }),
    ADMIN_API_NOT_CONFIGURED: async () => {
      const bare = await start(0, { adminApiKey: '', log: (line) => log.push(line) });
      try {
        return await observe(
          fetch(`${bare.url}/admin/apps/app-a`, {
            method: 'POST',
            headers: { 'x-admin-api-key': adminApiKey },
          }),
        );
      } finally {
        await bare.close();
      }
    },
    RECORDING_NOT_AVAILABLE: async () =>
      call('POST', `/api/v1/sessions/${await session()}/commands/record/start`, { body: {} }),
  };
}

const unreachable: Record<string, string> = {};

for (const backend of ['memory', 'redis'] as const) {
  describe(`seed 003: the call-control gateway on Express (${backend} state)`, () => {
    let gateway: Gateway;
    let redis: RedisServer | undefined;
    let connection: Redis | undefined;
    const log: LogLine[] = [];
    const probes = probesFor(() => gateway, log);
    const rows = rowsOf('003');
    const reached = new Set<string>();

    beforeAll(async () => {
      const options: SeedOptions = {
        adminApiKey,
        recording: false,
        commandCooldown: 100,
        log: (line) => log.push(line),
      };
      if (backend === 'redis') {
        redis = await startRedis();
        connection = new Redis(redis.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false });
        await new Promise((resolve) => connection!.once('ready', resolve));
        options.redis = ioredisSend(connection);
      }
      gateway = await start(0, options);
      await configure(gateway, 'app-a', 'key-of-app-a-0123456789');
      await configure(gateway, 'app-b', 'key-of-app-b-0123456789');
      await configure(gateway, 'app-slow', 'key-of-app-slow-0123456789', 3);
    });

    afterAll(async () => {
      await gateway?.close();
      connection?.disconnect();
      await redis?.stop();
    });

    for (const { key, row } of rows) {
      if (key in unreachable) continue;
      it(`answers ${key} (${row.status}) as the page documents`, async () => {
        const probe = probes[key];
        expect(probe, `no probe for ${key}`).toBeDefined();
        expectRow(contract, row, await probe!());
        reached.add(key);
      });
    }

    it('answers exactly { success: false, error } and nothing else', async () => {
      const res = await client(() => gateway).call('GET', '/api/v1/sessions/x', { app: null });
      expect(JSON.parse((res as { body: string }).body)).toEqual({
        success: false,
        error: 'Missing X-App-ID header',
      });
    });

    it('accepts application/json with a charset, and takes no Content-Type on body-less actions', async () => {
      const { request } = client(() => gateway);
      const res = await request('POST', '/api/v1/conferences', {
        raw: JSON.stringify({ name: 'charset-room' }),
        type: 'application/json; charset=utf-8',
      });
      expect(res.status).toBe(201);
      const { room_id } = (await res.json()) as { room_id: string };
      expect((await request('POST', `/api/v1/conferences/${room_id}/stop`)).status).toBe(200);
    });

    it('allows 1 MiB bodies on ordinary routes and 64 KiB on command routes', async () => {
      const { request } = client(() => gateway);
      const big = { name: `big-${'x'.repeat(200 * 1024)}` };
      expect((await request('POST', '/api/v1/conferences', { body: big })).status).toBe(201);
      expect(
        (await request('POST', '/api/v1/conferences', { body: { name: 'y'.repeat(1024 * 1024 + 1) } }))
          .status,
      ).toBe(413);
    });

    it('counts cooldowns per command group: another group is not delayed', async () => {
      const { request, session } = client(() => gateway);
      const uuid = await session();
      expect((await request('POST', `/api/v1/sessions/${uuid}/commands/answer`, { body: {} })).status).toBe(
        200,
      );
      const other = await request('POST', `/api/v1/sessions/${uuid}/commands/playback/start`, {
        body: { urls: ['https://example.com/a.wav'] },
      });
      expect(other.status).toBe(200);
      const again = await request('POST', `/api/v1/sessions/${uuid}/commands/hangup`, { body: {} });
      expect(again.status).toBe(429);
      expect(Number(again.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    });

    it('answers 400 "Invalid request body", never 500, to a null, empty or ill-typed admin body', async () => {
      const key = `"${'k'.repeat(20)}"`;
      const bodies: [string, string | undefined][] = [
        ['null', 'application/json'],
        ['', 'application/json'],
        ['', undefined],
        ['[]', 'application/json'],
        ['"text"', 'application/json'],
        ['1', 'application/json'],
        ['true', 'application/json'],
        ['{}', 'application/json'],
        ['{"api_key":5}', 'application/json'],
        ['{"api_key":"too-short"}', 'application/json'],
        [`{"api_key":${key},"rate_limit":1e400}`, 'application/json'],
        [`{"api_key":${key},"rate_limit":-1}`, 'application/json'],
        [`{"api_key":${key},"rate_limit":0.5}`, 'application/json'],
        [`{"api_key":${key},"rate_limit":"10"}`, 'application/json'],
        [`{"api_key":${key},"rate_limit":null}`, 'application/json'],
      ];
      const before = log.length;
      for (const [raw, type] of bodies) {
        const res = await fetch(`${gateway.url}/admin/apps/app-fuzz`, {
          method: 'POST',
          headers: { 'x-admin-api-key': adminApiKey, ...(type ? { 'content-type': type } : {}) },
          ...(raw === '' && type === undefined ? {} : { body: raw }),
        });
        expect({ raw, type, status: res.status, body: await res.json() }).toEqual({
          raw,
          type,
          status: 400,
          body: { success: false, error: 'Invalid request body' },
        });
      }
      expect(log.slice(before).filter((line) => line.status >= 500)).toEqual([]);
      // None of them configured the app.
      const probe = await fetch(`${gateway.url}/api/v1/sessions/x`, {
        headers: { 'x-app-id': 'app-fuzz', 'x-api-key': 'k'.repeat(20) },
      });
      expect(probe.status).toBe(401);
    });

    it('reports reachable/total', () => {
      console.log(summary('003', reached, unreachable));
      expect(reached.size + Object.keys(unreachable).length).toBe(rows.length);
    });
  });
}

describe("seed 003: the page's prose", () => {
  it('does not start a command group cooldown for a command refused 400', async () => {
    const gateway = await start(0, { adminApiKey, commandCooldown: 60_000, log: () => {} });
    try {
      await configure(gateway, 'app-a', 'key-of-app-a-0123456789');
      const { request, session } = client(() => gateway);
      const uuid = await session();
      const command = (path: string, body: unknown) =>
        request('POST', `/api/v1/sessions/${uuid}/commands/${path}`, { body }).then(async (res) => ({
          status: res.status,
          error: ((await res.json()) as { error?: string }).error,
        }));
      expect(await command('playback/start', { urls: [] })).toEqual({
        status: 400,
        error: 'urls is required',
      });
      expect(await command('playback/stop', { command_uid: 'bad uid!' })).toEqual({
        status: 400,
        error: 'Invalid command_uid format',
      });
      // The media group is still free: the refused commands spent nothing.
      expect((await command('playback/start', { urls: ['https://example.com/a.wav'] })).status).toBe(200);
      expect(await command('playback/stop', {})).toEqual({ status: 429, error: 'Command rate limited' });
    } finally {
      await gateway.close();
    }
  });

  describe('with REDIS_URL, sessions and rooms are shared by every instance', () => {
    let redis: RedisServer;
    const connections: Redis[] = [];
    const gateways: Gateway[] = [];
    beforeAll(async () => {
      redis = await startRedis();
      for (let i = 0; i < 2; i++) {
        const connection = new Redis(redis.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false });
        await new Promise((resolve) => connection.once('ready', resolve));
        connections.push(connection);
        gateways.push(
          await start(0, { adminApiKey, redis: ioredisSend(connection), commandCooldown: 10, log: () => {} }),
        );
      }
      await configure(gateways[0]!, 'app-a', 'key-of-app-a-0123456789');
    });
    afterAll(async () => {
      for (const gateway of gateways) await gateway.close();
      for (const connection of connections) connection.disconnect();
      await redis?.stop();
    });

    it('answers on one instance for a session created on the other', async () => {
      const [a, b] = gateways.map((g) => client(() => g));
      const uuid = await a!.session();
      const read = await b!.request('GET', `/api/v1/sessions/${uuid}`);
      expect(read.status, await read.clone().text()).toBe(200);
      const answered = await b!.request('POST', `/api/v1/sessions/${uuid}/commands/answer`, { body: {} });
      expect(answered.status).toBe(200);
      expect(await (await a!.request('GET', `/api/v1/sessions/${uuid}`)).json()).toMatchObject({
        state: 'answered',
      });
    });

    it('refuses a conference name taken on the other instance, and shares the room', async () => {
      const [a, b] = gateways.map((g) => client(() => g));
      const made = await a!.request('POST', '/api/v1/conferences', { body: { name: 'all-hands' } });
      expect(made.status).toBe(201);
      const { room_id } = (await made.json()) as { room_id: string };
      const again = await b!.request('POST', '/api/v1/conferences', { body: { name: 'all-hands' } });
      expect(again.status).toBe(409);
      expect(await again.json()).toEqual({ success: false, error: 'Conference name already taken' });
      const uuid = await b!.session();
      expect(
        (await b!.request('POST', `/api/v1/sessions/${uuid}/commands/conference/join`, { body: { room_id } }))
          .status,
      ).toBe(200);
      expect(await (await a!.request('GET', `/api/v1/conferences/${room_id}`)).json()).toMatchObject({
        room_id,
        members: [uuid],
      });
      expect((await b!.request('POST', `/api/v1/conferences/${room_id}/stop`)).status).toBe(200);
      expect((await a!.request('GET', `/api/v1/conferences/${room_id}`)).status).toBe(404);
      expect(await (await a!.request('GET', `/api/v1/sessions/${uuid}`)).json()).toMatchObject({
        room_id: null,
      });
      // The name is free again once the room is gone.
      expect((await a!.request('POST', '/api/v1/conferences', { body: { name: 'all-hands' } })).status).toBe(
        201,
      );
    });

    it('creates one room when two instances are asked for the same name at once', async () => {
      const [a, b] = gateways.map((g) => client(() => g));
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? a! : b!).request('POST', '/api/v1/conferences', { body: { name: 'race' } }),
        ),
      );
      expect(answers.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
    });
  });
});
