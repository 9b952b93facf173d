/**
 * A frozen store is shut after one decision on it times out with no answer to any: from then on one
 * decision at a time is sent to it, as a probe, and the others get their guard's policy at once. Before,
 * every decision waited its `storeTimeout`, so that a flood during a Redis freeze held one request and one
 * queued command per decision (and, with `onStoreError: 'open'`, one wait per guard of the chain). A real
 * redis-server is frozen by its pid (SIGSTOP); the store's decisions are counted as the guards make them.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import {
  apiKey,
  byHeader,
  concurrency,
  type Guard,
  type GuardRequest,
  quota,
  rateLimit,
} from 'faultline/guards';
import { createNodeErrors, guard, sendJson } from 'faultline/node';
import { memoryStore, redisSend, redisStore, type Store } from 'faultline/stores';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { close, listen } from '../helpers/http.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { freeze, thaw } from '../helpers/redis-faults.js';

let redis: RedisServer;
let client: Redis;
const servers: Server[] = [];

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.port, '127.0.0.1');
});
afterEach(() => thaw(redis));
afterAll(async () => {
  for (const server of servers) await close(server);
  client?.disconnect();
  await redis?.stop();
});

/** A Redis store whose decisions (not its own give-backs) are counted as the guards make them. */
function countedStore(): { store: Store; decisions: () => number } {
  const base = redisStore({ send: redisSend(client), prefix: `brk-${randomUUID()}:` });
  let decisions = 0;
  const store: Store = Object.create(base);
  for (const method of ['rate', 'quota', 'acquire'] as const) {
    const own = base[method] as (...args: unknown[]) => unknown;
    (store as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      decisions++;
      return own.apply(base, args);
    };
  }
  return { store, decisions: () => decisions };
}

async function serve(guards: Guard[]): Promise<{ url: string; executed: () => number }> {
  let executed = 0;
  const server = createServer(
    createNodeErrors({})(
      guard(...guards)((_req, res) => {
        executed++;
        sendJson(res, 200, { ok: true });
      }),
    ),
  );
  servers.push(server);
  return { url: await listen(server), executed: () => executed };
}

async function statuses(url: string, count: number): Promise<number[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const res = await fetch(url, { signal: AbortSignal.timeout(20_000) });
      await res.arrayBuffer();
      return res.status;
    }),
  );
}

// Long enough that a batch of requests on 127.0.0.1 reaches the server while one probe is out.
const storeTimeout = 3000;

it('a flood while Redis is frozen sends one probe, answers the rest 503 at once, and reopens when Redis answers', {
  timeout: 60_000,
}, async () => {
  const { store, decisions } = countedStore();
  const limit = rateLimit({ key: () => 'victim', limit: 100, period: '1h', store, storeTimeout });
  const app = await serve([limit]);
  freeze(redis);
  // The first decision waits its whole timeout with no answer from the store: the store is shut.
  expect(await statuses(app.url, 1)).toEqual([503]);
  expect(decisions()).toBe(1);
  // Before: 30 decisions sent to the frozen server, 30 requests held for 3 s each.
  expect(await statuses(app.url, 30)).toEqual(Array(30).fill(503));
  expect(decisions()).toBeLessThanOrEqual(3);
  thaw(redis);
  expect(await client.ping()).toBe('PONG');
  // Open again as soon as the store answers: no request after it is refused, and each reaches the store.
  const before = decisions();
  for (let i = 0; i < 5; i++) expect(await statuses(app.url, 1)).toEqual([200]);
  expect(decisions() - before).toBe(5);
  // Nothing the refused requests sent was spent.
  const [state] = await limit.get('victim');
  expect(state?.remaining).toBe(95);
});

it("with onStoreError 'open', a chain of three guards on a frozen store admits a flood without sending each guard's decision", {
  timeout: 60_000,
}, async () => {
  const { store, decisions } = countedStore();
  const open = { store, storeTimeout, onStoreError: 'open' as const };
  const app = await serve([
    rateLimit({ key: () => 'victim', limit: 100, period: '1h', ...open }),
    quota({ key: () => 'victim', limit: 100, per: 'day', ...open }),
    concurrency({ key: () => 'victim', limit: 50, ttl: '1m', ...open }),
  ]);
  freeze(redis);
  // The request waits for the frozen store once: its later guards do not send their decisions.
  expect(await statuses(app.url, 1)).toEqual([200]);
  expect(decisions()).toBe(1);
  const before = decisions();
  // Before: 60 decisions, each waiting 3 s, for 20 requests.
  expect(await statuses(app.url, 20)).toEqual(Array(20).fill(200));
  expect(app.executed()).toBe(21);
  expect(decisions() - before).toBeLessThanOrEqual(3);
  thaw(redis);
  expect(await client.ping()).toBe('PONG');
  const resumed = decisions();
  expect(await statuses(app.url, 1)).toEqual([200]);
  expect(decisions() - resumed).toBe(3);
});

