/**
 * Seed 003, the call-control gateway of reference page 003.
 *
 * The conformance run starts the shipped `examples/seeds/003/server.ts` in its own process, configured by
 * environment only, and reaches every row of the page over HTTP: apps are made with the documented admin
 * route `POST /admin/apps/:app_id`, calls with `POST /api/v1/sessions` (which stands for the telephony
 * side), rooms with `POST /api/v1/conferences`. Run against memory state, the admin and demo keys are the
 * ones the server made and printed; against Redis, the ones given in `ADMIN_API_KEY` and `DEMO_API_KEY`.
 * "Admin API not configured" comes from a server started with `ADMIN_API_KEY` set empty; "Internal error
 * validating API key" and "Internal server error" from one on `REDIS_URL` whose Redis is then killed.
 *
 * Rows that cannot be reached over HTTP: none.
 */
import { randomBytes } from 'node:crypto';
import { redisSend } from 'faultline/stores';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors, format } from '../../examples/reference/003.js';
import { type SeedOptions, start } from '../../examples/seeds/003/app.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { backendOf, type GatewayProcess, runGateway, startGateway } from './003-server.js';
import { expectRow, type Observed, observe, type Probe, rowsOf, summary } from './harness.js';

const contract = { catalog: errors, format, correlationHeader: 'x-request-id' };
const newKey = () => randomBytes(24).toString('base64url');
const appKeys = { 'app-a': newKey(), 'app-b': newKey(), 'app-slow': newKey() };

interface Init {
  app?: string | null;
  key?: string | null;
  admin?: string;
  body?: unknown;
  raw?: string | Buffer;
  type?: string;
}

