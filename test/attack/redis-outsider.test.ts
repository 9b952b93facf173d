/**
 * An outsider against the guards on Redis: real apps (node adapter, Express) on 127.0.0.1 and real
 * redis-servers, hung (SIGSTOP) and resumed mid-request, killed (SIGKILL) and restarted, slowed by a
 * proxy that holds every reply, filled to `maxmemory` under `noeviction`, given keys of hostile content
 * and keys of another type, raced by two instances, and driven with clocks that disagree. For each: the
 * client sees a catalog error with its status (never a crash, a stack or a hang past the store timeout),
 * and nothing is spent, locked or held once the answer is out. Anchors: rate-limit-redis (a decision
 * counts only through a checked script reply), the IETF idempotency-key draft and Stripe (one execution
 * per key; a key is locked only while its request runs), RFC 9457 (problem details, no internals).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';
import express from 'express';
import { createExpressErrors, guard as expressGuard } from 'faultline/express';
import { concurrency, type Guard, idempotency, quota, rateLimit } from 'faultline/guards';
import { createNodeErrors, guard, readJson, sendJson } from 'faultline/node';
import { redisSend, redisStore, type Store } from 'faultline/stores';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { close, listen } from '../helpers/http.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { freeze, thaw } from '../helpers/redis-faults.js';

let redis: RedisServer;
const servers: Server[] = [];
const clients: Redis[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(() => {
  // A failed case must not leave the shared server frozen for the next one.
  thaw(redis);
});
afterAll(async () => {
  for (const server of servers) await close(server);
  for (const client of clients) client.disconnect();
  for (const cleanup of cleanups) await cleanup();
  await redis?.stop();
});

const quiet = { error: () => {}, info: () => {} };

function clientOf(port: number, options: RedisOptions = {}): Redis {
  const client = new Redis(port, '127.0.0.1', options);
  client.on('error', () => {});
  clients.push(client);
  return client;
}

function storeOn(client: Redis, prefix = `out-${randomUUID()}:`): Store {
  return redisStore({ send: redisSend(client), prefix, logger: quiet });
}

/** A gate a handler waits on, and a signal that a request has reached the handler. */
function gate() {
  let open!: () => void;
  let entered!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const reached = new Promise<void>((resolve) => {
    entered = resolve;
  });
  /** Holds the request (with idempotency key `key`, if given) until `open`, and signals its arrival. */
  const hold = (req: IncomingMessage, key?: string) => {
    if (key !== undefined && req.headers['idempotency-key'] !== `"${key}"`) return undefined;
    entered();
    return opened;
  };
  return { open, reached, hold };
}

interface App {
  url: string;
  executed: () => number;
  /** The most handlers that ran at once. */
  peak: () => number;
}

type Hold = (req: IncomingMessage) => Promise<void> | undefined;

/** A node-adapter app running `guards`, then a handler that counts, optionally waits, and answers JSON. */
async function serve(guards: Guard[], hold?: Hold, maxHeaderSize?: number): Promise<App> {
  let executed = 0;
  let running = 0;
  let peak = 0;
  const errors = createNodeErrors({ onError: false });
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    executed++;
    running++;
    peak = Math.max(peak, running);
    try {
      if (req.method === 'POST') await readJson(req);
      await hold?.(req);
      sendJson(res, req.method === 'POST' ? 201 : 200, { n: executed });
    } finally {
      running--;
    }
  };
  const server = createServer({ maxHeaderSize }, errors(guard(...guards)(handler)));
  servers.push(server);
  return { url: await listen(server), executed: () => executed, peak: () => peak };
}

function hit(url: string, init: RequestInit = {}): Promise<Response> {
  // Bounded: a guard that hangs past its store timeout fails the test instead of stalling it.
  return fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
}

function post(url: string, key: string, headers: Record<string, string> = {}): Promise<Response> {
  return hit(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': `"${key}"`, ...headers },
    body: JSON.stringify({ item: 'x' }),
  });
}

async function statuses(responses: Promise<Response>[]): Promise<number[]> {
  return Promise.all(
    responses.map(async (pending) => {
      const res = await pending;
      await res.arrayBuffer();
      return res.status;
    }),
  );
}

