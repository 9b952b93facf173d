/**
 * A connection to Redis that drops after Redis ran a decision and before its reply came back (a network
 * blip, a proxy's reset, CLIENT KILL). ioredis sends what was left unanswered again on reconnect; with that
 * off, the command fails instead. Either way the request is decided once: a resend gets the reply it was
 * given (no second spend, no cooldown or claim refused by its own ghost), and a request answered 503 leaves
 * nothing behind (no budget spent, no lease held, no key locked), as README's "What a store outage does"
 * says. Real redis-server, a TCP proxy that holds replies and drops the connection, a node:http app.
 */
import { createServer, type Server } from 'node:http';
import { concurrency, cooldown, type Guard, idempotency, quota, rateLimit } from 'faultline/guards';
import { createNodeErrors, guard } from 'faultline/node';
import { redisSend, redisStore } from 'faultline/stores';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, listen } from '../helpers/http.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { type ReplyProxy, replyProxy } from '../helpers/redis-faults.js';

let redis: RedisServer;
const servers: Server[] = [];
const clients: Redis[] = [];
const proxies: ReplyProxy[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await Promise.all([...servers.map(close), ...proxies.map((p) => p.close())]);
  await redis?.stop();
});

const who = (r: { url?: string | undefined }) =>
  new URL(r.url ?? '/', 'http://x').searchParams.get('who') ?? undefined;

/** An app whose routes each run one guard on a store reached through a proxy, with `options` for ioredis. */
async function app(options: RedisOptions) {
  const proxy = await replyProxy(redis);
  proxies.push(proxy);
  const client = new Redis(proxy.port, '127.0.0.1', options);
  clients.push(client);
  await new Promise((ready) => client.once('ready', ready));
  const prefix = `drop-${Math.random().toString(36).slice(2)}:`;
  const store = redisStore({
    send: redisSend(client),
    prefix,
    logger: { error: () => {}, info: () => {} },
  });
  const guards: Record<string, Guard> = {
    '/rate': rateLimit({ key: who, limit: 5, period: '1m', store, storeTimeout: 1000 }),
    '/quota': quota({ key: who, limit: 5, per: 'day', store, storeTimeout: 1000 }),
    '/cooldown': cooldown({ key: who, group: 'g', interval: '1m', store, storeTimeout: 1000 }),
    '/lease': concurrency({ key: who, limit: 1, store, storeTimeout: 1000 }),
    '/once': idempotency({ tenant: () => 't', store, storeTimeout: 1000, lockTtl: '1m' }),
  };
  const errors = createNodeErrors({ onError: false });
  const server = createServer(
    errors((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      return guard(guards[path]!)((_q, r) => {
        r.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      })(req, res);
    }),
  );
  servers.push(server);
  const base = await listen(server);
  const call = async (path: string, key = 'k') => {
    const res = await fetch(`${base}${path}?who=${key}`, {
      method: path === '/once' ? 'POST' : 'GET',
      headers: path === '/once' ? { 'idempotency-key': `"${key}"`, 'content-type': 'application/json' } : {},
      ...(path === '/once' ? { body: '{"a":1}' } : {}),
    });
    await res.arrayBuffer();
    return { status: res.status, ratelimit: res.headers.get('ratelimit') };
  };
  /** Every route called at once while the replies are held, then the connection dropped under them. */
  const dropped = async () => {
    for (const path of Object.keys(guards)) await call(path, 'warm'); // the scripts are loaded
    proxy.holdReplies = 300;
    const answers = Promise.all(Object.keys(guards).map((path) => call(path)));
    // Long enough for Redis to have run every decision, well within the replies' hold.
    await new Promise((resume) => setTimeout(resume, 150));
    proxy.drop();
    proxy.holdReplies = 0;
    return Object.fromEntries((await answers).map((answer, i) => [Object.keys(guards)[i]!, answer]));
  };
  /** The quota's count of the key `k`, read from Redis directly. */
  const used = async () => {
    const admin = new Redis(redis.port, '127.0.0.1');
    try {
      return Number((await admin.hget(`${prefix}q:{5-per-day:k}`, 'u')) ?? 0);
    } finally {
      admin.disconnect();
    }
  };
  return { call, dropped, used };
}