function client(base: () => string) {
  const request = (method: string, path: string, init: Init = {}): Promise<Response> => {
    const headers: Record<string, string> = {};
    const app = init.app === undefined ? 'app-a' : init.app;
    if (app !== null) headers['x-app-id'] = app;
    if (init.key !== null)
      headers['x-api-key'] = init.key ?? appKeys[app as keyof typeof appKeys] ?? 'no-key-for-this-app';
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
    return fetch(`${base()}${path}`, { method, headers, body: body as BodyInit | undefined });
  };
  const call = (method: string, path: string, init?: Init): Promise<Observed> =>
    observe(request(method, path, init));
  const session = async (app = 'app-a'): Promise<string> => {
    const res = await request('POST', '/api/v1/sessions', { app });
    expect(res.status, await res.clone().text()).toBe(201);
    return ((await res.json()) as { uuid: string }).uuid;
  };
  /** A command sent again while its group cools down: at most 50 tries, 100 ms apart. */
  const command = async (uuid: string, path: string, body: unknown = {}): Promise<Observed> => {
    for (let attempt = 0; ; attempt++) {
      const answer = await call('POST', `/api/v1/sessions/${uuid}/commands/${path}`, { body });
      if (answer.kind !== 'http' || answer.status !== 429 || attempt === 50) return answer;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const room = async (name: string, app = 'app-a'): Promise<string> => {
    const res = await request('POST', '/api/v1/conferences', { app, body: { name } });
    expect(res.status, await res.clone().text()).toBe(201);
    return ((await res.json()) as { room_id: string }).room_id;
  };
  return { request, call, session, command, room };
}

/** Makes (or re-keys) an app through the documented admin route. */
async function configure(base: string, adminKey: string, app: string, key: string, rateLimit = 600) {
  const res = await fetch(`${base}/admin/apps/${app}`, {
    method: 'POST',
    headers: { 'x-admin-api-key': adminKey, 'content-type': 'application/json' },
    body: JSON.stringify({ api_key: key, rate_limit: rateLimit }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

/** Starts once, on first use; stopped after the file. */
function lazily<T extends { stop(): Promise<void> }>(make: () => Promise<T>) {
  let made: Promise<T> | undefined;
  return {
    get: () => {
      made ??= make();
      return made;
    },
    stop: async () => {
      await (await made)?.stop();
    },
  };
}

/** A gateway on `REDIS_URL` whose Redis is killed once app-a is configured. */
const deadRedis = lazily(async () => {
  const redis = await startRedis();
  const adminKey = newKey();
  const gateway = await startGateway({ REDIS_URL: redis.url, ADMIN_API_KEY: adminKey });
  await configure(gateway.url, adminKey, 'app-a', appKeys['app-a']);
  await redis.kill();
  return {
    gateway,
    adminKey,
    stop: async () => {
      await gateway.stop();
      await redis.stop().catch(() => {});
    },
  };
});
/** A gateway started with `ADMIN_API_KEY` set empty: its admin API is not configured. */
const unconfigured = lazily(() => startGateway({ ADMIN_API_KEY: '' }));
afterAll(async () => {
  await deadRedis.stop();
  await unconfigured.stop();
});

function probesFor(base: () => string): Record<string, Probe> {
  const { call, session, command, room } = client(base);
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
    MISSING_ADMIN_API_KEY: () => call('POST', '/admin/apps/app-z', { body: { api_key: newKey() } }),
    INVALID_ADMIN_API_KEY: () =>
      call('POST', '/admin/apps/app-z', { admin: 'wrong-admin-key', body: { api_key: newKey() } }),
    SESSION_FORBIDDEN: async () => call('GET', `/api/v1/sessions/${await session('app-b')}`),
    ROOM_FORBIDDEN: async () => call('GET', `/api/v1/conferences/${await room('standup', 'app-b')}`),
    SESSION_NOT_FOUND: () => call('GET', '/api/v1/sessions/00000000-0000-4000-8000-000000000000'),
    ROOM_NOT_FOUND: () => call('POST', '/api/v1/conferences/00000000-0000-4000-8000-000000000000/stop'),
    CONFERENCE_NAME_TAKEN: async () => {
      await room('sales');
      return call('POST', '/api/v1/conferences', { body: { name: 'sales' } });
    },
    SESSION_IN_OTHER_ROOM: async () => {
      const uuid = await session();
      const first = await room('room-1');
      const second = await room('room-2');
      expect(await command(uuid, 'conference/join', { room_id: first })).toMatchObject({ status: 200 });
      // The second join waits out the conference group's cooldown.
      return command(uuid, 'conference/join', { room_id: second });
    },
    MUTE_STATE_UNCHANGED: async () => {
      const uuid = await session();
      expect(await command(uuid, 'mute')).toMatchObject({ status: 200 });
      return command(uuid, 'mute');
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
      for (let i = 0; i < 4; i++) last = await call('GET', '/api/v1/sessions/x', { app: 'app-slow' });
      return last!;
    },
    COMMAND_RATE_LIMITED: async () => {
      const uuid = await session();
      await call('POST', `/api/v1/sessions/${uuid}/commands/playback/start`, {
        body: { urls: ['https://example.com/a.wav'] },
      });
      return call('POST', `/api/v1/sessions/${uuid}/commands/playback/stop`, { body: {} });
    },
    API_KEY_LOOKUP_FAILED: async () => {
      const { gateway } = await deadRedis.get();
      return client(() => gateway.url).call('GET', '/api/v1/sessions/x');
    },
    INTERNAL_ERROR: async () => {
      // Storing an app's configuration on a dead Redis fails unexpectedly: the generic 500.
      const { gateway, adminKey } = await deadRedis.get();
      return client(() => gateway.url).call('POST', '/admin/apps/app-c', {
        admin: adminKey,
        body: { api_key: newKey() },
      });
    },
    ADMIN_API_NOT_CONFIGURED: async () => {
      const { url } = await unconfigured.get();
      return client(() => url).call('POST', '/admin/apps/app-a', {
        admin: newKey(),
        body: { api_key: newKey() },
      });
    },
    RECORDING_NOT_AVAILABLE: async () =>
      call('POST', `/api/v1/sessions/${await session()}/commands/record/start`, { body: {} }),
  };
}

const unreachable: Record<string, string> = {};

for (const backend of ['memory', 'redis'] as const) {
  describe(`seed 003 as shipped: every row of the page over HTTP (${backend} state)`, () => {
    let gateway: GatewayProcess;
    let redis: RedisServer | undefined;
    let adminKey: string;
    let demoKey: string;
    const probes = probesFor(() => gateway.url);
    const rows = rowsOf('003');
    const reached = new Set<string>();

    beforeAll(async () => {
      if (backend === 'memory') {
        // No key in the environment: the server makes both and prints them.
        gateway = await startGateway();
        adminKey = gateway.adminKey!;
        demoKey = gateway.demoKey!;
      } else {
        redis = await startRedis();
        adminKey = newKey();
        demoKey = newKey();
        gateway = await startGateway({
          REDIS_URL: redis.url,
          ADMIN_API_KEY: adminKey,
          DEMO_API_KEY: demoKey,
        });
        expect(gateway.adminKey).toBeUndefined();
      }
      expect(adminKey).toMatch(/^[\w-]{16,}$/);
      await configure(gateway.url, adminKey, 'app-a', appKeys['app-a']);
      await configure(gateway.url, adminKey, 'app-b', appKeys['app-b']);
      await configure(gateway.url, adminKey, 'app-slow', appKeys['app-slow'], 3);
    });

    afterAll(async () => {
      await gateway?.stop();
      await redis?.stop();
    });

    for (const { key, row } of rows) {
      if (key in unreachable) continue;
      it(`answers ${key} (${row.status}) as the page documents`, async () => {
        const probe = probes[key];
        expect(probe, `no probe for ${key}`).toBeDefined();
        await expectRow(contract, row, await probe!());
        reached.add(key);
      });
    }

    it('serves the seeded app demo-app with the key it printed or was given', async () => {
      const { request } = client(() => gateway.url);
      const res = await request('POST', '/api/v1/sessions', { app: 'demo-app', key: demoKey });
      expect(res.status).toBe(201);
      expect((await request('GET', '/api/v1/sessions/x', { app: 'demo-app', key: newKey() })).status).toBe(
        401,
      );
    });

    it('answers "Conference name already taken" with the existing room_id, as the page says', async () => {
      const { request, room } = client(() => gateway.url);
      const room_id = await room('weekly-sync');
      const again = await request('POST', '/api/v1/conferences', { body: { name: 'weekly-sync' } });
      expect(again.status).toBe(409);
      expect(await again.json()).toEqual({ success: false, error: 'Conference name already taken', room_id });
      // Another app's room of the same name is its own, and never revealed.
      const other = await request('POST', '/api/v1/conferences', {
        app: 'app-b',
        body: { name: 'weekly-sync' },
      });
      expect(other.status).toBe(201);
      expect(((await other.json()) as { room_id: string }).room_id).not.toBe(room_id);
    });

    it('answers exactly { success: false, error } and nothing else', async () => {
      const res = await client(() => gateway.url).call('GET', '/api/v1/sessions/x', { app: null });
      expect(JSON.parse((res as { body: string }).body)).toEqual({
        success: false,
        error: 'Missing X-App-ID header',
      });
    });

    it('accepts application/json with a charset, and takes no Content-Type on body-less actions', async () => {
      const { request } = client(() => gateway.url);
      const res = await request('POST', '/api/v1/conferences', {
        raw: JSON.stringify({ name: 'charset-room' }),
        type: 'application/json; charset=utf-8',
      });
      expect(res.status).toBe(201);
      const { room_id } = (await res.json()) as { room_id: string };
      expect((await request('POST', `/api/v1/conferences/${room_id}/stop`)).status).toBe(200);
      // A client that sets the JSON type on every POST sends it with an empty body too.
      const uuid = await client(() => gateway.url).session();
      for (const command of ['conference/leave', 'mute', 'hangup']) {
        const res = await request('POST', `/api/v1/sessions/${uuid}/commands/${command}`, {
          raw: '',
          type: 'application/json',
        });
        expect({ command, status: res.status }).toEqual({ command, status: 200 });
      }
    });

    it('allows 1 MiB bodies on ordinary routes and 64 KiB on command routes', async () => {
      const { request } = client(() => gateway.url);
      const big = { name: 'big', padding: 'x'.repeat(1000 * 1024) };
      expect((await request('POST', '/api/v1/conferences', { body: big })).status).toBe(201);
      expect(
        (
          await request('POST', '/api/v1/conferences', {
            body: { name: 'y', padding: 'y'.repeat(1024 * 1024) },
          })
        ).status,
      ).toBe(413);
    });

    it('counts cooldowns per command group: another group is not delayed', async () => {
      const { request, session } = client(() => gateway.url);
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

    it('answers 400 "Invalid request body", never 500, to a null, empty or ill-typed body', async () => {
      const key = `"${newKey()}"`;
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
      const before = gateway.log.length;
      for (const [raw, type] of bodies) {
        const res = await fetch(`${gateway.url}/admin/apps/app-fuzz`, {
          method: 'POST',
          headers: { 'x-admin-api-key': adminKey, ...(type ? { 'content-type': type } : {}) },
          ...(raw === '' && type === undefined ? {} : { body: raw }),
        });
        expect({ raw, type, status: res.status, body: await res.json() }).toEqual({
          raw,
          type,
          status: 400,
          body: { success: false, error: 'Invalid request body' },
        });
      }
      for (const raw of ['null', '{}', '{"name":""}', '{"name":5}', `{"name":"${'n'.repeat(257)}"}`]) {
        const res = await client(() => gateway.url).call('POST', '/api/v1/conferences', {
          raw,
          type: 'application/json',
        });
        expect({ raw, res }).toMatchObject({
          raw,
          res: { status: 400, body: '{"success":false,"error":"Invalid request body"}' },
        });
      }
      expect(gateway.log.slice(before).filter((line) => line.status >= 500)).toEqual([]);
      // None of them configured the app.
      const probe = await fetch(`${gateway.url}/api/v1/sessions/x`, {
        headers: { 'x-app-id': 'app-fuzz', 'x-api-key': key.slice(1, -1) },
      });
      expect(probe.status).toBe(401);
    });

    it('limits each app at its own rate_limit, counted only for the app whose key the caller proved', async () => {
      const { request } = client(() => gateway.url);
      const key = newKey();
      await configure(gateway.url, adminKey, 'app-five', key, 5);
      // Requests naming the app without its key are refused 401 before any limit: they spend nothing.
      for (let i = 0; i < 10; i++)
        expect((await request('GET', '/api/v1/sessions/x', { app: 'app-five', key: newKey() })).status).toBe(
          401,
        );
      const statuses: number[] = [];
      let policy: string | null = null;
      let denied: Response | undefined;
      for (let i = 0; i < 8; i++) {
        const res = await request('GET', '/api/v1/sessions/x', { app: 'app-five', key });
        statuses.push(res.status);
        policy ??= res.headers.get('ratelimit-policy');
        if (res.status === 429) denied ??= res;
      }
      expect(statuses).toEqual([404, 404, 404, 404, 404, 429, 429, 429]);
      expect(policy).toContain('"app";q=5;w=60');
      // The rate window is the minute from the app's first request: no unit comes back before it ends (one
      // would every 12 s under GCRA, whose Retry-After would be 12 s at most).
      expect(Number(denied!.headers.get('retry-after'))).toBeGreaterThan(12);
      // Another app keeps its own, larger limit.
      expect((await request('GET', '/api/v1/sessions/x')).status).toBe(404);
    });

    it('reports reachable/total', () => {
      console.log(summary('003', reached, unreachable));
      expect(reached.size + Object.keys(unreachable).length).toBe(rows.length);
    });
  });
}

describe('seed 003 server.ts: configuration by environment', () => {
  it('refuses to start with an admin key under 16 characters or a malformed number', async () => {
    const envs: Record<string, string>[] = [
      { ADMIN_API_KEY: 'short' },
      { DEMO_API_KEY: 'short' },
      { SESSION_IDLE_TIMEOUT_MS: '10s' },
      { MAX_SESSIONS_PER_APP: '0' },
      { COMMAND_COOLDOWN_MS: '-1' },
      { MAX_ROOMS_PER_APP: '1e3' },
    ];
    for (const env of envs) {
      const { code, output } = await runGateway(env);
      expect({ env, code }).toEqual({ env, code: 1 });
      expect(output).toMatch(/^seed 003: /m);
      expect(output).not.toContain('listening');
    }
  });
});

type InProcess = Awaited<ReturnType<typeof start>>;
const adminApiKey = newKey();

/** An in-process gateway with `app-a` and `app-b` configured, on memory or on a fresh Redis. */
async function inProcess(kind: 'memory' | 'redis', options: SeedOptions = {}) {
  const backend = await backendOf(kind);
  const gateway: InProcess = await start(0, { adminApiKey, log: () => {}, ...options, ...backend.options });
  await configure(gateway.url, adminApiKey, 'app-a', appKeys['app-a']);
  await configure(gateway.url, adminApiKey, 'app-b', appKeys['app-b']);
  return {
    ...client(() => gateway.url),
    url: gateway.url,
    async stop() {
      await gateway.close();
      await backend.stop();
    },
  };
}

describe("seed 003: the page's prose", () => {
  it('does not start a command group cooldown for a command refused 400', async () => {
    const gateway = await inProcess('memory', { commandCooldown: 60_000 });
    try {
      const uuid = await gateway.session();
      const command = (path: string, body: unknown) =>
        gateway.request('POST', `/api/v1/sessions/${uuid}/commands/${path}`, { body }).then(async (res) => ({
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
      await gateway.stop();
    }
  });

  it('answers a mute sent twice 409 already muted within the cooldown, not 429', async () => {
    const gateway = await inProcess('memory', { commandCooldown: 60_000 });
    try {
      const uuid = await gateway.session();
      const command = (path: string) =>
        gateway
          .request('POST', `/api/v1/sessions/${uuid}/commands/${path}`, { body: {} })
          .then(async (res) => ({
            status: res.status,
            error: ((await res.json()) as { error?: string }).error,
          }));
      expect(await command('mute')).toMatchObject({ status: 200 });
      expect(await command('mute')).toEqual({ status: 409, error: 'Session is already muted / unmuted' });
      // The group's cooldown runs from the first mute: an unmute now waits for it.
      expect(await command('unmute')).toEqual({ status: 429, error: 'Command rate limited' });
    } finally {
      await gateway.stop();
    }
  });

  it('refuses admin-key guesses while the store is down, where the address limit cannot count them', async () => {
    const { gateway } = await deadRedis.get();
    const res = await client(() => gateway.url).call('POST', '/admin/apps/app-c', {
      admin: newKey(),
      body: { api_key: newKey() },
    });
    expect(res).toMatchObject({ status: 500, body: '{"success":false,"error":"Internal server error"}' });
  });

  it("counts a wrong key's guesses against the client address's limit, before the key is checked", async () => {
    const gateway = await inProcess('memory', { ipRate: 10 });
    try {
      const guess = () =>
        gateway.request('GET', '/api/v1/sessions/unknown', { key: 'a-guess' }).then((res) => res.status);
      const statuses: number[] = [];
      for (let n = 0; n < 15; n++) statuses.push(await guess());
      // The admin calls that set the apps up came from this address too: they spent part of the limit.
      const refused = statuses.indexOf(429);
      expect(refused).toBeGreaterThan(0);
      expect(statuses).toEqual([...Array(refused).fill(401), ...Array(15 - refused).fill(429)]);
      // The right key from the same address waits too: the limit is the address's, whatever it sends.
      expect((await gateway.request('POST', '/api/v1/sessions')).status).toBe(429);
    } finally {
      await gateway.stop();
    }
  });

  it('counts every request against the address limit first, one whose headers are refused too', async () => {
    const gateway = await inProcess('memory', { ipRate: 10 });
    try {
      // No X-App-ID, a malformed one (400), two API keys, two admin keys (401): each is refused, and counts.
      const refusedEarly = [
        () => gateway.request('GET', '/api/v1/sessions/unknown', { app: null }),
        () => gateway.request('GET', '/api/v1/sessions/unknown', { app: 'bad id!' }),
        () =>
          fetch(`${gateway.url}/api/v1/sessions/unknown`, {
            headers: [
              ['x-app-id', 'app-a'],
              ['x-api-key', 'one'],
              ['x-api-key', 'two'],
            ],
          }),
        () =>
          fetch(`${gateway.url}/admin/apps/app-c`, {
            method: 'POST',
            headers: [
              ['x-admin-api-key', 'one'],
              ['x-admin-api-key', 'two'],
            ],
          }),
      ];
      const statuses: number[] = [];
      for (let n = 0; n < 16; n++) statuses.push((await refusedEarly[n % 4]!()).status);
      const refused = statuses.indexOf(429);
      expect(refused).toBeGreaterThan(0);
      expect(statuses.slice(0, refused).every((status) => status === 400 || status === 401)).toBe(true);
      expect(statuses.slice(refused)).toEqual(Array(16 - refused).fill(429));
    } finally {
      await gateway.stop();
    }
  });

  describe('with REDIS_URL, sessions and rooms are shared by every instance', () => {
    let redis: RedisServer;
    const connections: Redis[] = [];
    const gateways: InProcess[] = [];
    beforeAll(async () => {
      redis = await startRedis();
      for (let i = 0; i < 2; i++) {
        const connection = new Redis(redis.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false });
        await new Promise((resolve) => connection.once('ready', resolve));
        connections.push(connection);
        gateways.push(
          await start(0, { adminApiKey, redis: redisSend(connection), commandCooldown: 10, log: () => {} }),
        );
      }
      await configure(gateways[0]!.url, adminApiKey, 'app-a', appKeys['app-a']);
    });
    afterAll(async () => {
      for (const gateway of gateways) await gateway.close();
      for (const connection of connections) connection.disconnect();
      await redis?.stop();
    });

    it('answers on one instance for a session created on the other', async () => {
      const [a, b] = gateways.map((g) => client(() => g.url));
      const uuid = await a!.session();
      const read = await b!.request('GET', `/api/v1/sessions/${uuid}`);
      expect(read.status, await read.clone().text()).toBe(200);
      const answered = await b!.request('POST', `/api/v1/sessions/${uuid}/commands/answer`, { body: {} });
      expect(answered.status).toBe(200);
      expect(await (await a!.request('GET', `/api/v1/sessions/${uuid}`)).json()).toMatchObject({
        state: 'answered',
      });
    });

    it('refuses a conference name taken on the other instance with its room_id, and shares the room', async () => {
      const [a, b] = gateways.map((g) => client(() => g.url));
      const room_id = await a!.room('all-hands');
      const again = await b!.request('POST', '/api/v1/conferences', { body: { name: 'all-hands' } });
      expect(again.status).toBe(409);
      expect(await again.json()).toEqual({ success: false, error: 'Conference name already taken', room_id });
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
      const [a, b] = gateways.map((g) => client(() => g.url));
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? a! : b!).request('POST', '/api/v1/conferences', { body: { name: 'race' } }),
        ),
      );
      expect(answers.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
    });
  });
});

for (const backend of ['memory', 'redis'] as const) {
  describe(`seed 003: live sessions are bounded (${backend} state)`, () => {
    it('keeps at most maxPerApp sessions per app: a new one ends the least recently used', async () => {
      const gateway = await inProcess(backend, { bounds: { maxSessionsPerApp: 3 }, commandCooldown: 10 });
      try {
        const other = await gateway.session('app-b');
        const made: string[] = [];
        for (let i = 0; i < 50; i++) made.push(await gateway.session());
        const status = async (uuid: string, app = 'app-a') =>
          (await gateway.request('GET', `/api/v1/sessions/${uuid}`, { app })).status;
        const kept = made.slice(-3);
        expect(await Promise.all(made.map((uuid) => status(uuid)))).toEqual([
          ...Array(47).fill(404),
          200,
          200,
          200,
        ]);
        // A command is a use: the session it touched outlives a newer one.
        expect(await gateway.command(kept[0]!, 'answer')).toMatchObject({ status: 200 });
        const newest = await gateway.session();
        expect(await Promise.all([...kept, newest].map((uuid) => status(uuid)))).toEqual([
          200, 404, 200, 200,
        ]);
        const gone = await gateway.call('GET', `/api/v1/sessions/${kept[1]}`);
        expect(gone).toMatchObject({ status: 404, body: '{"success":false,"error":"Session not found"}' });
        // A session ended past the bound leaves its room.
        const room_id = await gateway.room('bounded');
        expect(await gateway.command(kept[2]!, 'conference/join', { room_id })).toMatchObject({
          status: 200,
        });
        for (let i = 0; i < 3; i++) await gateway.session();
        expect(await status(kept[2]!)).toBe(404);
        expect(await (await gateway.request('GET', `/api/v1/conferences/${room_id}`)).json()).toMatchObject({
          members: [],
        });
        // Another app's sessions count against its own bound only.
        expect(await status(other, 'app-b')).toBe(200);
      } finally {
        await gateway.stop();
      }
    });

    it('ends a session idle past its timeout: it answers "Session not found"', async () => {
      const gateway = await inProcess(backend, { bounds: { idleTimeout: 200 } });
      try {
        const uuid = await gateway.session();
        let last: Observed | undefined;
        for (let attempt = 0; attempt < 50; attempt++) {
          last = await gateway.call('GET', `/api/v1/sessions/${uuid}`);
          if (last.kind === 'http' && last.status === 404) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(last).toMatchObject({ status: 404, body: '{"success":false,"error":"Session not found"}' });
        expect(await gateway.command(uuid, 'answer')).toMatchObject({ status: 404 });
      } finally {
        await gateway.stop();
      }
    });

    it('keeps at most maxRoomsPerApp rooms per app: a new one destroys the oldest, leaving its members in none', async () => {
      const gateway = await inProcess(backend, { bounds: { maxRoomsPerApp: 2 }, commandCooldown: 10 });
      try {
        const theirs = await gateway.room('theirs', 'app-b');
        const first = await gateway.room('first');
        const second = await gateway.room('second');
        const uuid = await gateway.session();
        expect(await gateway.command(uuid, 'conference/join', { room_id: first })).toMatchObject({
          status: 200,
        });
        const third = await gateway.room('third');
        const status = async (id: string, app = 'app-a') =>
          (await gateway.request('GET', `/api/v1/conferences/${id}`, { app })).status;
        expect(await Promise.all([first, second, third].map((id) => status(id)))).toEqual([404, 200, 200]);
        expect(await (await gateway.request('GET', `/api/v1/sessions/${uuid}`)).json()).toMatchObject({
          room_id: null,
        });
        // The session may join another room, and the destroyed room's name is free again.
        expect(await gateway.command(uuid, 'conference/join', { room_id: third })).toMatchObject({
          status: 200,
        });
        expect(await status(await gateway.room('first'))).toBe(200);
        expect(await status(theirs, 'app-b')).toBe(200);
      } finally {
        await gateway.stop();
      }
    });

    it('forgets a hung-up session at once', async () => {
      const gateway = await inProcess(backend, { commandCooldown: 10 });
      try {
        const uuid = await gateway.session();
        expect(await gateway.command(uuid, 'hangup')).toMatchObject({ status: 200 });
        expect(await gateway.call('GET', `/api/v1/sessions/${uuid}`)).toMatchObject({ status: 404 });
      } finally {
        await gateway.stop();
      }
    });
  });
}