async function inTurn(count: number, send: () => Promise<Response>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(...(await statuses([send()])));
  return out;
}

/** Checks a refusal as the outsider sees it: the catalog's 503, a problem document, no internals. */
async function expectUnavailable(res: Response, hidden: readonly string[] = []): Promise<void> {
  const text = await res.text();
  expect(res.status, text).toBe(503);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(JSON.parse(text)).toMatchObject({ status: 503, code: 'STORE_UNAVAILABLE' });
  for (const secret of ['    at ', 'Error:', 'ReplyError', 'EVALSHA', ...hidden])
    expect(text).not.toContain(secret);
}

/** A header value carrying any string as JSON with every non-ASCII unit escaped (as a claims header). */
function claims(sub: string): string {
  return JSON.stringify({ sub }).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function subOf(request: { headers?: unknown }): string | undefined {
  const headers = request.headers as { get?: (name: string) => string | null } & Record<string, unknown>;
  const value = typeof headers?.get === 'function' ? headers.get('x-claims') : headers?.['x-claims'];
  return typeof value === 'string' ? (JSON.parse(value) as { sub: string }).sub : undefined;
}

describe('keys of hostile content', { timeout: 60_000 }, () => {
  // Distinct callers whose keys an encoding could merge: hash-tag braces and their escapes, control
  // characters, two normal forms, lone surrogates of two values and the replacement character, and a
  // megabyte. Each is its own caller: a budget of one unit each, spent by its first request only.
  const keys = [
    '{victim}',
    '%7Bvictim%7D',
    'victim',
    '}victim{',
    '%',
    '%25',
    'vic\ntim',
    'vic\r\ntim',
    'vic\0tim',
    'vic\u2028tim',
    'caf\u00e9',
    'cafe\u0301',
    '\ud800',
    '\udbff',
    '\udc00',
    '\ufffd',
    '%ud800',
    'a\ud83d\ude00',
    'x'.repeat(1_000_000),
  ];

  it('each key of 19 hostile ones (braces, escapes, CR LF, NUL, two normal forms, lone surrogates, 1 MB) is its own caller on Redis, as on the memory store (rate-limit-redis: one key, one budget)', async () => {
    const app = await serve(
      [
        rateLimit({
          key: subOf,
          limit: 1,
          period: '1h',
          store: storeOn(clientOf(redis.port)),
          storeTimeout: 2000,
        }),
      ],
      undefined,
      4 * 1024 * 1024,
    );
    const first: number[] = [];
    for (const key of keys)
      first.push(...(await statuses([hit(app.url, { headers: { 'x-claims': claims(key) } })])));
    const second: number[] = [];
    for (const key of keys)
      second.push(...(await statuses([hit(app.url, { headers: { 'x-claims': claims(key) } })])));
    // Before: '\udbff' and '\udc00' met the unit '\ud800' had spent (all three are U+FFFD in UTF-8).
    expect(first).toEqual(keys.map(() => 200));
    expect(second).toEqual(keys.map(() => 429));
  });

  it("an idempotency tenant of a lone surrogate never replays another tenant's answer (IETF idempotency-key draft: keys are scoped to their client)", async () => {
    const store = storeOn(clientOf(redis.port));
    let served = 0;
    const errors = createNodeErrors({ onError: false });
    const server = createServer(
      errors(
        guard(idempotency({ tenant: (r) => subOf(r) ?? '', store, storeTimeout: 2000 }))(async (req, res) => {
          await readJson(req);
          sendJson(res, 201, { tenant: subOf(req), n: ++served });
        }),
      ),
    );
    servers.push(server);
    const url = await listen(server);
    const a = await post(url, 'same', { 'x-claims': claims('\ud800') });
    const b = await post(url, 'same', { 'x-claims': claims('\udc00') });
    expect([a.status, b.status]).toEqual([201, 201]);
    // Before: the second tenant got the first one's answer, replayed.
    expect(b.headers.get('idempotent-replayed')).toBeNull();
    expect(((await b.json()) as { n: number }).n).toBe(2);
    expect(((await a.json()) as { n: number }).n).toBe(1);
  });
});

describe('clocks that disagree with Redis', { timeout: 60_000 }, () => {
  const day = 86_400_000;
  const realNow = Date.now.bind(Date);
  let skew = 0;
  beforeAll(() => {
    // This process's clock as a host whose clock is off would have it; Redis keeps its own.
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + skew);
  });
  afterAll(() => {
    vi.restoreAllMocks();
  });
  afterEach(() => {
    skew = 0;
  });

  it.each([
    ['3 days behind', -3 * day],
    ['3 days ahead', 3 * day],
    ['10 minutes behind', -600_000],
  ])(
    'an instance whose clock is %s never admits more than its daily quota of 3, nor more than its hourly rate of 3 (rate-limit-redis: the store clock decides)',
    async (_, by) => {
      skew = by;
      const store = storeOn(clientOf(redis.port));
      const perDay = await serve([
        quota({ key: () => 'victim', limit: 3, per: 'day', store, storeTimeout: 2000 }),
      ]);
      const perHour = await serve([
        rateLimit({ key: () => 'victim', limit: 3, period: '1h', store, storeTimeout: 2000 }),
      ]);
      const daily = await inTurn(8, () => hit(perDay.url));
      // Before, 3 days behind: the period Redis picked had ended, its counter expired at once, all 8 got 200.
      expect(daily.filter((status) => status === 200).length).toBeLessThanOrEqual(3);
      expect(daily.every((status) => status === 200 || status === 429 || status === 503)).toBe(true);
      expect(await inTurn(5, () => hit(perHour.url))).toEqual([200, 200, 200, 429, 429]);
    },
  );

  it('two instances, one of them 3 days ahead, share a daily quota of 3: together they admit at most 3 (a quota is one count, whoever counts)', async () => {
    // Two stores (each keeps its own view of the Redis clock), two guards, one key.
    const guards = [0, 1].map(() =>
      quota({
        key: () => 'shared',
        limit: 3,
        per: 'day',
        store: storeOn(clientOf(redis.port), 'skewed:'),
        storeTimeout: 2000,
      }),
    );
    const apps = [await serve([guards[0]!]), await serve([guards[1]!])];
    const seen: number[] = [];
    for (let i = 0; i < 10; i++) {
      skew = i % 2 === 0 ? 0 : 3 * day;
      seen.push(...(await statuses([hit(apps[i % 2]!.url)])));
    }
    // Before: each instance counted in a period of its own and reset the other's count: all 10 got 200.
    expect(seen.filter((status) => status === 200).length).toBeLessThanOrEqual(3);
    expect(seen.every((status) => status === 200 || status === 429 || status === 503)).toBe(true);
  });
});

