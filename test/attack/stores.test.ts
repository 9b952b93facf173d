/**
 * Attacks on the guards' stores under faults: a real redis-server frozen by its pid (SIGSTOP) while
 * requests are refused, then resumed (SIGCONT) so that every command queued meanwhile runs late; and an
 * authenticated client filling the memory store with large idempotent answers. Each case names the
 * attack and the promise of its anchor: the IETF idempotency-key draft and Stripe for idempotency (a
 * request that was not executed can be retried with the same key; a key is locked only while its first
 * request runs), rate-limit-redis for rate budgets (a decision counts only through a checked script
 * reply, so a refused request spends nothing).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import {
  concurrency,
  cooldown,
  type Guard,
  idempotency,
  quota,
  rateLimit,
  type StoreOptions,
} from 'faultline/guards';
import { createNodeErrors, guard, readJson, sendJson } from 'faultline/node';
import type { ErrorEvent } from 'faultline/server';
import { type MemoryStore, memoryStore, redisSend, redisStore, type Store } from 'faultline/stores';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { close, listen } from '../helpers/http.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { freeze, thaw, whileFrozen } from '../helpers/redis-faults.js';

let redis: RedisServer;
let client: Redis;
const servers: Server[] = [];

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.port, '127.0.0.1');
});
afterEach(() => {
  // A failed case must not leave the server frozen for the next one.
  thaw(redis);
});
afterAll(async () => {
  for (const server of servers) await close(server);
  client?.disconnect();
  await redis?.stop();
});

interface Logged {
  level: 'error' | 'info';
  record: Record<string, unknown>;
  message: string | undefined;
}

function recordingLogger() {
  const lines: Logged[] = [];
  return {
    lines,
    error: (record: Record<string, unknown>, message?: string) =>
      lines.push({ level: 'error', record, message }),
    info: (record: Record<string, unknown>, message?: string) =>
      lines.push({ level: 'info', record, message }),
  };
}

function freshStore(logger?: ReturnType<typeof recordingLogger>) {
  return redisStore({ send: redisSend(client), prefix: `atk-${randomUUID()}:`, logger });
}

// Every store call of these guards gives up after 150 ms and answers 503 (the `closed` default).
const fast: StoreOptions = { storeTimeout: 150 };

interface App {
  url: string;
  executed: () => number;
  events: ErrorEvent[];
}

async function serve(guards: Guard[], answer?: (body: unknown) => unknown): Promise<App> {
  let executed = 0;
  const events: ErrorEvent[] = [];
  const errors = createNodeErrors({ onError: (event) => events.push(event) });
  const server = createServer(
    errors(
      guard(...guards)(async (req, res) => {
        executed++;
        const body = req.method === 'POST' ? await readJson(req) : undefined;
        sendJson(res, req.method === 'POST' ? 201 : 200, answer ? answer(body) : { n: executed });
      }),
    ),
  );
  servers.push(server);
  return { url: await listen(server), executed: () => executed, events };
}

function hit(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
}

function post(url: string, key: string, body: unknown = { item: 'x' }): Promise<Response> {
  return hit(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': `"${key}"` },
    body: JSON.stringify(body),
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

/** Waits until every command sent before it on the store's connection has run: replies come in order. */
async function drained(): Promise<void> {
  expect(await client.ping()).toBe('PONG');
}

