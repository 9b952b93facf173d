/**
 * Seed 003 against what an outside attack found: commands sent together on one session, playlists that
 * would hold a session's memory, room names that outlive their room, ids that are not the gateway's, keys
 * no request could present, names that are not Unicode, a log written by refused requests, and CONNECT.
 * Each runs in process over HTTP, on memory and (where the state is Redis's) on a real redis-server.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SeedOptions, start } from '../../examples/seeds/003/app.js';
import { maxUrlLength, maxUrls } from '../../examples/seeds/003/domain.js';
import { type LogLine, maxLoggedUrl } from '../../examples/seeds/shared/run.js';
import { backendOf, runGateway } from './003-server.js';
import { rawRequest } from './harness.js';

const newKey = () => randomBytes(24).toString('base64url');
const adminApiKey = newKey();
const appKey = newKey();

/** An in-process gateway with app `app-a`, on memory or on a fresh Redis, logging into `log`. */
async function gatewayOn(kind: 'memory' | 'redis', options: SeedOptions = {}) {
  const backend = await backendOf(kind);
  const log: LogLine[] = [];
  const running = await start(0, {
    adminApiKey,
    commandCooldown: 10,
    log: (line) => void log.push(line),
    ...options,
    ...backend.options,
  });
  const admin = (app: string, body: unknown) =>
    fetch(`${running.url}/admin/apps/${app}`, {
      method: 'POST',
      headers: { 'x-admin-api-key': adminApiKey, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  expect((await admin('app-a', { api_key: appKey })).status).toBe(200);
  /** A request of app-a: its status and parsed body. */
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${running.url}${path}`, {
      method,
      headers: {
        'x-app-id': 'app-a',
        'x-api-key': appKey,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const session = async () => {
    const made = await call('POST', '/api/v1/sessions');
    expect(made.status).toBe(201);
    return String(made.body.uuid);
  };
  const room = async (name: string) => {
    const made = await call('POST', '/api/v1/conferences', { name });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    return String(made.body.room_id);
  };
  const command = (uuid: string, path: string, body: unknown = {}) =>
    call('POST', `/api/v1/sessions/${uuid}/commands/${path}`, body);
  return {
    url: running.url,
    port: running.port,
    log,
    redis: backend.redis,
    admin,
    call,
    session,
    room,
    command,
    async stop() {
      await running.close();
      await backend.stop();
    },
  };
}
type Gateway = Awaited<ReturnType<typeof gatewayOn>>;

const invalidBody = { status: 400, body: { success: false, error: 'Invalid request body' } };

for (const backend of ['memory', 'redis'] as const) {
  describe(`seed 003 under attack (${backend} state)`, () => {
    let gateway: Gateway;
    beforeAll(async () => {
      gateway = await gatewayOn(backend);
    });
    afterAll(async () => {
      await gateway?.stop();
    });

    it('applies both of two commands sent together on one session, and never brings a hung-up call back', async () => {
      const outcomes: string[] = [];
      for (let trial = 0; trial < 20; trial++) {
        const uuid = await gateway.session();
        const [muted, answered] = await Promise.all([
          gateway.command(uuid, 'mute'),
          gateway.command(uuid, 'answer'),
        ]);
        expect([muted.status, answered.status]).toEqual([200, 200]);
        const read = await gateway.call('GET', `/api/v1/sessions/${uuid}`);
        outcomes.push(`${read.body.state} ${read.body.muted}`);

        const ended = await gateway.session();
        const [hangup] = await Promise.all([
          gateway.command(ended, 'hangup'),
          gateway.command(ended, 'mute'),
        ]);
        expect(hangup.status).toBe(200);
        // The mute either came first (200) or found the call ended (404): the call stays ended.
        const after = await gateway.call('GET', `/api/v1/sessions/${ended}`);
        expect(after).toEqual({ status: 404, body: { success: false, error: 'Session not found' } });
      }
      expect(outcomes).toEqual(Array(20).fill('answered true'));
    });

    it(`refuses a playlist of more than ${maxUrls} URLs, or a URL over ${maxUrlLength} characters, as "urls is required"`, async () => {
      const uuid = await gateway.session();
      const url = (length: number) => `https://example.com/${'a'.repeat(length - 20)}`;
      const refused = { status: 400, body: { success: false, error: 'urls is required' } };
      expect(
        await gateway.command(uuid, 'playback/start', { urls: Array(maxUrls + 1).fill(url(30)) }),
      ).toEqual(refused);
      expect(
        await gateway.command(uuid, 'play_and_get_digits', { prompt_files: [url(maxUrlLength + 1)] }),
      ).toEqual(refused);
      // The 64 KiB of tiny URLs the attack sent, which a session kept as one array entry each.
      expect(await gateway.command(uuid, 'playback/start', { urls: Array(5900).fill('http://a') })).toEqual(
        refused,
      );
      expect(
        await gateway.command(uuid, 'playback/start', { urls: Array(maxUrls).fill(url(maxUrlLength)) }),
      ).toMatchObject({ status: 200 });
    });

    it('answers 404 to a session or room id the gateway never minted, never a store error', async () => {
      const uuid = await gateway.session();
      const room_id = await gateway.room(`wrongtype-${backend}`);
      expect(await gateway.command(uuid, 'conference/join', { room_id })).toMatchObject({ status: 200 });
      const roomGone = { status: 404, body: { success: false, error: 'Room not found' } };
      const sessionGone = { status: 404, body: { success: false, error: 'Session not found' } };
      // In Redis, the room's members set is the room's key followed by `:members`.
      expect(await gateway.call('GET', `/api/v1/conferences/${room_id}:members`)).toEqual(roomGone);
      expect(await gateway.call('POST', `/api/v1/conferences/${room_id}:members/stop`)).toEqual(roomGone);
      const other = await gateway.session();
      expect(await gateway.command(other, 'conference/join', { room_id: `${room_id}:members` })).toEqual(
        roomGone,
      );
      expect(await gateway.call('GET', `/api/v1/sessions/${uuid}:x`)).toEqual(sessionGone);
      expect(await gateway.command(`${uuid}:x`, 'answer')).toEqual(sessionGone);
      expect(await gateway.call('GET', `/api/v1/sessions/${uuid.toUpperCase()}`)).toEqual(sessionGone);
      expect(gateway.log.filter((line) => line.status >= 500)).toEqual([]);
    });

    it('refuses an api_key no request could present: a comma, outer spaces, other scripts', async () => {
      for (const api_key of [
        'abcdefgh,ijklmnopqr',
        '  abcdefghijklmnop  ',
        'abcdefgh ijklmnop',
        'ключключключключключ',
        'clé-clé-clé-clé-clé',
        'abcdefghijklmnop\t',
      ]) {
        const res = await gateway.admin('app-unusable', { api_key });
        expect({ api_key, status: res.status, body: await res.json() }).toEqual({ api_key, ...invalidBody });
      }
      // A key of every other visible ASCII character is taken, and works.
      const usable = 'abc!#$%&*+-.^_`|~0123456789';
      expect((await gateway.admin('app-usable', { api_key: usable })).status).toBe(200);
      const res = await fetch(`${gateway.url}/api/v1/sessions`, {
        method: 'POST',
        headers: { 'x-app-id': 'app-usable', 'x-api-key': usable },
      });
      expect(res.status).toBe(201);
    });

    it('refuses a room name that is not well-formed Unicode, and keeps two names apart', async () => {
      for (const name of ['r-\ud800', 'r-\udbff', '\udc00-r', 'r-\ud83d']) {
        expect({ name, answer: await gateway.call('POST', '/api/v1/conferences', { name }) }).toEqual({
          name,
          answer: invalidBody,
        });
      }
      const first = await gateway.room('r-😀');
      const second = await gateway.room('r-😁');
      expect(first).not.toBe(second);
      expect((await gateway.call('GET', `/api/v1/conferences/${first}`)).body).toMatchObject({
        name: 'r-😀',
      });
    });

    it('answers CONNECT with the catalog 400, as any method node refuses', async () => {
      const answer = await rawRequest(gateway.port, 'CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n');
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer).toContain('"success":false');
    });

    // Express's router cannot parse it and skips every middleware: its final handler answered HTML 404.
    it('answers a target no router can parse in the page JSON format', async () => {
      const answer = await rawRequest(
        gateway.port,
        'GET http://[::1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      );
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer).toContain('"success":false');
      expect(answer).not.toContain('<pre>');
    });
  });
}