describe('keys of another type under the same name', { timeout: 60_000 }, () => {
  it("a string, hash or list where each guard keeps another type: the catalog's 503 without internals, other callers unharmed, the outage logged with its cause (RFC 9457: a problem, no stack)", async () => {
    const admin = clientOf(redis.port);
    const prefix = `typed-${randomUUID()}:`;
    const errors: unknown[] = [];
    const store = redisStore({
      send: redisSend(clientOf(redis.port)),
      prefix,
      logger: { error: (record) => errors.push(record.cause), info: () => {} },
    });
    const of = (r: { url?: string }) =>
      new URL(r.url ?? '/', 'http://x').searchParams.get('who') ?? undefined;
    const apps = {
      rate: await serve([rateLimit({ key: of, limit: 5, period: '1h', store })]),
      quota: await serve([quota({ key: of, limit: 5, per: 'day', store })]),
      lease: await serve([concurrency({ key: of, limit: 2, store })]),
      once: await serve([idempotency({ tenant: of as (r: unknown) => string, store })]),
    };
    const send = (app: App, who: string) =>
      app === apps.once ? post(`${app.url}/?who=${who}`, `k-${who}`) : hit(`${app.url}/?who=${who}`);
    // Where each guard keeps the probe's state, then the victim's under the same shape of name (the
    // names are as long, as the tenant's length is part of an idempotency key).
    for (const app of Object.values(apps))
      expect((await statuses([send(app, 'probe')]))[0]).toBeLessThan(300);
    // A released lease leaves no key: the lease's name is the prefix, `c:` and the guard's name. The reply a
    // spend keeps for a few seconds, to decide it once, is no state of the guard's.
    const kept = (await admin.keys(`${prefix}*`)).filter((name) => !name.includes(':once:'));
    const names = [...kept, `${prefix}c:{concurrency:probe}`];
    expect(names).toHaveLength(4);
    for (const name of names) {
      const victim = name.replaceAll('probe', 'vctim');
      const type = await admin.type(name);
      if (type === 'string') await admin.hset(victim, 'x', '1');
      else if (type === 'hash') await admin.set(victim, 'not a hash');
      else await admin.set(victim, 'not a sorted set');
    }
    for (const app of Object.values(apps))
      await expectUnavailable(await send(app, 'vctim'), [prefix, 'WRONGTYPE']);
    expect(errors.length).toBeGreaterThan(0);
    expect(String(errors[0])).toMatch(/WRONGTYPE/);
    for (const app of Object.values(apps))
      expect((await statuses([send(app, 'other')]))[0]).toBeLessThan(300);
  });
});