describe('a connection to Redis dropped with the replies of decisions it ran', { timeout: 60_000 }, () => {
  it('decides each request once when ioredis sends the commands again', async () => {
    const { call, dropped } = await app({});
    const first = await dropped();
    for (const answer of Object.values(first)) expect(answer.status).toBe(200);
    expect(first['/rate']!.ratelimit).toMatch(/;r=4;/);
    expect(first['/quota']!.ratelimit).toMatch(/;r=4;/);
    // The key's claim was its own: the retry replays, never a 409 locked by the first request's ghost.
    expect((await call('/once')).status).toBe(200);
    expect((await call('/rate')).ratelimit).toMatch(/;r=3;/);
  });

  it.each([
    ['without the resend', { autoResendUnfulfilledCommands: false }],
    ['without the offline queue', { maxRetriesPerRequest: 0, enableOfflineQueue: false }],
  ])('leaves nothing behind a request answered 503 (%s)', async (_name, options) => {
    const { call, dropped, used } = await app(options);
    const first = await dropped();
    expect(Object.values(first).map((answer) => answer.status)).toEqual([503, 503, 503, 503, 503]);
    // What the decisions applied is given back once the connection is up again (bounded wait).
    for (let i = 0; i < 100 && (await used()) > 0; i++)
      await new Promise((resume) => setTimeout(resume, 100));
    expect(await used()).toBe(0);
    expect((await call('/quota')).ratelimit).toMatch(/;r=4;/);
    expect((await call('/cooldown')).status).toBe(200);
    expect((await call('/lease')).status).toBe(200);
    expect((await call('/once')).status).toBe(200);
  });
});

describe('a lease Redis lost while its holder still runs', { timeout: 60_000 }, () => {
  it('is taken again at its next renewal, so that a newcomer is still refused', async () => {
    const client = new Redis(redis.port, '127.0.0.1');
    clients.push(client);
    const prefix = `lost-${Math.random().toString(36).slice(2)}:`;
    const store = redisStore({
      send: redisSend(client),
      prefix,
      logger: { error: () => {}, info: () => {} },
    });
    let finish: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const lease = guard(concurrency({ key: () => 'k', limit: 1, ttl: '600ms', store }));
    const server = createServer(
      createNodeErrors({ onError: false })(
        lease(async (_req, res) => {
          await held;
          res.writeHead(200).end('done');
        }),
      ),
    );
    servers.push(server);
    const base = await listen(server);
    const first = fetch(base);
    const count = () => client.zcard(`${prefix}c:{concurrency:k}`);
    for (let i = 0; i < 100 && (await count()) === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await count()).toBe(1);
    // Redis loses its data (a restart without persistence): the holder is still running.
    await client.del(`${prefix}c:{concurrency:k}`);
    for (let i = 0; i < 100 && (await count()) === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await count()).toBe(1);
    expect((await fetch(base)).status).toBe(429);
    finish();
    expect((await first).status).toBe(200);
    expect((await fetch(base)).status).toBe(200);
  });
});

describe('a give-back whose own reply is lost', { timeout: 60_000 }, () => {
  it('is applied once when ioredis sends it again', async () => {
    const proxy = await replyProxy(redis);
    proxies.push(proxy);
    const client = new Redis(proxy.port, '127.0.0.1');
    clients.push(client);
    await new Promise((ready) => client.once('ready', ready));
    const prefix = `undo-${Math.random().toString(36).slice(2)}:`;
    const store = redisStore({ send: redisSend(client), prefix });
    const bounds = [Date.now() - 1000, Date.now() + 3_600_000];
    const spend = { limit: 10, cost: 1, bounds };
    for (let i = 0; i < 3; i++) await store.quota('k', spend);
    // A decision the guard gives up on before its reply comes: the store gives it back when the reply does.
    proxy.holdReplies = 300;
    const deadline = { at: Date.now() + 5000, abandoned: false };
    const late = store.quota('k', spend, deadline);
    deadline.abandoned = true;
    await late;
    // The give-back has run in Redis; its reply is held. The connection drops, and ioredis sends it again.
    await new Promise((resume) => setTimeout(resume, 150));
    proxy.drop();
    proxy.holdReplies = 0;
    const admin = new Redis(redis.port, '127.0.0.1');
    clients.push(admin);
    const used = async () => Number(await admin.hget(`${prefix}q:{k}`, 'u'));
    // Bounded wait for the resend after the reconnect.
    for (let i = 0; i < 30 && (await used()) !== 3; i++)
      await new Promise((resume) => setTimeout(resume, 100));
    await new Promise((resume) => setTimeout(resume, 500));
    expect(await used()).toBe(3);
  });
});