describe('stores under faults: a refused request leaves nothing behind', { timeout: 60_000 }, () => {
  const budgets: [string, (limit: number) => Guard][] = [
    [
      'the rate budget',
      (limit) => rateLimit({ key: () => 'victim', limit, period: '1h', store: freshStore(), ...fast }),
    ],
    [
      'the daily quota',
      (limit) => quota({ key: () => 'victim', limit, per: 'day', store: freshStore(), ...fast }),
    ],
  ];

  it.each(budgets)(
    'Redis frozen while 20 requests are refused 503: once resumed, their late scripts spent none of %s (rate-limit-redis: only a checked script reply counts, so a refused request spends nothing)',
    async (_, guardOf) => {
      const limit = 5;
      const app = await serve([guardOf(limit)]);
      const refused = await whileFrozen(redis, () =>
        statuses(Array.from({ length: 20 }, () => hit(`${app.url}/`))),
      );
      expect(refused).toEqual(Array(20).fill(503));
      await drained();

      const after: number[] = [];
      for (let i = 0; i <= limit; i++) after.push(...(await statuses([hit(`${app.url}/`)])));
      // Before: the 20 late scripts had spent the whole budget, every later request got 429.
      expect(after).toEqual([...Array(limit).fill(200), 429]);
      expect(app.executed()).toBe(limit);
    },
  );

  it('one policy of two hangs while 5 requests are refused 503: the unit the other policy took is given back (rate-limit-redis: a refused request spends nothing)', async () => {
    const memory = memoryStore();
    let broken = true;
    // A store whose decisions under one policy hang while `broken`, as one shard of a cluster would.
    const flaky: Store = {
      ...memory,
      kind: 'flaky',
      rate: (key, input) =>
        broken && key.startsWith('shard:') ? new Promise(() => {}) : memory.rate(key, input),
    };
    const app = await serve([
      rateLimit({
        policies: [
          { name: 'shard', key: () => 'victim', limit: 100, period: '1h' },
          { name: 'app', key: () => 'victim', limit: 3, period: '1h' },
        ],
        store: flaky,
        ...fast,
      }),
    ]);
    expect(await statuses(Array.from({ length: 5 }, () => hit(`${app.url}/`)))).toEqual(Array(5).fill(503));
    broken = false;
    const after: number[] = [];
    for (let i = 0; i < 4; i++) after.push(...(await statuses([hit(`${app.url}/`)])));
    // Before: the five refused requests had spent the three units of `app`.
    expect(after).toEqual([200, 200, 200, 429]);
  });

  it('Redis frozen while a cooldown and a concurrency lease are refused: neither is held once it resumes (rate-limit-redis: a refused request spends nothing)', async () => {
    const store = freshStore();
    const cool = await serve([cooldown({ key: () => 'victim', group: 'g', interval: '1h', store, ...fast })]);
    const leased = await serve([concurrency({ key: () => 'victim', limit: 1, ttl: '1m', store, ...fast })]);
    const refused = await whileFrozen(redis, () =>
      statuses([hit(`${cool.url}/`), hit(`${leased.url}/`), hit(`${leased.url}/`)]),
    );
    expect(refused).toEqual([503, 503, 503]);
    await drained();
    // Before: the late cooldown ran (429 for an hour) and a late lease held the only slot for a minute.
    expect(await statuses([hit(`${cool.url}/`)])).toEqual([200]);
    expect(await statuses([hit(`${leased.url}/`)])).toEqual([200]);
  });

  it('Redis frozen while an idempotent POST is refused 503: the retry with the same key executes, once (IETF idempotency-key draft and Stripe: a request that was not executed can be retried with the same key)', async () => {
    const app = await serve([idempotency({ tenant: () => 'shop', store: freshStore(), ...fast })]);
    const refused = await whileFrozen(redis, () => statuses([post(`${app.url}/orders`, 'order-1')]));
    expect(refused).toEqual([503]);
    expect(app.executed()).toBe(0);
    await drained();

    // Before: the late claim locked the key for lockTtl and this retry got 409 for a minute.
    const retry = await post(`${app.url}/orders`, 'order-1');
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    const replay = await post(`${app.url}/orders`, 'order-1');
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.json()).toEqual(await retry.json());
    expect(app.executed()).toBe(1);
  });

  it('Redis frozen: the outage is logged once with its cause, the recovery once, and onError sees the cause (an operator learns that the store is down)', async () => {
    const logger = recordingLogger();
    const app = await serve([
      rateLimit({ key: () => 'k', limit: 1000, period: '1h', store: freshStore(logger), ...fast }),
    ]);
    expect(await statuses([hit(`${app.url}/`)])).toEqual([200]);
    const refused = await whileFrozen(redis, () =>
      statuses(Array.from({ length: 10 }, () => hit(`${app.url}/`))),
    );
    expect(refused).toEqual(Array(10).fill(503));
    const down = logger.lines.filter((line) => line.level === 'error');
    expect(down).toHaveLength(1);
    expect(down[0]!.record.store).toBe('redis');
    expect(String(down[0]!.record.cause)).toMatch(/did not answer within 150 ms/);
    expect(app.events).toHaveLength(10);
    for (const event of app.events) {
      expect(event.error.code).toBe('STORE_UNAVAILABLE');
      expect(event.error.cause).toBeInstanceOf(Error);
      // What the guard threw (its role descriptor) carries the store's failure too.
      expect((event.thrown as Error).cause).toBeInstanceOf(Error);
    }

    // The recovery is logged once the store answers again, past a quiet second without failures.
    await drained();
    const refusedBy = Date.now();
    // Nothing asks the store for a second: the outage lasts until its first answer, not its last failure.
    await new Promise((r) => setTimeout(r, 1000));
    const askedAgain = Date.now();
    for (let attempt = 0; attempt < 40 && !logger.lines.some((l) => l.level === 'info'); attempt++) {
      expect(await statuses([hit(`${app.url}/`)])).toEqual([200]);
      await new Promise((r) => setTimeout(r, 100));
    }
    const up = logger.lines.filter((line) => line.level === 'info');
    expect(up).toHaveLength(1);
    expect(up[0]!.record).toMatchObject({ store: 'redis', failures: 10 });
    // The first failure came before `refusedBy`, the first answer after `askedAgain`.
    expect(up[0]!.record.downMs).toBeGreaterThanOrEqual(askedAgain - refusedBy);
    expect(logger.lines).toHaveLength(2);
  });

  it('Redis frozen, no logger given: one JSON line on stderr for the outage and one for the recovery (an outage is never silent)', async () => {
    const printed: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((line: unknown) => {
      printed.push(String(line));
    });
    try {
      const app = await serve([
        rateLimit({ key: () => 'k', limit: 1000, period: '1h', store: freshStore(), ...fast }),
      ]);
      await whileFrozen(redis, () => statuses(Array.from({ length: 5 }, () => hit(`${app.url}/`))));
      await drained();
      for (let attempt = 0; attempt < 40 && printed.length < 2; attempt++) {
        await statuses([hit(`${app.url}/`)]);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      spy.mockRestore();
    }
    const lines = printed.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 'error', store: 'redis' });
    expect(String(lines[0]!.cause)).toMatch(/did not answer/);
    expect(lines[1]).toMatchObject({ level: 'info', store: 'redis', failures: 5 });
  });
});