/** An Express app running `guards` before a handler that counts and waits on `hold`. */
async function serveExpress(guards: Guard[], hold: Hold): Promise<App> {
  let executed = 0;
  let running = 0;
  let peak = 0;
  const errors = createExpressErrors({ onError: false });
  const app = express();
  app.use(express.json());
  app.all('/{*path}', expressGuard(...guards), async (req, res, next) => {
    executed++;
    running++;
    peak = Math.max(peak, running);
    try {
      await hold(req);
      res.status(req.method === 'POST' ? 201 : 200).json({ n: executed });
    } catch (error) {
      next(error);
    } finally {
      running--;
    }
  });
  app.use(errors.handler);
  const server = createServer(app);
  servers.push(server);
  return { url: await listen(server), executed: () => executed, peak: () => peak };
}

/** Whether `url` answers 200 within 20 tries 50 ms apart. */
async function eventually200(url: string): Promise<boolean> {
  for (let attempt = 0; attempt < 20; attempt++) {
    if ((await statuses([hit(url)]))[0] === 200) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

describe('two instances on one Redis racing', { timeout: 60_000 }, () => {
  const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 150));

  it('30 POSTs with one idempotency key across a node and an Express instance: one execution, the rest 409 or the replay, and the key replays after (Stripe: one execution per key)', async () => {
    const prefix = `race-${randomUUID()}:`;
    const once = () =>
      idempotency({ tenant: () => 'shop', store: storeOn(clientOf(redis.port), prefix), storeTimeout: 2000 });
    const apps = [await serve([once()], pause), await serveExpress([once()], pause)];
    const seen = await statuses(Array.from({ length: 30 }, (_, i) => post(apps[i % 2]!.url, 'pay-1')));
    expect(apps[0]!.executed() + apps[1]!.executed()).toBe(1);
    expect(seen.filter((status) => status === 201).length).toBeGreaterThanOrEqual(1);
    expect(seen.every((status) => status === 201 || status === 409)).toBe(true);
    for (const app of apps) {
      const replay = await post(app.url, 'pay-1');
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      await replay.arrayBuffer();
    }
  });

  it('30 requests for one concurrency slot across a node and an Express instance: never two at once, the rest 429, and the slot is free after (a lease is held only while its request runs)', async () => {
    const prefix = `slot-${randomUUID()}:`;
    const slot = () =>
      concurrency({
        key: () => 'one',
        limit: 1,
        store: storeOn(clientOf(redis.port), prefix),
        storeTimeout: 2000,
      });
    let running = 0;
    let peak = 0;
    const counted: Hold = async () => {
      running++;
      peak = Math.max(peak, running);
      await pause();
      running--;
    };
    const apps = [await serve([slot()], counted), await serveExpress([slot()], counted)];
    const seen = await statuses(Array.from({ length: 30 }, (_, i) => hit(apps[i % 2]!.url)));
    expect(peak).toBe(1);
    expect(seen.filter((status) => status === 200).length).toBeGreaterThanOrEqual(1);
    expect(seen.every((status) => status === 200 || status === 429)).toBe(true);
    // The winner's lease goes back when its response has finished, which the client may see first: an
    // instance of the two can answer 429 for a moment, never for long.
    for (const app of apps) expect(await eventually200(app.url)).toBe(true);
  });

  it('a client that waits for each answer before the next request never meets its own slot, on node or Express (a lease is held only while its request runs)', async () => {
    for (const make of [serve, serveExpress]) {
      const store = storeOn(clientOf(redis.port));
      const app = await make(
        [concurrency({ key: () => 'me', limit: 1, store, storeTimeout: 2000 })],
        async () => {},
      );
      // Before: the lease went back to Redis after the answer, so the next request could find it held.
      expect(await inTurn(100, () => hit(app.url))).toEqual(Array(100).fill(200));
    }
  });
});