describe('seed 003 on Redis: a room past its day', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await gatewayOn('redis');
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it("frees the name of a room whose day is over, and the name's new room is the one found", async () => {
    const first = await gateway.room('standup');
    expect(await gateway.call('POST', '/api/v1/conferences', { name: 'standup' })).toMatchObject({
      status: 409,
      body: { room_id: first },
    });
    // The day is over for the room: Redis drops it.
    expect(await gateway.redis!.pexpire(`gateway:room:${first}`, 1)).toBe(1);
    const deadline = Date.now() + 5000;
    while ((await gateway.redis!.exists(`gateway:room:${first}`)) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await gateway.call('GET', `/api/v1/conferences/${first}`)).toMatchObject({ status: 404 });
    const second = await gateway.room('standup');
    expect(second).not.toBe(first);
    expect(await gateway.call('POST', '/api/v1/conferences', { name: 'standup' })).toMatchObject({
      status: 409,
      body: { room_id: second },
    });
  });

  it("keeps nothing in Redis past its time but the apps' configuration", async () => {
    const uuid = await gateway.session();
    const kept = await gateway.room('kept');
    const stopped = await gateway.room('stopped');
    expect(await gateway.command(uuid, 'conference/join', { room_id: kept })).toMatchObject({ status: 200 });
    expect(await gateway.command(uuid, 'mute')).toMatchObject({ status: 200 });
    expect((await gateway.call('POST', `/api/v1/conferences/${stopped}/stop`)).status).toBe(200);
    const keys = await gateway.redis!.keys('gateway:*');
    const forever: string[] = [];
    for (const key of keys)
      if (!key.startsWith('gateway:app:') && (await gateway.redis!.pttl(key)) === -1) forever.push(key);
    expect(forever).toEqual([]);
    expect(keys.some((key) => key.includes(kept))).toBe(true);
  });
});