it('a store that answers other keys while one key hangs is never shut: every decision is sent', {
  timeout: 30_000,
}, async () => {
  const base = redisStore({ send: redisSend(client), prefix: `brk-${randomUUID()}:` });
  let sent = 0;
  // One shard of a cluster down, as the guard sees it: decisions on `hung:` keys never answer.
  const store: Store = Object.create(base);
  store.rate = (key, input, deadline) => {
    sent++;
    return key.includes('hung') ? new Promise(() => {}) : base.rate(key, input, deadline);
  };
  const limit = rateLimit({
    key: byHeader('x-key'),
    limit: 100,
    period: '1h',
    store,
    storeTimeout: 1500,
  });
  const app = await serve([limit]);
  const hit = async (key: string) => {
    const res = await fetch(app.url, { headers: { 'x-key': key }, signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
    return res.status;
  };
  // While each hung decision waits, another key's decision is answered: the store is alive.
  for (let round = 0; round < 2; round++) {
    const [hung, ...fine] = await Promise.all([
      hit('hung'),
      ...Array.from({ length: 3 }, async (_, i) => {
        // Sent after the hung decision and answered before its timeout.
        await new Promise((resolve) => setTimeout(resolve, 20 * (i + 1)));
        return hit(`fine-${i}`);
      }),
    ]);
    expect(hung).toBe(503);
    expect(fine).toEqual([200, 200, 200]);
  }
  const before = sent;
  expect(await Promise.all([hit('hung'), hit('fine-a'), hit('fine-b')])).toEqual([503, 200, 200]);
  expect(sent - before).toBe(3);
});

it("one caller's slow lookup never shuts the others out: a lookup is no store", {
  timeout: 30_000,
}, async () => {
  let asked = 0;
  const appOf = byHeader('x-app-id');
  // The keys of the app the request names: an unknown app's row takes longer than the guard waits.
  const keysOf = async (request: GuardRequest) => {
    asked++;
    const app = appOf(request);
    if (app === 'slow') await new Promise((resolve) => setTimeout(resolve, 5000));
    return app === 'good' ? ['secret'] : undefined;
  };
  const app = await serve([apiKey({ keys: keysOf, storeTimeout: 200 })]);
  const hit = async (key: string) => {
    const res = await fetch(app.url, {
      headers: { 'x-app-id': key, 'x-api-key': 'secret' },
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
    return res.status;
  };
  // The slow key's lookup times out with nothing answered meanwhile.
  expect(await hit('slow')).toBe(503);
  // Another slow lookup is out while a known key comes: before, the breaker held the known key to that
  // probe and answered it 503.
  const before = asked;
  const slow = hit('slow');
  for (let i = 0; i < 100 && asked === before; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(await hit('good')).toBe(200);
  expect(await slow).toBe(503);
});

it('a request checked again and again (a WebSocket connection) probes the store once its wait is over', {
  timeout: 30_000,
}, async () => {
  let frozen = true;
  const memory = memoryStore();
  const store: Store = {
    ...memory,
    kind: 'flaky',
    rate: (key, input) => (frozen ? new Promise(() => {}) : Promise.resolve(memory.rate(key, input))),
  };
  const limit = rateLimit({ key: () => 'conn', limit: 100, period: '1h', store, storeTimeout: 100 });
  // One request view for every message of a connection, as the WebSocket layer checks them.
  const context = {
    request: { method: 'GET', url: '/', headers: {} },
    headers: new Map<string, string>(),
    onFinish: () => undefined,
    body: () => undefined,
    capture: () => undefined,
  };
  const status = async () => {
    try {
      await limit.check(context);
      return 'admitted';
    } catch (error) {
      return (error as { role?: string }).role ?? 'thrown';
    }
  };
  expect(await status()).toBe('storeUnavailable');
  frozen = false;
  await new Promise((resolve) => setTimeout(resolve, 150));
  // Before: the connection had waited once, so it was never let probe, and the store stayed shut for it.
  expect(await status()).toBe('admitted');
  const [state] = await limit.get('conn');
  expect(state?.remaining).toBe(99);
});