describe('Redis hung or killed in the middle of a request', { timeout: 60_000 }, () => {
  it('hung (SIGSTOP) while a POST holds its lease and key: its 201 goes out, others get 503, and once resumed the key replays and the slot is free (Stripe: one execution per key)', async () => {
    const client = clientOf(redis.port);
    const store = storeOn(client);
    const held = gate();
    const app = await serve(
      [
        concurrency({ key: () => 'me', limit: 1, store, storeTimeout: 300 }),
        idempotency({ tenant: () => 'shop', store, storeTimeout: 300 }),
      ],
      (req) => held.hold(req, 'mid-1'),
    );
    const first = post(app.url, 'mid-1');
    await held.reached;
    freeze(redis);
    try {
      held.open();
      const answered = await first;
      expect(answered.status).toBe(201);
      await answered.arrayBuffer();
      await expectUnavailable(await post(app.url, 'mid-2'));
    } finally {
      thaw(redis);
    }
    expect(await client.ping()).toBe('PONG');
    const replay = await post(app.url, 'mid-1');
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    await replay.arrayBuffer();
    expect(await statuses([post(app.url, 'mid-2')])).toEqual([201]);
    expect(app.executed()).toBe(2);
  });

  it('killed (SIGKILL) while a POST holds its lease and key, then restarted empty: its 201 goes out, requests meanwhile get 503 within the store timeout, and none of them spent the rate budget once it is back (rate-limit-redis: a refused request spends nothing)', async () => {
    const crash = await startRedis();
    cleanups.push(() => crash.stop());
    // ioredis as most apps leave it: commands queue while disconnected and are resent on reconnect.
    const store = storeOn(clientOf(crash.port));
    const held = gate();
    const limited = await serve([
      rateLimit({ key: () => 'me', limit: 3, period: '1h', store, storeTimeout: 300 }),
    ]);
    const app = await serve(
      [
        concurrency({ key: () => 'me', limit: 1, store, storeTimeout: 300 }),
        idempotency({ tenant: () => 'shop', store, storeTimeout: 300 }),
      ],
      (req) => held.hold(req, 'dead-1'),
    );
    const first = post(app.url, 'dead-1');
    await held.reached;
    await crash.kill();
    held.open();
    const answered = await first;
    expect(answered.status).toBe(201);
    await answered.arrayBuffer();
    for (let i = 0; i < 5; i++) await expectUnavailable(await hit(limited.url));
    await expectUnavailable(await post(app.url, 'dead-2'));
    await crash.restart();
    let back = 503;
    for (let attempt = 0; attempt < 50 && back === 503; attempt++) {
      back = (await statuses([post(app.url, 'dead-2')]))[0]!;
      if (back === 503) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(back).toBe(201);
    // The five refused GETs were queued by the client and ran on the new server: late, they spent nothing.
    expect(await inTurn(4, () => hit(limited.url))).toEqual([200, 200, 200, 429]);
    // The record of dead-1 died with the server (no persistence): its retry runs, it is not locked out.
    expect(await statuses([post(app.url, 'dead-1')])).toEqual([201]);
  });
});

/** A TCP proxy to Redis that holds every reply `delay` ms, in order: a slow server, or a slow link. */
async function slowProxy(port: number) {
  let pending = 0;
  const sockets = new Set<Socket>();
  const proxy: TcpServer = createTcpServer((downstream) => {
    const upstream = connect(port, '127.0.0.1');
    sockets.add(downstream).add(upstream);
    let last = 0;
    downstream.pipe(upstream);
    upstream.on('data', (chunk) => {
      pending++;
      const at = Math.max(last, Date.now() + state.delay);
      last = at;
      setTimeout(() => {
        pending--;
        if (!downstream.destroyed) downstream.write(chunk);
      }, at - Date.now());
    });
    const end = () => {
      upstream.destroy();
      downstream.destroy();
    };
    upstream.on('error', end).on('close', end);
    downstream.on('error', end).on('close', end);
  });
  const state = { delay: 0, port: 0, pending: () => pending };
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  state.port = (proxy.address() as { port: number }).port;
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
  });
  return state;
}