describe('seed 003: what a refused request costs in the log', () => {
  it(`logs a refused request's URL cut to ${maxLoggedUrl} characters, and a 429 not at all`, async () => {
    const gateway = await gatewayOn('memory', { ipRate: 5 });
    try {
      const path = `/api/v1/sessions/${'a'.repeat(15_000)}`;
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) {
        const res = await fetch(`${gateway.url}${path}`, { headers: { 'x-app-id': 'app-a' } });
        await res.arrayBuffer();
        statuses.push(res.status);
      }
      const refused = statuses.filter((status) => status === 429).length;
      expect(refused).toBeGreaterThan(20);
      expect(gateway.log.map((line) => line.status)).toEqual(statuses.filter((status) => status !== 429));
      for (const line of gateway.log) {
        expect(line.url!.length).toBeLessThanOrEqual(maxLoggedUrl + 1);
        expect(line.url!.startsWith('/api/v1/sessions/aaaa')).toBe(true);
      }
      expect(JSON.stringify(gateway.log).length).toBeLessThan(30 * 1024);
    } finally {
      await gateway.stop();
    }
  });
});

describe('seed 003 server.ts: keys from the environment', () => {
  it('refuses to start with a key no request could present', async () => {
    const envs: Record<string, string>[] = [
      { DEMO_API_KEY: 'abcdefgh,ijklmnopqr' },
      { DEMO_API_KEY: ' abcdefghijklmnopq ' },
      { ADMIN_API_KEY: 'ключключключключключ' },
    ];
    for (const env of envs) {
      const { code, output } = await runGateway(env);
      expect({ env, code }).toEqual({ env, code: 1 });
      expect(output).toMatch(/^seed 003: .*no request could present it/m);
    }
    // A server that starts is killed by runGateway after 30 s: the test waits for that, never leaving one.
  }, 100_000);
});
