/**
 * The `Retry-After` of a handshake refused for the connection limit says when a slot frees: the soonest
 * deadline (idle timeout, maximum duration) of the connections holding the key on this instance. Live
 * connections renew their leases, so a lease's expiry says nothing about it; it is the answer only when
 * the holders are on another instance, whose deadlines this one cannot see.
 */
import { randomUUID } from 'node:crypto';
import { redisSend, redisStore } from 'faultline/stores';
import type { WsErrorsOptions } from 'faultline/ws';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { authenticate, catalog } from './ws-fixtures.js';
import { refusal, type Seen, type Served, serve, watch } from './ws-helpers.js';

const path = '/?session_id=s1&access_token=good';
const opened: Served<any>[] = [];
const sockets: Seen[] = [];

afterAll(async () => {
  for (const seen of sockets) seen.socket.terminate();
  for (const served of opened) await served.close();
});

/** An endpoint with one connection per session and the given limits. */
async function endpoint(limits: NonNullable<WsErrorsOptions['limits']>): Promise<Served<any>> {
  const served = await serve<any>({
    errors: { catalog, logger: false },
    authenticate,
    on: { ping: (_message, conn) => conn.send({ type: 'pong' }) },
    limits,
  });
  opened.push(served);
  return served;
}

/** Opens the connection that holds the session's one slot. */
async function holder(url: string): Promise<Seen> {
  const seen = watch(url + path);
  sockets.push(seen);
  await seen.opened;
  return seen;
}

/** The `Retry-After` seconds of the second handshake of the session, which the limit refuses. */
async function retryAfter(url: string): Promise<number> {
  const refused = await refusal(url + path);
  expect(refused.status).toBe(429);
  expect(JSON.parse(refused.body).code).toBe('CONNECTION_LIMIT_EXCEEDED');
  const header = refused.headers['retry-after'];
  expect(header, 'a 429 carries Retry-After').toMatch(/^\d+$/);
  return Number(header);
}

describe('ws: the connection limit’s Retry-After reflects when a slot frees', () => {
  it('idle timeout 5 s: the second handshake is told at most 5 s, not the 90 s lease', async () => {
    const served = await endpoint({ idleTimeout: 5_000, connections: { max: 1 } });
    await holder(served.url);
    const wait = await retryAfter(served.url);
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(5);
  });

  it('maximum duration 3 s with a connection that keeps talking (its idle deadline moves on): at most 3 s', async () => {
    const served = await endpoint({ idleTimeout: 60_000, maxDuration: 3_000, connections: { max: 1 } });
    const seen = await holder(served.url);
    for (let i = 0; i < 3; i++) {
      seen.socket.send(JSON.stringify({ type: 'ping' }));
      expect(await seen.next()).toEqual({ type: 'pong' });
    }
    const wait = await retryAfter(served.url);
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(3);
  });

  it('no deadline configured: two heartbeats, the time a dead holder takes to be dropped', async () => {
    const served = await endpoint({ heartbeat: 2_000, connections: { max: 1, ttl: 60_000 } });
    await holder(served.url);
    const wait = await retryAfter(served.url);
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(4);
  });

  it('a lease that expires before any deadline: the lease’s answer, the smaller of the two', async () => {
    const served = await endpoint({ idleTimeout: 60_000, connections: { max: 1, ttl: 30_000 } });
    await holder(served.url);
    const wait = await retryAfter(served.url);
    expect(wait).toBeGreaterThan(5);
    expect(wait).toBeLessThanOrEqual(30);
  });
});

describe('ws: Retry-After of a connection limit shared on Redis', () => {
  let redis: RedisServer;
  let client: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  }, 30_000);
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });

  it('the holder on another instance: this one cannot see its deadlines and answers the lease’s expiry', async () => {
    // Two instances: each its own store object on the one Redis, as two processes have.
    const prefix = `t${randomUUID().slice(0, 8)}:`;
    const limitsOf = () => ({
      idleTimeout: 5_000,
      connections: { max: 1, ttl: 30_000, store: redisStore({ send: redisSend(client), prefix }) },
    });
    const a = await endpoint(limitsOf());
    const b = await endpoint(limitsOf());
    await holder(a.url);
    // On the holder's instance, its idle deadline; on the other, the lease (renewed every 10 s, so 20–30 s).
    expect(await retryAfter(a.url)).toBeLessThanOrEqual(5);
    const wait = await retryAfter(b.url);
    expect(wait).toBeGreaterThan(5);
    expect(wait).toBeLessThanOrEqual(30);
  });
});