describe('a Redis that answers slowly', { timeout: 60_000 }, () => {
  it('replies held 400 ms against a store timeout of 150 ms: every guard answers 503 in time, and what the late replies applied is undone: budgets full, the slot free, the key free (rate-limit-redis: a refused request spends nothing)', async () => {
    const proxy = await slowProxy(redis.port);
    const client = clientOf(proxy.port);
    const store = storeOn(client);
    const options = { store, storeTimeout: 150 };
    const apps = {
      rate: await serve([rateLimit({ key: () => 'me', limit: 3, period: '1h', ...options })]),
      quota: await serve([quota({ key: () => 'me', limit: 3, per: 'day', ...options })]),
      slot: await serve([concurrency({ key: () => 'me', limit: 1, ...options })]),
      once: await serve([idempotency({ tenant: () => 'shop', ...options })]),
    };
    expect(await client.ping()).toBe('PONG');
    proxy.delay = 400;
    for (const app of [apps.rate, apps.quota, apps.slot]) {
      for (const res of await Promise.all(Array.from({ length: 4 }, () => hit(app.url))))
        await expectUnavailable(res);
    }
    await expectUnavailable(await post(apps.once.url, 'slow-1'));
    proxy.delay = 0;
    // Every late reply is in and its undo sent; a PING after them answers after the undos ran.
    for (let round = 0; round < 2; round++) {
      for (let wait = 0; wait < 200 && proxy.pending() > 0; wait++)
        await new Promise((r) => setTimeout(r, 20));
      expect(await client.ping()).toBe('PONG');
    }
    expect(await inTurn(4, () => hit(apps.rate.url))).toEqual([200, 200, 200, 429]);
    expect(await inTurn(4, () => hit(apps.quota.url))).toEqual([200, 200, 200, 429]);
    expect(await inTurn(2, () => hit(apps.slot.url))).toEqual([200, 200]);
    expect(await statuses([post(apps.once.url, 'slow-1')])).toEqual([201]);
    expect(apps.once.executed()).toBe(1);
  });

  it('a client that retries a 503 at once on another instance finds neither the slot nor the key the slow decision took: each is undone when the guard gives up, not when the late reply comes (IETF idempotency-key draft: a request answered without its key never locks it)', async () => {
    const proxy = await slowProxy(redis.port);
    const prefix = `out-${randomUUID()}:`;
    const slow = storeOn(clientOf(proxy.port), prefix);
    const direct = storeOn(clientOf(redis.port), prefix);
    const slotOn = (store: Store) =>
      serve([concurrency({ key: () => 'me', limit: 1, store, storeTimeout: 150 })]);
    const onceOn = (store: Store) => serve([idempotency({ tenant: () => 'shop', store, storeTimeout: 150 })]);
    const [slotA, slotB, onceA, onceB] = [
      await slotOn(slow),
      await slotOn(direct),
      await onceOn(slow),
      await onceOn(direct),
    ];
    // Scripts loaded first: a NOSCRIPT reply held by the link would leave nothing applied to undo.
    expect(await statuses([hit(slotA.url), post(onceA.url, 'warm')])).toEqual([200, 201]);
    proxy.delay = 1000;
    await expectUnavailable(await hit(slotA.url));
    // Before: the lease and the claim held until the late reply, a second on: 429 and 409 with Retry-After.
    expect(await statuses([hit(slotB.url)])).toEqual([200]);
    await expectUnavailable(await post(onceA.url, 'retry-1'));
    expect(await statuses([post(onceB.url, 'retry-1')])).toEqual([201]);
    expect(onceA.executed() + onceB.executed()).toBe(2);
    proxy.delay = 0;
  });

  it('after the script cache is emptied (a restart, a failover, SCRIPT FLUSH) behind a 2 ms link: a client that waits for each answer meets neither its own slot nor its own key in flight (IETF idempotency-key draft: a completed request replays)', async () => {
    const proxy = await slowProxy(redis.port);
    const client = clientOf(proxy.port);
    const store = storeOn(client);
    const slot = await serve([concurrency({ key: () => 'me', limit: 1, store, storeTimeout: 2000 })]);
    const once = await serve([idempotency({ tenant: () => 'shop', store, storeTimeout: 2000 })]);
    proxy.delay = 2;
    const seen: number[] = [];
    const replays: (string | null)[] = [];
    for (let round = 0; round < 5; round++) {
      await clientOf(redis.port).script('FLUSH');
      seen.push(...(await inTurn(2, () => hit(slot.url))));
      await statuses([post(once.url, `flushed-${round}`)]);
      const again = await post(once.url, `flushed-${round}`);
      await again.arrayBuffer();
      seen.push(again.status);
      replays.push(again.headers.get('idempotent-replayed'));
    }
    // Before: the release (and the completion) found no script, and was sent again by EVAL one round trip
    // later, after the client's next request had met the lease (429) or the key still in flight (409).
    expect(seen).toEqual(
      Array(15)
        .fill(201)
        .map((_, i) => (i % 3 === 2 ? 201 : 200)),
    );
    expect(replays).toEqual(Array(5).fill('true'));
  });
});

