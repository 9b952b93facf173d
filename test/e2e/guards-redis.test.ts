import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../helpers/redis.js';

const root = resolve(import.meta.dirname, '../..');
const children: ChildProcess[] = [];
let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await redis?.stop();
});

interface App {
  url: string;
  child: ChildProcess;
  stderr: () => string;
}

function startApp(env: Record<string, string>): Promise<App> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=faultline-source', 'test/e2e/guards-server.ts'],
    {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
  });
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`app did not start in 20 s: ${err}`)), 20_000);
    child.stdout!.once('data', (d: Buffer) => {
      clearTimeout(timer);
      ok({ url: String(d).trim(), child, stderr: () => err });
    });
    child.once('exit', (code) => fail(new Error(`app exited with ${code}: ${err}`)));
  });
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 128 });

function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; timeout?: number } = {},
): Promise<Answer> {
  return new Promise((ok, fail) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        agent,
        timeout: options.timeout ?? 15_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeout ?? 15_000} ms`)));
    req.on('error', fail);
    req.end(options.body);
  });
}

function tally(answers: Answer[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const answer of answers) counts[answer.status] = (counts[answer.status] ?? 0) + 1;
  return counts;
}

// Heavy loads on a shared machine: each test gets two minutes, every loop inside is bounded.
describe('exactness under concurrency', { timeout: 120_000 }, () => {
  it('admits exactly 1 000 of 10 000 concurrent requests across two processes sharing one Redis', async () => {
    const env = { STORE: 'redis', REDIS_PORT: String(redis.port), PREFIX: `x-${randomUUID()}:` };
    const [a, b] = await Promise.all([startApp(env), startApp(env)]);
    const answers = await Promise.all(
      Array.from({ length: 10_000 }, (_, i) => send(`${(i % 2 ? a : b).url}/limited`)),
    );
    expect(tally(answers)).toEqual({ 200: 1000, 429: 9000 });
    const denied = answers.find((r) => r.status === 429)!;
    expect(Number(denied.headers['retry-after'])).toBeGreaterThan(0);
    a.child.kill();
    b.child.kill();
  });

  it('admits exactly 1 000 of 10 000 concurrent requests on the memory store', async () => {
    const app = await startApp({ STORE: 'memory' });
    const answers = await Promise.all(Array.from({ length: 10_000 }, () => send(`${app.url}/limited`)));
    expect(tally(answers)).toEqual({ 200: 1000, 429: 9000 });
    app.child.kill();
  });
});

describe('idempotency across processes', { timeout: 120_000 }, () => {
  it('executes 100 concurrent duplicate POSTs once; every other answer is the replay or a 409', async () => {
    const prefix = `i-${randomUUID()}:`;
    const env = { STORE: 'redis', REDIS_PORT: String(redis.port), PREFIX: prefix };
    const [a, b] = await Promise.all([startApp(env), startApp(env)]);
    const post = (url: string, key: string, body: string) =>
      send(url, {
        method: 'POST',
        headers: { 'idempotency-key': `"${key}"`, 'content-type': 'application/json' },
        body,
      });
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        post(`${(i % 2 ? a : b).url}/orders`, 'order-1', '{"item":"x","qty":1}'),
      ),
    );
    const client = new Redis(redis.port, '127.0.0.1');
    expect(await client.get(`${prefix}executions`)).toBe('1');
    const created = answers.filter((r) => r.status === 201);
    const fresh = created.filter((r) => r.headers['idempotent-replayed'] === undefined);
    expect(fresh).toHaveLength(1);
    for (const replay of created) expect(replay.body).toBe(fresh[0]!.body);
    expect(created.length + answers.filter((r) => r.status === 409).length).toBe(100);

    // After completion, both processes replay; the same key with another payload is 422.
    const later = await Promise.all(
      [a, b].map((app) => post(`${app.url}/orders`, 'order-1', '{ "qty": 1, "item": "x" }')),
    );
    for (const answer of later) {
      expect(answer.status).toBe(201);
      expect(answer.headers['idempotent-replayed']).toBe('true');
      expect(answer.body).toBe(fresh[0]!.body);
    }
    const otherBody = await post(`${b.url}/orders`, 'order-1', '{"item":"y","qty":1}');
    const otherPath = await post(`${a.url}/refunds`, 'order-1', '{"item":"x","qty":1}');
    const otherMethod = await send(`${a.url}/orders`, {
      method: 'PATCH',
      headers: { 'idempotency-key': '"order-1"', 'content-type': 'application/json' },
      body: '{"item":"x","qty":1}',
    });
    for (const reused of [otherBody, otherPath, otherMethod]) {
      expect(reused.status).toBe(422);
      expect(JSON.parse(reused.body).code).toBe('IDEMPOTENCY_KEY_REUSED');
    }
    expect(await client.get(`${prefix}executions`)).toBe('1');
    client.disconnect();
    a.child.kill();
    b.child.kill();
  });
});

describe('Redis outage', { timeout: 120_000 }, () => {
  it('answers every request by the failure policy while Redis is down, and resumes after a restart', async () => {
    const base = {
      STORE: 'redis',
      REDIS_PORT: String(redis.port),
      PREFIX: `f-${randomUUID()}:`,
      STORE_TIMEOUT: '300',
    };
    const [closed, open] = await Promise.all([
      startApp({ ...base, POLICY: 'closed' }),
      startApp({ ...base, POLICY: 'open' }),
    ]);
    const hit = (app: App) => send(`${app.url}/limited`, { timeout: 5000 });
    expect((await hit(closed)).status).toBe(200);

    // Load in flight while the server is killed by pid.
    const during = Array.from({ length: 200 }, (_, i) => hit(i % 2 ? closed : open));
    await redis.kill();
    const after = await Promise.all(Array.from({ length: 200 }, (_, i) => hit(i % 2 ? closed : open)));
    await Promise.all(during);
    const closedAnswers = after.filter((_, i) => i % 2 === 1);
    const openAnswers = after.filter((_, i) => i % 2 === 0);
    expect(new Set(closedAnswers.map((r) => r.status))).toEqual(new Set([503]));
    expect(JSON.parse(closedAnswers[0]!.body).code).toBe('STORE_UNAVAILABLE');
    expect(closedAnswers[0]!.headers['retry-after']).toBe('5');
    expect(new Set(openAnswers.map((r) => r.status))).toEqual(new Set([200]));

    await redis.restart();
    let resumed = false;
    for (let attempt = 0; attempt < 100 && !resumed; attempt++) {
      resumed = (await hit(closed)).status === 200;
      if (!resumed) await new Promise((r) => setTimeout(r, 100));
    }
    expect(resumed).toBe(true);
    for (const app of [closed, open]) {
      expect(app.child.exitCode).toBeNull();
      expect(app.stderr()).not.toMatch(/unhandled|Error:/i);
    }
    closed.child.kill();
    open.child.kill();
  });
});
