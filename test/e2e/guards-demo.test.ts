import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { type AddressInfo, createServer } from 'node:net';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemo } from '../../demo/app.js';
import { close, listen } from '../helpers/http.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { freePort, startCommand } from '../helpers/spawn.js';

// The apps' keys, made per run: the demo takes no key written in the repository.
const demoKey = randomBytes(24).toString('base64url');
const guardKey = randomBytes(24).toString('base64url');
const { server } = createDemo({ logger: false, apps: { 'demo-app': demoKey } });
let base = '';
let redis: RedisServer;
beforeAll(async () => {
  base = await listen(server);
  redis = await startRedis();
});
afterAll(async () => {
  await close(server);
  await redis?.stop();
});

const auth = { 'x-app-id': 'guard-app', 'x-api-key': guardKey };
// The app of `npm start`'s demo: limits count only requests that authenticated.
const known = { 'x-app-id': 'demo-app', 'x-api-key': demoKey };

async function post(url: string, json: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(json),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

describe('the demo guards', () => {
  it('sends the RateLimit fields of its per-IP, per-app and daily policies, in the order they run', async () => {
    const response = await fetch(`${base}/v1/sessions/none`, { headers: known });
    expect(response.headers.get('ratelimit-policy')).toBe(
      '"per-ip";q=1200;w=60, "per-app";q=600;w=60, "daily";q=100000;w=86400',
    );
    // A request that did not authenticate spent the per-IP limit alone: its refusal says so, and carries
    // no app's fields.
    const refused = await fetch(`${base}/v1/sessions/none`, { headers: auth });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('ratelimit')).toMatch(/^"per-ip";r=\d+;t=\d+$/);
    expect(refused.headers.get('ratelimit-policy')).toBe('"per-ip";q=1200;w=60');
    const health = await fetch(`${base}/health`);
    expect(health.headers.get('ratelimit-policy')).toBe('"per-ip";q=1200;w=60');
  });

  it('replays a POST with the same Idempotency-Key and answers 422 for another body', async () => {
    const demo = createDemo({ logger: false, apps: { 'guard-app': guardKey } });
    const url = await listen(demo.server);
    const first = await post(`${url}/v1/sessions`, { from: 'a', to: 'b' }, { 'idempotency-key': '"s-1"' });
    const again = await post(`${url}/v1/sessions`, { to: 'b', from: 'a' }, { 'idempotency-key': '"s-1"' });
    expect(first.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(demo.state.sessions.size).toBe(1);
    const reused = await post(`${url}/v1/sessions`, { from: 'x', to: 'b' }, { 'idempotency-key': '"s-1"' });
    expect(reused.status).toBe(422);

    // Media commands of one session cool down for a second.
    const id = first.body.id as string;
    const play = { urls: ['https://example.com/a.wav'] };
    expect((await post(`${url}/v1/sessions/${id}/commands/answer`, {})).status).toBe(200);
    expect((await post(`${url}/v1/sessions/${id}/commands/play`, play)).status).toBe(200);
    const cooling = await post(`${url}/v1/sessions/${id}/commands/play`, play);
    expect(cooling.status).toBe(429);
    expect(cooling.headers.get('retry-after')).toBe('1');
    // A query string or a percent-encoded segment names the same command: neither skips the cooldown.
    expect((await post(`${url}/v1/sessions/${id}/commands/play?again=1`, play)).status).toBe(429);
    expect((await post(`${url}/v1/sessions/${id}/commands/pl%61y`, play)).status).toBe(429);
    await close(demo.server);
  });

  it('replays the retry of a command inside its cooldown, and lets the retry of a refused one run', async () => {
    const demo = createDemo({ logger: false, apps: { 'guard-app': guardKey } });
    const url = await listen(demo.server);
    const session = await post(`${url}/v1/sessions`, { from: 'a', to: 'b' });
    const id = session.body.id as string;
    expect((await post(`${url}/v1/sessions/${id}/commands/answer`, {})).status).toBe(200);
    const play = { urls: ['https://example.com/a.wav'] };
    const key = { 'idempotency-key': '"play-1"' };
    const first = await post(`${url}/v1/sessions/${id}/commands/play`, play, key);
    expect(first.status).toBe(200);
    // A client that lost the answer retries at once, inside the second the media group cools down for.
    const retry = await post(`${url}/v1/sessions/${id}/commands/play`, play, key);
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);
    // A command the cooldown refuses leaves its key free: its retry is refused again, never replayed a 429.
    const other = { 'idempotency-key': '"play-2"' };
    const cooling = await post(`${url}/v1/sessions/${id}/commands/play`, play, other);
    expect(cooling.status).toBe(429);
    const again = await post(`${url}/v1/sessions/${id}/commands/play`, play, other);
    expect(again.status).toBe(429);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    await close(demo.server);
  });

  it('keeps its guard state in Redis when started with REDIS_URL', async () => {
    const port = await freePort();
    // The helper passes this process's environment on.
    const saved = { ...process.env };
    Object.assign(process.env, { REDIS_URL: redis.url, DEMO_API_KEY: demoKey });
    const started = await startCommand('npx', ['tsx', 'demo/server.ts'], port).finally(() => {
      process.env = saved;
    });
    try {
      const response = await fetch(`http://127.0.0.1:${port}/v1/sessions/none`, { headers: known });
      expect(response.headers.get('ratelimit')).toContain('"per-app";r=599');
      const client = new Redis(redis.port, '127.0.0.1');
      expect((await client.keys('demo:*')).length).toBeGreaterThan(0);
      client.disconnect();
    } finally {
      started.stop();
    }
  });

  it('writes no ioredis "Unhandled error event" to stderr while its Redis is unreachable', async () => {
    // A Redis that resets every connection: each attempt is a connection error for the demo's client.
    let attempts = 0;
    const refuser = createServer((socket) => {
      attempts++;
      socket.resetAndDestroy();
    });
    await new Promise<void>((done) => refuser.listen(0, '127.0.0.1', done));
    const { port: redisPort } = refuser.address() as AddressInfo;
    const child = spawn('npx', ['tsx', 'demo/server.ts'], {
      cwd: resolve(import.meta.dirname, '../..'),
      env: {
        ...process.env,
        PORT: String(await freePort()),
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        DEMO_API_KEY: demoKey,
      },
      detached: true,
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    try {
      // The client reconnects after each error it emits: by a third attempt, two were emitted (and written).
      const deadline = Date.now() + 30_000;
      while (attempts < 3 && Date.now() < deadline) await new Promise((done) => setTimeout(done, 50));
      expect(attempts).toBeGreaterThanOrEqual(3);
      expect(stderr).not.toContain('Unhandled error event');
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
      refuser.close();
    }
  });
});