describe('store decisions that reach a frozen Redis after the caller gave up', { timeout: 30_000 }, () => {
  const hour = 3_600_000;
  const rate = { interval: hour, tolerance: hour, cost: 1 };
  const quota = () => ({ limit: 1, cost: 1, bounds: [Date.now() - 1000, Date.now() + hour] });

  /**
   * Runs `decide` against a frozen server with a deadline `ms` away, gives up after 200 ms, thaws it, and
   * resolves with what the caller would have seen once every command it caused has run.
   */
  async function lateDecision(decide: (deadline: { at: number; abandoned: boolean }) => unknown, ms: number) {
    const deadline = { at: Date.now() + ms, abandoned: false };
    freeze(redis);
    const pending = Promise.resolve(decide(deadline)).then(
      () => 'answered',
      () => 'refused',
    );
    await new Promise((r) => setTimeout(r, 200));
    deadline.abandoned = true;
    thaw(redis);
    const outcome = await pending;
    // An undo is sent as the late answer arrives: this PING runs after it.
    await drained();
    return outcome;
  }

  it.each([
    ['past its deadline: it runs late, applies nothing and fails', 100, 'refused'],
    ['before its deadline but answered after the caller gave up: it is undone', 60_000, 'answered'],
  ])(
    'rate, quota, lease and claim decisions queued %s; the state is untouched (rate-limit-redis: a refused request spends nothing; IETF idempotency-key draft: a key is locked only while its request runs)',
    async (_, ms, outcome) => {
      const store = freshStore();
      expect(await lateDecision((d) => store.rate('r', rate, d), ms)).toBe(outcome);
      expect(await lateDecision((d) => store.quota('q', quota(), d), ms)).toBe(outcome);
      expect(await lateDecision((d) => store.acquire('c', 'late-lease', 1, hour, d), ms)).toBe(outcome);
      expect(await lateDecision((d) => store.claim('i', 'fp', 'late-token', hour, d), ms)).toBe(outcome);
      expect((await store.rate('r', rate)).allowed).toBe(true);
      expect((await store.quota('q', quota())).allowed).toBe(true);
      expect((await store.acquire('c', 'next', 1, hour)).acquired).toBe(true);
      expect(await store.claim('i', 'fp', 'retry', hour)).toEqual({ state: 'claimed' });
    },
  );
});

describe('idempotency: Retry-After of a key in flight', { timeout: 30_000 }, () => {
  it.each([
    ['memory', () => memoryStore()],
    ['redis', () => freshStore()],
  ])(
    'a duplicate of a POST still running on the %s store waits for the lock it saw, not 1 s (IETF idempotency-key draft: a conflict tells when to retry)',
    async (_, make) => {
      let open!: () => void;
      const gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      let running!: () => void;
      const claimed = new Promise<void>((resolve) => {
        running = resolve;
      });
      const slow = await serveSlow(make, gate, running);
      const first = post(`${slow}/orders`, 'k1');
      // The duplicates come once the first holds the key: one sent alongside could claim it first.
      await claimed;
      let conflict: Response | undefined;
      for (let attempt = 0; attempt < 50; attempt++) {
        const res = await post(`${slow}/orders`, 'k1');
        if (res.status === 409) {
          conflict = res;
          break;
        }
        await res.arrayBuffer();
        await new Promise((r) => setTimeout(r, 20));
      }
      open();
      expect((await first).status).toBe(201);
      expect(conflict?.status).toBe(409);
      const wait = Number(conflict!.headers.get('retry-after'));
      // Before: always 1. The lock has 30 s to live, a little less by now.
      expect(wait).toBeGreaterThan(20);
      expect(wait).toBeLessThanOrEqual(30);
    },
  );
});

