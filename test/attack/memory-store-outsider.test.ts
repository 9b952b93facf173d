/**
 * An outsider against the memory store (`memoryStore`), through real node:http apps on 127.0.0.1 wired as
 * the README wires them: key rotation to evict a spent budget, long attacker-chosen keys to fill the heap,
 * leases of clients that abort. The peers keep a counter until its window ends (express-rate-limit's
 * MemoryStore, rate-limiter-flexible's RateLimiterMemory: no key bound at all, so no eviction to abuse);
 * a bounded store must not give a spent budget back to a caller who floods it with keys that expire.
 */
import { execFile } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  byHeader,
  byIp,
  concurrency,
  cooldown,
  type Guard,
  idempotency,
  quota,
  rateLimit,
} from 'faultline/guards';
import { createNodeErrors, guard, readJson, sendJson } from 'faultline/node';
import { memoryStore } from 'faultline/stores';
import { afterAll, describe, expect, it } from 'vitest';

/** The leases `store` holds once they settle: polled every 10 ms for at most a second. */
async function leasesSettled(store: ReturnType<typeof memoryStore>): Promise<number> {
  let held = store.size().lease;
  for (let wait = 0; wait < 100 && held > 0; wait++) {
    await new Promise((r) => setTimeout(r, 10));
    held = store.size().lease;
  }
  return held;
}

import { close, listen } from '../helpers/http.js';

const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

async function serve(guards: Guard[], handler?: (res: import('node:http').ServerResponse) => void) {
  const errors = createNodeErrors();
  const server = createServer(
    errors(
      guard(...guards)(async (_req, res) => {
        if (handler) handler(res);
        else sendJson(res, 200, { ok: true });
      }),
    ),
  );
  servers.push(server);
  return listen(server);
}

