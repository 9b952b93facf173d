/**
 * Seed 001: sessions are the connector's to mint, and the store's bounds were store-wide, so one connector
 * could take every session slot (the others then got the page's 500) and push every other connector's
 * replay history out. Each connector now has its share: SESSIONS_PER_CONNECTOR live sessions, answered
 * past it with the page's 429 and a Retry-After, in memory and on Redis; and in memory
 * HISTORY_BYTES_PER_CONNECTOR of history, which a connector's own sessions give up first.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { type SeedProcess, secret, startSeed } from './harness.js';
import { connect, type Socket } from './ws.js';

const share = 3;
const idleMs = 4000;
const adminKey = secret();
const demoToken = `ct_${randomBytes(16).toString('hex')}`;
let redis: RedisServer;
let memory: SeedProcess;
let onRedis: SeedProcess;
/** Seeds whose sessions keep at most 3000 bytes of history each. */
let smallMemory: SeedProcess;
let smallRedis: SeedProcess;

const json = async (res: Response) => ({ status: res.status, headers: res.headers, body: await res.text() });

/** A connector of `seed` made through the admin routes: its token and host. */
async function connector(seed: SeedProcess, host: string) {
  const res = await fetch(`${seed.url}/admin/connectors`, {
    method: 'POST',
    headers: { 'x-admin-api-key': adminKey, 'content-type': 'application/json' },
    body: JSON.stringify({ host }),
  });
  expect(res.status).toBe(201);
  const { token } = (await res.json()) as { token: string };
  return { token, host };
}

async function accessToken(seed: SeedProcess, c: { token: string; host: string }) {
  const res = await fetch(`${seed.url}/api/v1/access-token`, {
    method: 'POST',
    headers: { 'x-token': c.token, 'x-host': c.host },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

const createSession = (seed: SeedProcess, access: string) =>
  fetch(`${seed.url}/api/v1/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${access}` },
  }).then(json);

async function open(seed: SeedProcess, access: string): Promise<{ id: string; socket: Socket }> {
  const made = await createSession(seed, access);
  expect(made.status, made.body).toBe(200);
  const id = (JSON.parse(made.body) as { session_id: string }).session_id;
  const answer = await connect(`${seed.wsUrl}/api/v1/ws?session_id=${id}&access_token=${access}`);
  if ('kind' in answer) throw new Error(`handshake refused: ${answer.status} ${answer.body}`);
  return { id, socket: answer };
}

beforeAll(async () => {
  redis = await startRedis();
  const common = {
    ADMIN_API_KEY: adminKey,
    DEMO_CONNECTOR_TOKEN: demoToken,
    SESSIONS_PER_CONNECTOR: String(share),
    SESSION_IDLE_MS: String(idleMs),
    MESSAGE_RATE: '1000',
  };
  [memory, onRedis, smallMemory, smallRedis] = await Promise.all([
    startSeed('001', { ...common, HISTORY_BYTES_PER_CONNECTOR: '8000', MAX_HISTORY_BYTES: '100000' }),
    startSeed('001', { ...common, REDIS_URL: redis.url }),
    startSeed('001', { ...common, HISTORY_BYTES_PER_SESSION: '3000' }),
    startSeed('001', { ...common, HISTORY_BYTES_PER_SESSION: '3000', REDIS_URL: redis.url }),
  ]);
}, 90_000);

afterAll(async () => {
  await Promise.all([memory?.stop(), onRedis?.stop(), smallMemory?.stop(), smallRedis?.stop()]);
  await redis?.stop();
});

describe.each([
  ['memory', () => memory],
  ['Redis', () => onRedis],
])('seed 001 on %s: SESSIONS_PER_CONNECTOR', (_name, seedOf) => {
  it("answers a connector past its share the page's 429 with Retry-After, while another connector still gets sessions", {
    timeout: 30_000,
  }, async () => {
    const seed = seedOf();
    const greedy = await accessToken(seed, await connector(seed, 'greedy.example'));
    for (let i = 0; i < share; i++) expect((await createSession(seed, greedy)).status).toBe(200);
    const refused = await createSession(seed, greedy);
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body)).toEqual({
      error: 'Rate limit exceeded — check the Retry-After header for when to retry',
    });
    // The first of its sessions expires within the idle time: that is when a place frees.
    const retry = Number(refused.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(Math.ceil(idleMs / 1000));
    // Another tenant is not refused for what this one holds.
    const other = await accessToken(seed, await connector(seed, 'other.example'));
    expect((await createSession(seed, other)).status).toBe(200);
    // Once the greedy connector's sessions expire, it is admitted again (bounded wait).
    await sleep(idleMs + 500);
    expect((await createSession(seed, greedy)).status).toBe(200);
  });

  it('counts a session ended by the client out of the share at once', { timeout: 30_000 }, async () => {
    const seed = seedOf();
    const access = await accessToken(seed, await connector(seed, 'ending.example'));
    const opened = [];
    for (let i = 0; i < share; i++) opened.push(await open(seed, access));
    expect((await createSession(seed, access)).status).toBe(429);
    const { socket } = opened[0]!;
    socket.send({ type: 'EVENT_TYPE_END_SESSION' });
    await socket.closed();
    expect((await createSession(seed, access)).status).toBe(200);
    for (const { socket: s } of opened.slice(1)) s.ws.close();
  });

  it('keeps a session the connector uses in its share past the idle time of its creation', {
    timeout: 30_000,
  }, async () => {
    const seed = seedOf();
    const access = await accessToken(seed, await connector(seed, 'busy.example'));
    const sessions = [];
    for (let i = 0; i < share; i++) sessions.push(await open(seed, access));
    // Activity for longer than the idle time: each message is a write that gives the session its time again.
    for (let round = 0; round < 6; round++) {
      for (const { socket } of sessions)
        socket.send({ type: 'EVENT_TYPE_USER_MESSAGE', text: `ping ${round}` });
      for (const { socket } of sessions) await socket.next((m) => m.type === 'EVENT_TYPE_SYSTEM_MESSAGE');
      await sleep(idleMs / 4);
    }
    // Every session is alive, so none of them freed a place.
    expect((await createSession(seed, access)).status).toBe(429);
    for (const { socket } of sessions) socket.ws.close();
  });
});