/**
 * Fills a Redis under `maxmemory` until even a small write is refused (OOM): large values first, then
 * smaller ones, since a large one is refused while its own bytes sit in the query buffer.
 */
async function fill(admin: Redis): Promise<boolean> {
  let n = 0;
  let refused = false;
  for (const size of [65_536, 4096, 256, 16]) {
    const value = 'x'.repeat(size);
    refused = false;
    for (let i = 0; i < 2000 && !refused; i++) {
      refused = await admin.set(`fill:${n++}`, value).then(
        () => false,
        (error: unknown) => /OOM/.test(String(error)),
      );
    }
  }
  return refused;
}

describe('a full Redis (maxmemory, noeviction)', { timeout: 60_000 }, () => {
  it('refuses every write: each guard answers 503 and spends nothing, a lease taken before is given back, and once there is room the budgets are whole (rate-limit-redis: a refused request spends nothing)', async () => {
    const full = await startRedis(['--maxmemory', '4mb', '--maxmemory-policy', 'noeviction']);
    cleanups.push(() => full.stop());
    const admin = clientOf(full.port);
    const store = storeOn(clientOf(full.port));
    const held = gate();
    const options = { store, storeTimeout: 2000 };
    const apps = {
      rate: await serve([rateLimit({ key: () => 'me', limit: 3, period: '1h', ...options })]),
      quota: await serve([quota({ key: () => 'me', limit: 3, per: 'day', ...options })]),
      slot: await serve([concurrency({ key: () => 'me', limit: 1, ...options })], (req) =>
        req.headers['x-hold'] ? held.hold(req) : undefined,
      ),
      once: await serve([idempotency({ tenant: () => 'shop', ...options })]),
    };
    // A request holds the only slot while Redis fills up.
    const holder = hit(apps.slot.url, { headers: { 'x-hold': '1' } });
    await held.reached;
    expect(await fill(admin)).toBe(true);
    for (const app of [apps.rate, apps.quota])
      await expectUnavailable(await hit(app.url), ['OOM', 'maxmemory']);
    await expectUnavailable(await post(apps.once.url, 'full-1'), ['OOM', 'maxmemory']);
    // The slot is held: the outsider is refused 429 (reading needs no room), not let in.
    expect(await statuses([hit(apps.slot.url)])).toEqual([429]);
    held.open();
    expect((await statuses([holder]))[0]).toBe(200);
    // Giving a lease back frees memory, which a full Redis allows: the slot is free although Redis is full.
    expect(await admin.ping()).toBe('PONG');
    expect(await admin.exists('fill:0')).toBe(1);
    const keys = await admin.keys('out-*');
    expect(keys.filter((key) => key.includes(':c:'))).toEqual([]);
    await admin.del(...(await admin.keys('fill:*')));
    expect(await inTurn(4, () => hit(apps.rate.url))).toEqual([200, 200, 200, 429]);
    expect(await inTurn(4, () => hit(apps.quota.url))).toEqual([200, 200, 200, 429]);
    expect(await statuses([post(apps.once.url, 'full-1')])).toEqual([201]);
    expect(apps.once.executed()).toBe(1);
  });

  it('a POST whose answer cannot be stored because Redis filled up meanwhile: its retry waits (409), it never runs twice while the lock lasts (Stripe: one execution per key)', async () => {
    const full = await startRedis(['--maxmemory', '4mb', '--maxmemory-policy', 'noeviction']);
    cleanups.push(() => full.stop());
    const admin = clientOf(full.port);
    const store = storeOn(clientOf(full.port));
    const held = gate();
    const app = await serve(
      [idempotency({ tenant: () => 'shop', store, storeTimeout: 2000, lockTtl: '30s' })],
      (req) => held.hold(req, 'fill-1'),
    );
    const first = post(app.url, 'fill-1');
    await held.reached;
    expect(await fill(admin)).toBe(true);
    held.open();
    expect((await statuses([first]))[0]).toBe(201);
    expect(await admin.ping()).toBe('PONG');
    const retry = await post(app.url, 'fill-1');
    expect(retry.status).toBe(409);
    expect(Number(retry.headers.get('retry-after'))).toBeGreaterThan(0);
    await retry.arrayBuffer();
    expect(app.executed()).toBe(1);
  });
});