/** One GET on its own connection from `from` (any 127.0.0.0/8 address is this host's): its status. */
function get(url: string, from = '127.0.0.1', headers: Record<string, string> = {}): Promise<number> {
  return new Promise((done, fail) => {
    const req = request(url, { localAddress: from, agent: false, headers, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', fail);
    req.end();
  });
}

describe('memoryStore: evicting keys', { timeout: 60_000 }, () => {
  it('300 one-request callers from fresh addresses, each expired a minute later, do not give a spent per-IP budget back (express-rate-limit MemoryStore: a counter lives until its window ends)', async () => {
    let clock = 1_000_000_000;
    const store = memoryStore({ maxKeys: 200, now: () => clock });
    // 60 per hour: one unit is 60 s, so a caller of one request is forgotten after a minute.
    const url = await serve([
      rateLimit({ store, policies: [{ name: 'per-ip', key: byIp, limit: 60, period: '1h' }] }),
    ]);
    const attacker = '127.0.0.2';
    for (let i = 0; i < 60; i++) expect(await get(url, attacker)).toBe(200);
    expect(await get(url, attacker)).toBe(429);
    // 300 fresh addresses, one every 2 s of the store's clock: at most 30 hold a live key at once.
    for (let i = 0; i < 300; i++) {
      clock += 2000;
      expect(await get(url, `127.1.${i >> 7}.${(i & 127) + 1}`)).toBe(200);
    }
    // Ten minutes later the attacker has earned ten requests back, not sixty. Before: his key had been
    // evicted, and he had a full budget of sixty again.
    let admitted = 0;
    while (admitted <= 60 && (await get(url, attacker)) === 200) admitted++;
    expect(admitted).toBe(10);
    expect(store.size().rate).toBeLessThanOrEqual(200);
    store.close();
  });

  it('a cooldown group of 8 000 characters per request (the README keys it by URL): the store holds at most maxKeys × 128 characters of keys', async () => {
    const clock = 1_000_000_000;
    const store = memoryStore({ maxKeys: 1000, now: () => clock });
    const url = await serve([
      cooldown({ store, key: byHeader('x-app-id'), group: (r) => r.url?.split(/[/?]/)[2], interval: '2s' }),
    ]);
    const long = 'g'.repeat(8000);
    for (let i = 0; i < 200; i++) {
      expect(await get(`${url}/v1/${long}${i}`, '127.0.0.1', { 'x-app-id': 'app_1' })).toBe(200);
    }
    // Before: all 200 keys held (1.6 MB of keys here; 100 000 × 16 kB = 1.6 GB with the defaults).
    expect(store.size().rate * 8000).toBeLessThanOrEqual(1000 * 128 + 2 * 8010);
    // The newest group is still cooling down.
    expect(await get(`${url}/v1/${long}199`, '127.0.0.1', { 'x-app-id': 'app_1' })).toBe(429);
    store.close();
  });
});

/** Runs `count` rate, quota and window decisions on distinct keys of `length` characters in a child process. */
async function heapGrowth(count: number, length: number) {
  const worker = `
    import { memoryStore } from 'faultline/stores';
    const store = memoryStore();
    const input = { interval: 60, tolerance: 60_000, cost: 1 };
    const pad = 'k'.repeat(${length} - 7);
    globalThis.gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < ${count}; i++) {
      // A flat string, as a parsed header or URL is (a concatenation would share the padding).
      const key = Buffer.from(pad + String(i).padStart(7, '0')).toString('latin1');
      store.rate(key, input);
      store.quota(key, { limit: 10, cost: 1, bounds: [0, 9e15] });
      store.window(key, { limit: 10, period: 60_000, cost: 1 });
    }
    globalThis.gc();
    const grown = process.memoryUsage().heapUsed - before;
    console.log(JSON.stringify({ grown, size: store.size() }));
    store.close();
  `;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', '--conditions=faultline-source', '--import', 'tsx', '--input-type=module', '-e', worker],
    { cwd: resolve(import.meta.dirname, '../..'), timeout: 110_000 },
  );
  const result = JSON.parse(stdout) as {
    grown: number;
    size: { rate: number; quota: number; window: number };
  };
  console.log(
    `memory store: ${count} keys of ${length} characters, rate, quota and window: heap grew ${result.grown} bytes`,
    result.size,
  );
  return result;
}

describe('memoryStore: memory under 1 000 000 distinct keys', { timeout: 120_000 }, () => {
  it('1 000 000 keys of 32 characters through the default store, rate, quota and window: the heap after GC grows less than 64 MiB', async () => {
    const { grown, size } = await heapGrowth(1_000_000, 32);
    expect(size.rate).toBeLessThanOrEqual(100_000);
    expect(size.quota).toBeLessThanOrEqual(100_000);
    expect(size.window).toBeLessThanOrEqual(100_000);
    expect(grown).toBeLessThan(64 * 1024 * 1024);
  });

  it('300 000 keys of 2 000 characters (a long URL segment or header): the heap after GC grows less than 64 MiB, not 100 000 × 2 kB', async () => {
    const { grown } = await heapGrowth(300_000, 2000);
    // Before: 221 MB (100 000 keys of 2 kB, one string shared by the rate and quota maps).
    expect(grown).toBeLessThan(64 * 1024 * 1024);
  });
});

describe('memoryStore: leases of clients that go away', { timeout: 30_000 }, () => {
  it('a response the server destroys mid-body gives its concurrency lease back', async () => {
    const store = memoryStore();
    const url = await serve([concurrency({ store, key: () => 'one', limit: 1 })], (res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('x'.repeat(1024), () => res.destroy());
    });
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((done) => {
        const req = request(url, { agent: false }, (res) => {
          res.on('error', () => done());
          res.on('close', () => done());
          res.resume();
        });
        req.on('error', () => done());
        req.end();
      });
      expect(await leasesSettled(store)).toBe(0);
    }
    store.close();
  });

  it('a client that aborts while the body streams gives its concurrency lease back (the lease is released when the socket closes)', async () => {
    const store = memoryStore();
    const url = await serve([concurrency({ store, key: () => 'one', limit: 1 })], (res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('x'.repeat(1024));
      // The body never ends: only the client's abort closes it.
    });
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((done, fail) => {
        const req = request(url, { agent: false }, (res) => {
          res.once('data', () => {
            req.destroy();
            done();
          });
        });
        req.on('error', (error) => (req.destroyed ? done() : fail(error)));
        req.end();
      });
      expect(await leasesSettled(store)).toBe(0);
    }
    store.close();
  });
});