describe('seed 001 in memory: HISTORY_BYTES_PER_CONNECTOR', () => {
  it("trims a connector's own oldest history past its share, never another connector's", {
    timeout: 30_000,
  }, async () => {
    const text = 'y'.repeat(1000);
    const quiet = await accessToken(memory, await connector(memory, 'quiet.example'));
    const loud = await accessToken(memory, await connector(memory, 'loud.example'));
    const talk = async (access: string, count: number) => {
      const { id, socket } = await open(memory, access);
      for (let i = 0; i < count; i++) socket.send({ type: 'EVENT_TYPE_USER_MESSAGE', text });
      for (let i = 0; i < count; i++) await socket.next((m) => m.type === 'EVENT_TYPE_SYSTEM_MESSAGE');
      socket.ws.close();
      return id;
    };
    const replayed = async (access: string, id: string) => {
      const again = await connect(`${memory.wsUrl}/api/v1/ws?session_id=${id}&access_token=${access}`);
      if ('kind' in again) throw new Error(`refused: ${again.status}`);
      const cursors: number[] = [];
      try {
        for (let i = 0; i < 100; i++) cursors.push((await again.next(undefined, 300)).cursor);
      } catch {
        // No more events within 300 ms: the replay is complete.
      }
      again.ws.close();
      return cursors;
    };
    const kept = await talk(quiet, 5);
    // About 1 KiB per event: the loud connector sends 20 KiB against its 8,000 bytes.
    const older = await talk(loud, 10);
    const newer = await talk(loud, 10);
    expect(await replayed(quiet, kept)).toEqual([1, 2, 3, 4, 5]);
    const newest = await replayed(loud, newer);
    expect(newest.length).toBeGreaterThan(0);
    expect(newest.length).toBeLessThan(10);
    // Its older session gave up its events first, and what is left of the newer one is its newest events.
    expect(await replayed(loud, older)).toEqual([]);
    expect(newest).toEqual(Array.from({ length: newest.length }, (_, i) => 10 - newest.length + i + 1));
  });
});

describe.each([
  ['memory', () => smallMemory],
  ['Redis', () => smallRedis],
])('seed 001 on %s: HISTORY_BYTES_PER_SESSION', (_name, seedOf) => {
  it("keeps a session's newest events within its bytes, its oldest going first", {
    timeout: 30_000,
  }, async () => {
    const seed = seedOf();
    const access = await accessToken(seed, await connector(seed, 'chatty.example'));
    const { id, socket } = await open(seed, access);
    // About 1 KiB per event: 10 of them against 3000 bytes.
    for (let i = 0; i < 10; i++) socket.send({ type: 'EVENT_TYPE_USER_MESSAGE', text: 'z'.repeat(1000) });
    for (let i = 0; i < 10; i++) await socket.next((m) => m.type === 'EVENT_TYPE_SYSTEM_MESSAGE');
    socket.ws.close();
    const again = await connect(`${seed.wsUrl}/api/v1/ws?session_id=${id}&access_token=${access}`);
    if ('kind' in again) throw new Error(`refused: ${again.status}`);
    const cursors: number[] = [];
    try {
      for (let i = 0; i < 20; i++) cursors.push((await again.next(undefined, 300)).cursor);
    } catch {
      // No more events within 300 ms: the replay is complete.
    }
    again.ws.close();
    expect(cursors.length).toBeGreaterThan(0);
    expect(cursors.length).toBeLessThan(4);
    expect(cursors).toEqual(Array.from({ length: cursors.length }, (_, i) => 10 - cursors.length + i + 1));
  });

  it('refuses a message id longer than 256 characters as an invalid event', { timeout: 30_000 }, async () => {
    const seed = seedOf();
    const access = await accessToken(seed, await connector(seed, 'ids.example'));
    const { socket } = await open(seed, access);
    socket.send({ type: 'EVENT_TYPE_USER_MESSAGE', id: 'i'.repeat(257), text: 'hi' });
    const refused = await socket.next((m) => m.type === 'EVENT_TYPE_SYSTEM_MESSAGE');
    expect(refused.system_message.message).toBe('Unknown event type or invalid message format');
    socket.ws.close();
  });
});