describe('state no decision writes, left under the prefix', { timeout: 60_000 }, () => {
  it('an in-flight idempotency record without a TTL (restored by a migration that dropped TTLs) locks its key for lockTtl, not forever (IETF idempotency-key draft: a key is locked only while its request runs)', async () => {
    const admin = clientOf(redis.port);
    const prefix = `ghost-${randomUUID()}:`;
    const store = storeOn(clientOf(redis.port), prefix);
    const app = await serve([
      idempotency({
        tenant: () => 'shop',
        store,
        lockTtl: '1s',
        fingerprint: () => 'fp',
        storeTimeout: 2000,
      }),
    ]);
    await admin.hset(`${prefix}i:{4:shop:ghost-1}`, 'f', 'fp', 't', 'a-request-long-gone');
    const first = await post(app.url, 'ghost-1');
    expect(first.status).toBe(409);
    await first.arrayBuffer();
    let status = 409;
    for (let attempt = 0; attempt < 40 && status === 409; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await statuses([post(app.url, 'ghost-1')]))[0]!;
    }
    // Before: 409 with Retry-After: 1 on every attempt, for as long as the record stays.
    expect(status).toBe(201);
    expect(app.executed()).toBe(1);
  });

  it("a rate key holding a value no decision writes (inf, nan, with no TTL) is read as empty, not refused forever (rate-limit-redis: a caller's budget is its own)", async () => {
    const admin = clientOf(redis.port);
    const prefix = `inf-${randomUUID()}:`;
    const store = storeOn(clientOf(redis.port), prefix);
    const app = await serve([
      rateLimit({ name: 'p', key: () => 'me', limit: 2, period: '1h', store, storeTimeout: 2000 }),
    ]);
    for (const value of ['inf', 'nan', '-inf']) {
      await admin.set(`${prefix}r:{p:me}`, value);
      // Before: inf and nan made every decision reply numbers out of range: 503 for as long as the key stayed.
      expect(await inTurn(3, () => hit(app.url))).toEqual([200, 200, 429]);
    }
  });
});