describe("memoryStore: one tenant's idempotent answers against another's", { timeout: 60_000 }, () => {
  it("a tenant storing 12 answers of 900 kB does not drop another tenant's stored answer: its retry is replayed, not executed twice (Stripe: a key is kept for 24 hours)", async () => {
    const store = memoryStore({ maxTotalRecordBytes: 4 * 1024 * 1024 });
    const executed: Record<string, number> = {};
    const errors = createNodeErrors();
    const server = createServer(
      errors(
        guard(idempotency({ store, tenant: (r) => byHeader('x-app-id')(r) ?? '' }))(async (req, res) => {
          const app = String(req.headers['x-app-id']);
          executed[app] = (executed[app] ?? 0) + 1;
          const body = (await readJson(req)) as { size: number };
          sendJson(res, 201, { blob: 'x'.repeat(body.size), n: executed[app] });
        }),
      ),
    );
    servers.push(server);
    const url = await listen(server);
    const post = (app: string, key: string, size: number) =>
      fetch(`${url}/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `"${key}"`, 'x-app-id': app },
        body: JSON.stringify({ size }),
        signal: AbortSignal.timeout(10_000),
      });
    const paid = await post('victim', 'pay-1', 100);
    expect(paid.status).toBe(201);
    await paid.arrayBuffer();
    for (let i = 0; i < 12; i++) {
      const res = await post('attacker', `fill-${i}`, 900_000);
      expect(res.status).toBe(201);
      await res.arrayBuffer();
    }
    expect(store.size().idempotencyBytes).toBeLessThanOrEqual(4 * 1024 * 1024);
    // Before: the victim's answer was the oldest, dropped for the attacker's, and the payment ran twice.
    const retry = await post('victim', 'pay-1', 100);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(((await retry.json()) as { n: number }).n).toBe(1);
    expect(executed.victim).toBe(1);
    // The attacker's own newest answer is kept; his oldest went to make room.
    const newest = await post('attacker', 'fill-11', 900_000);
    expect(newest.headers.get('idempotent-replayed')).toBe('true');
    await newest.arrayBuffer();
    store.close();
  });
});

describe("memoryStore: one tenant's idempotency keys against another's", { timeout: 60_000 }, () => {
  it("a tenant claiming 60 fresh keys in a store of 50 does not drop another tenant's record: its retry is replayed, not executed twice (IETF idempotency-key draft: a key is kept for its expiry)", async () => {
    const store = memoryStore({ maxKeys: 50 });
    let executed = 0;
    const url = await serve([idempotency({ store, tenant: (r) => byHeader('x-app-id')(r) ?? '' })], (res) =>
      sendJson(res, 201, { n: ++executed }),
    );
    const post = (app: string, key: string) =>
      fetch(`${url}/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `"${key}"`, 'x-app-id': app },
        body: '{}',
        signal: AbortSignal.timeout(10_000),
      });
    expect(((await (await post('victim', 'pay-1')).json()) as { n: number }).n).toBe(1);
    for (let i = 0; i < 60; i++) await (await post('attacker', `fill-${i}`)).arrayBuffer();
    expect(store.size().idempotency).toBeLessThanOrEqual(50);
    // Before: the victim's record was the oldest, dropped for the attacker's 51st key.
    const retry = await post('victim', 'pay-1');
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(((await retry.json()) as { n: number }).n).toBe(1);
    expect(executed).toBe(61);
    store.close();
  });
});

describe('memoryStore: the wall clock stepping back', { timeout: 30_000 }, () => {
  it('a clock stepped back across midnight and forward again gives a spent daily quota back neither time (a period, once a key has counted in it, never goes back)', async () => {
    let offset = 0;
    const store = memoryStore({ now: () => Date.now() + offset });
    const url = await serve([
      quota({ store, key: byHeader('x-app-id'), limit: 3, per: 'day', timeZone: 'UTC' }),
    ]);
    const headers = { 'x-app-id': 'app_1' };
    const spend = async () => {
      const got: number[] = [];
      for (let i = 0; i < 4; i++) got.push(await get(url, '127.0.0.1', headers));
      return got;
    };
    expect(await spend()).toEqual([200, 200, 200, 429]);
    // The store's clock steps back to a minute before today's midnight (NTP, a resumed VM), then forward.
    const midnight = new Date().setUTCHours(0, 0, 0, 0);
    offset = midnight - 60_000 - Date.now();
    // Before: yesterday's period was fresh (3 more), and once the clock was back, today's again (3 more).
    expect(await spend()).toEqual([429, 429, 429, 429]);
    offset = 0;
    expect(await spend()).toEqual([429, 429, 429, 429]);
    store.close();
  });
});

describe('memoryStore: timers', { timeout: 30_000 }, () => {
  it("a process that used a store and holds a lease, never closing either, still exits (one unref'd timer per store, none per key)", async () => {
    const worker = `
      import { memoryStore } from 'faultline/stores';
      const store = memoryStore({ sweepInterval: 5 });
      for (let i = 0; i < 1000; i++) store.rate('k' + i, { interval: 1e6, tolerance: 1e6, cost: 1 });
      store.acquire('lease', 'id', 1, 1e9);
      store.claim('claim', 'fp', 'token', 1e9);
      console.log('done');
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=faultline-source', '--import', 'tsx', '--input-type=module', '-e', worker],
      { cwd: resolve(import.meta.dirname, '../..'), timeout: 20_000 },
    );
    expect(stdout.trim()).toBe('done');
  });
});
