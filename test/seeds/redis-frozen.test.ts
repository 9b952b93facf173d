/**
 * The shipped servers of the seeds that keep state in Redis, on a real redis-server frozen with SIGSTOP: a
 * request that reaches Redis gets its catalog 500 within the client's bound (the seeds' commandTimeout),
 * never a hang for as long as Redis is frozen. Seed 002's SDK events are the path: it has no guard in
 * front of its Redis write whose own store timeout would answer first.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { whileFrozen } from '../helpers/redis-faults.js';
import { type SeedProcess, startSeed } from './harness.js';

const ownerPassword = randomBytes(12).toString('base64url');
let redis: RedisServer;
let seed: SeedProcess;

beforeAll(async () => {
  redis = await startRedis();
  seed = await startSeed('002', { OWNER_PASSWORD: ownerPassword, REDIS_URL: redis.url });
}, 60_000);
afterAll(async () => {
  await seed?.stop();
  await redis?.stop();
});

const post = (path: string, headers: Record<string, string>, body?: unknown) =>
  fetch(`${seed.url}${path}`, {
    method: 'POST',
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    // The bound of this test, far past the seed's: a hang shows as an abort, not as a slow pass.
    signal: AbortSignal.timeout(15_000),
  });

describe('seed 002 on a frozen Redis', () => {
  it('answers an SDK event 500 while Redis is frozen, and 202 once it answers again', {
    timeout: 60_000,
  }, async () => {
    const login = await post('/api/auth/login', {}, { email: 'owner@example.com', password: ownerPassword });
    const { token } = (await login.json()) as { token: string };
    const made = await post('/api/api-keys', { authorization: `Bearer ${token}` });
    expect(made.status, await made.clone().text()).toBe(201);
    const { key } = (await made.json()) as { key: string };
    const send = () => post('/api/sdk/events', { 'x-api-key': key }, { events: [{ type: 'page_view' }] });
    expect((await send()).status).toBe(202);
    const frozen = await whileFrozen(redis, async () => {
      const res = await send();
      return { status: res.status, body: await res.text() };
    });
    expect(frozen.status).toBe(500);
    expect(JSON.parse(frozen.body)).toMatchObject({ error: { code: 'INTERNAL_ERROR' } });
    expect(frozen.body).not.toContain('timed out');
    // Once it answers again, so does the seed.
    let after = 0;
    for (let i = 0; i < 50 && after !== 202; i++) after = (await send()).status;
    expect(after).toBe(202);
  });
});