/** A server whose idempotent handler holds every request until `gate` opens. */
async function serveSlow(make: () => Store, gate: Promise<void>, entered = () => {}): Promise<string> {
  const errors = createNodeErrors({ onError: false });
  const server = createServer(
    errors(
      guard(idempotency({ tenant: () => 'shop', store: make(), lockTtl: '30s' }))(async (req, res) => {
        await readJson(req);
        entered();
        await gate;
        sendJson(res, 201, { ok: true });
      }),
    ),
  );
  servers.push(server);
  return listen(server);
}

describe('memory an authenticated client can fill', { timeout: 60_000 }, () => {
  const big = (n: number) => ({ blob: 'x'.repeat(900_000), n });

  it('40 idempotent POSTs with 900 kB answers: the stored answers stay under the byte bound, the newest are replayed (Stripe: keys are kept, within a bound the operator sets)', async () => {
    const store = memoryStore({ maxTotalRecordBytes: 8 * 1024 * 1024 });
    let n = 0;
    const app = await serve([idempotency({ tenant: () => 'tenant', store })], () => big(++n));
    for (let i = 0; i < 40; i++)
      expect((await statuses([post(`${app.url}/orders`, `key-${i}`)]))[0]).toBe(201);
    // Before: 40 records of 1.2 MB each, 48 MB held for 24 h.
    expect(store.size().idempotencyBytes).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(store.size().idempotencyBytes).toBeGreaterThan(4 * 1024 * 1024);
    const newest = await post(`${app.url}/orders`, 'key-39');
    expect(newest.headers.get('idempotent-replayed')).toBe('true');
    expect(((await newest.json()) as { n: number }).n).toBe(40);
    // The oldest answer was dropped to stay in bounds: its retry executes again.
    const oldest = await post(`${app.url}/orders`, 'key-0');
    expect(oldest.headers.get('idempotent-replayed')).toBeNull();
    expect(((await oldest.json()) as { n: number }).n).toBe(41);
  });

  it('the default memory store holds at most 64 MiB of stored answers (a documented default bound)', () => {
    const store = memoryStore();
    const answer = 'x'.repeat(1_500_000);
    for (let i = 0; i < 60; i++) {
      expect(store.claim(`k${i}`, 'fp', `t${i}`, 60_000)).toEqual({ state: 'claimed' });
      store.complete(`k${i}`, `t${i}`, answer, 86_400_000);
    }
    // Before: 60 answers of 1.5 MB, 90 MB.
    expect(store.size().idempotencyBytes).toBeLessThanOrEqual(64 * 1024 * 1024);
    expect(store.claim('k59', 'fp', 'again', 60_000)).toEqual({ state: 'done', response: answer });
    expect(store.claim('k0', 'fp', 'again', 60_000)).toEqual({ state: 'claimed' });
    store.close();
  });

  it.each([
    ['memory', () => memoryStore()],
    ['redis', () => freshStore()],
  ])(
    'an answer over the per-record cap of the %s store is not kept, and its key is released: the retry executes again (IETF idempotency-key draft: a request that was not recorded can be retried)',
    async (_, make) => {
      const store = make();
      let n = 0;
      const app = await serve(
        [idempotency({ tenant: () => 'tenant', store, maxResponseBytes: 8 * 1024 * 1024 })],
        () => ({ blob: 'y'.repeat(3_000_000), n: ++n }),
      );
      const first = await post(`${app.url}/orders`, 'huge');
      expect(first.status).toBe(201);
      await first.arrayBuffer();
      // The key is free at once: the claim of the retry succeeds (Redis: after the release has run).
      let again: Response | undefined;
      for (let attempt = 0; attempt < 20; attempt++) {
        again = await post(`${app.url}/orders`, 'huge');
        if (again.status !== 409) break;
        await again.arrayBuffer();
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(again!.status).toBe(201);
      // Before: the 4 MB record was kept and replayed.
      expect(again!.headers.get('idempotent-replayed')).toBeNull();
      expect(((await again!.json()) as { n: number }).n).toBe(2);
      if (store.kind === 'memory') expect((store as MemoryStore).size().idempotencyBytes).toBe(0);
    },
  );
});
