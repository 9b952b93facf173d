import { createServer, type Server } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { defineErrors, RoleError } from 'faultline';
import { createFastifyErrors, guard as fastifyGuard } from 'faultline/fastify';
import { byHeader, checkMessage, type Guard, idempotency, rateLimit } from 'faultline/guards';
import { createNodeErrors, createRouter } from 'faultline/node';
import { memoryStore } from 'faultline/stores';
import { afterAll, describe, expect, it } from 'vitest';
import { adapters, guardedRoute } from '../helpers/adapters.js';
import { close, listen } from '../helpers/http.js';

// Hostile results through the guard contract (a denial is returned), on real servers on 127.0.0.1.
const catalog = defineErrors({
  PLAN_EXHAUSTED: { status: 402, message: 'The plan is exhausted' },
});
const servers: Server[] = [];
const apps: FastifyInstance[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
  for (const app of apps) await app.close();
});

const spend = () =>
  rateLimit({ name: 'spend', key: () => 'k', limit: 1000, period: '1m', store: memoryStore() });

describe('the node router inside a wrapper of the user that falls back on a 404', () => {
  it('lets an async wrapper that awaits router.handle serve its own answer', async () => {
    const router = createRouter().get('/known', () => ({ ok: true }));
    const errors = createNodeErrors({ catalog, onError: false });
    const server = createServer(
      errors(async (req, res) => {
        try {
          await router.handle(req, res);
        } catch {
          res.writeHead(200, { 'content-type': 'text/plain' }).end('static');
        }
      }),
    );
    servers.push(server);
    const base = await listen(server);
    const missing = await fetch(`${base}/elsewhere`);
    expect(missing.status).toBe(200);
    expect(await missing.text()).toBe('static');
    const wrong = await fetch(`${base}/known`, { method: 'DELETE' });
    expect(wrong.status).toBe(200);
    expect((await fetch(`${base}/known`)).status).toBe(200);
  });
});

type HookPlace = 'onRequest' | 'preHandler';

async function fastifyApp(
  place: HookPlace,
  hooks: unknown[],
  handler: () => unknown = () => ({ ok: true }),
): Promise<string> {
  const app = Fastify();
  apps.push(app);
  await app.register(createFastifyErrors({ catalog, onError: false, logger: false }));
  app.post('/r', { [place]: hooks } as never, async () => handler());
  app.get('/r', { [place]: hooks } as never, async () => handler());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address() as { port: number };
  return `http://127.0.0.1:${address.port}`;
}

const asyncHook = async () => {
  await new Promise((resolve) => setImmediate(resolve));
};

describe.each<HookPlace>(['onRequest', 'preHandler'])('the Fastify callback hook as %s', (place) => {
  const layouts: [string, (hook: unknown) => unknown[]][] = [
    ['alone', (hook) => [hook]],
    ['after an async hook', (hook) => [asyncHook, hook]],
    ['before an async hook', (hook) => [hook, asyncHook]],
  ];
  it.each(layouts)('answers a later denial with the earlier limit fields, %s', async (_, layout) => {
    let ran = 0;
    const deny: Guard = { kind: 'plan', check: () => catalog.create('PLAN_EXHAUSTED') };
    const later: Guard = { kind: 'plan-async', check: async () => catalog.create('PLAN_EXHAUSTED') };
    for (const second of [deny, later]) {
      const base = await fastifyApp(place, layout(fastifyGuard(spend(), second)), () => {
        ran++;
        return { ok: true };
      });
      const response = await fetch(`${base}/r`);
      expect(response.status).toBe(402);
      expect(response.headers.get('ratelimit')).toContain('"spend"');
      expect(((await response.json()) as { code: string }).code).toBe('PLAN_EXHAUSTED');
    }
    expect(ran).toBe(0);
  });

  it.each(layouts)('joins the RateLimit lists of two limits on a denial, %s', async (_, layout) => {
    const store = memoryStore();
    const tight = rateLimit({ name: 'tight', key: () => 'k', limit: 1, period: '1m', store });
    const base = await fastifyApp(place, layout(fastifyGuard(spend(), tight)));
    expect((await fetch(`${base}/r`)).status).toBe(200);
    const denied = await fetch(`${base}/r`);
    expect(denied.status).toBe(429);
    expect(Number(denied.headers.get('retry-after'))).toBeGreaterThan(0);
    const fields = denied.headers.get('ratelimit') ?? '';
    expect(fields).toContain('"spend"');
    expect(fields).toContain('"tight"');
  });
});

describe('an idempotent replay through the Fastify callback hook', () => {
  it.each<[string, (hook: unknown) => unknown[]]>([
    ['alone', (hook) => [hook]],
    ['after an async hook', (hook) => [asyncHook, hook]],
    ['before an async hook', (hook) => [hook, asyncHook]],
  ])('sends the stored answer once and runs the handler once, %s', async (_, layout) => {
    let ran = 0;
    const once = idempotency({ tenant: () => 't', store: memoryStore() });
    const base = await fastifyApp('preHandler', layout(fastifyGuard(once)), () => {
      ran++;
      return { n: ran };
    });
    const post = () =>
      fetch(`${base}/r`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'key-1' },
        body: '{"a":1}',
      });
    const first = await post();
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ n: 1 });
    for (let i = 0; i < 3; i++) {
      const again = await post();
      expect(again.status).toBe(200);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(await again.json()).toEqual({ n: 1 });
    }
    expect(ran).toBe(1);
  });
});

const view = { method: 'GET', url: '/', headers: {} };

describe('hostile results that are not what the contract names', () => {
  const results: [string, () => unknown][] = [
    // biome-ignore lint/suspicious/noThenProperty: a thenable that is no Promise is the attack
    ['a thenable that admits', () => ({ then: (resolve: (v: unknown) => void) => resolve(undefined) })],
    [
      'a thenable that denies',
      // biome-ignore lint/suspicious/noThenProperty: a thenable that is no Promise is the attack
      () => ({ then: (resolve: (v: unknown) => void) => resolve(catalog.create('PLAN_EXHAUSTED')) }),
    ],
    [
      'a replay getter that throws',
      () => ({
        get replay(): never {
          throw new Error('boom');
        },
      }),
    ],
    [
      'a proxy whose traps throw',
      () =>
        new Proxy(
          {},
          {
            get() {
              throw new Error('trap');
            },
          },
        ),
    ],
  ];
  it.each(results)('%s is refused, never admitted, on every adapter', async (_, result) => {
    for (const adapter of adapters) {
      const runs = { count: 0 };
      const server = await adapter.build({
        options: { catalog, onError: false, logger: false },
        routes: [false, true].map((after) =>
          guardedRoute(
            `/${after}`,
            [...(after ? [spend()] : []), { kind: 'hostile', check: result } as Guard],
            runs,
          ),
        ),
      });
      servers.push(server);
      const base = await listen(server);
      for (const after of [false, true]) {
        const response = await fetch(`${base}/${after}`);
        expect(response.status, `${adapter.name} ${after}`).toBe(500);
      }
      expect(runs.count, adapter.name).toBe(0);
    }
    const verdict = await Promise.resolve()
      .then(() => checkMessage([{ kind: 'hostile', check: result } as Guard], view))
      .catch((error: unknown) => error);
    expect((verdict as { allowed?: boolean }).allowed).not.toBe(true);
  });

  it('answers a Proxy over a catalog error as the error it wraps, after a limit', async () => {
    for (const adapter of adapters) {
      const server = await adapter.build({
        options: { catalog, onError: false, logger: false },
        routes: [
          {
            method: 'GET',
            path: '/p',
            guards: [
              spend(),
              { kind: 'proxy', check: () => new Proxy(catalog.create('PLAN_EXHAUSTED'), {}) },
            ],
            handle: () => ({ body: { ok: true } }),
          },
        ],
      });
      servers.push(server);
      const response = await fetch(`${await listen(server)}/p`);
      expect(response.status, adapter.name).toBe(402);
      expect(response.headers.get('ratelimit'), adapter.name).toContain('"spend"');
    }
  });
});

describe('rateLimit denials under hostile load, on every adapter', () => {
  it.each(adapters)('$name: concurrent requests over one key admit exactly the limit', async (adapter) => {
    const runs = { count: 0 };
    const variants = {
      plain: rateLimit({ name: 'plain', key: () => 'k', limit: 3, period: '1h', store: memoryStore() }),
      several: rateLimit({
        policies: [
          { name: 'wide', key: () => 'k', limit: 100, period: '1h' },
          { name: 'narrow', key: () => 'k', limit: 3, period: '1h' },
        ],
        store: memoryStore(),
      }),
      ban: rateLimit({
        name: 'banned',
        key: () => 'k',
        limit: 3,
        period: '1h',
        ban: { after: 2, for: '1h' },
        store: memoryStore(),
      }),
      succeeded: rateLimit({
        name: 'ok',
        key: () => 'k',
        limit: 3,
        period: '1h',
        count: 'succeeded',
        store: memoryStore(),
      }),
      skip: rateLimit({
        name: 'skipped',
        key: () => 'k',
        limit: 3,
        period: '1h',
        skip: async (request) => byHeader('x-skip')(request) === 'yes',
        store: memoryStore(),
      }),
    };
    const server = await adapter.build({
      options: { catalog, onError: false, logger: false },
      routes: Object.entries(variants).map(([name, limit]) => guardedRoute(`/${name}`, [limit], runs)),
    });
    servers.push(server);
    const base = await listen(server);
    for (const name of Object.keys(variants)) {
      runs.count = 0;
      const responses = await Promise.all(Array.from({ length: 24 }, () => fetch(`${base}/${name}`)));
      const statuses = responses.map((response) => response.status);
      expect(statuses.filter((status) => status === 200).length, name).toBe(3);
      expect(statuses.filter((status) => status === 429).length, name).toBe(21);
      for (const response of responses) {
        if (response.status === 429)
          expect(Number(response.headers.get('retry-after')), name).toBeGreaterThan(0);
        await response.arrayBuffer();
      }
      expect(runs.count, name).toBe(3);
    }
    // Skipped requests pass untouched; the others stay denied.
    expect((await fetch(`${base}/skip`, { headers: { 'x-skip': 'yes' } })).status).toBe(200);
    expect((await fetch(`${base}/skip`)).status).toBe(429);
    // The ban answers without consulting the policy: still 429, with a wait to the end of the ban.
    const banned = await fetch(`${base}/ban`);
    expect(banned.status).toBe(429);
    expect(Number(banned.headers.get('retry-after'))).toBeGreaterThan(3000);
  });
});

// The memory store's decisions, against the arrival times kept as plain numbers (before the in-place update),
// evicted as the store evicts: at a full generation, expired keys go first, and live ones only under pressure.
function referenceStore(maxKeys: number) {
  const half = Math.max(1, Math.floor(maxKeys / 2));
  let current = new Map<string, number>();
  let previous = new Map<string, number>();
  let now = 0;
  const purge = (map: Map<string, number>) => {
    for (const [key, tat] of map) if (tat <= now) map.delete(key);
  };
  const insert = (key: string, value: number) => {
    if (current.size >= half) {
      purge(previous);
      purge(current);
      if (current.size >= half / 2) {
        const survivors = previous;
        previous = current;
        current = new Map();
        if (survivors.size < half / 2) for (const [k, v] of survivors) current.set(k, v);
      }
    }
    current.set(key, value);
  };
  const get = (key: string) => {
    const value = current.get(key);
    if (value !== undefined) return value;
    const old = previous.get(key);
    if (old === undefined) return undefined;
    previous.delete(key);
    insert(key, old);
    return old;
  };
  const peek = (key: string, at: number) => {
    const value = current.get(key) ?? previous.get(key);
    return value === undefined || value <= at ? undefined : value;
  };
  const set = (key: string, value: number) => {
    if (current.has(key)) current.set(key, value);
    else {
      previous.delete(key);
      insert(key, value);
    }
  };
  return {
    size: () => current.size + previous.size,
    rate(key: string, at: number, input: { interval: number; tolerance: number; cost: number }) {
      now = at;
      const { interval, tolerance, cost } = input;
      const reads = cost === 0 || (cost < 0 && interval === 0);
      const stored = reads ? peek(key, at) : get(key);
      const tat = stored === undefined || stored < at ? at : stored;
      const next = tat + interval * cost;
      if (cost < 0) {
        if (!reads) {
          if (next <= at) {
            current.delete(key);
            previous.delete(key);
          } else set(key, next);
        }
        return { allowed: true, remaining: 0, retryAfterMs: 0, reset: Math.max(0, Math.ceil(next - at)) };
      }
      const over = next - at - tolerance;
      if (over > 0)
        return { allowed: false, remaining: 0, retryAfterMs: Math.ceil(over), reset: Math.ceil(tat - at) };
      if (!reads) set(key, next);
      return {
        allowed: true,
        remaining: Math.floor((tolerance - (next - at)) / interval + 1e-9),
        retryAfterMs: 0,
        reset: Math.ceil(next - at),
      };
    },
  };
}

describe('the memory store after the in-place arrival time', () => {
  it('decides as arrival times kept by value, through refunds, reads and eviction', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (const maxKeys of [1, 2, 4, 7]) {
      let at = 1_000_000;
      const store = memoryStore({ maxKeys, now: () => at });
      const reference = referenceStore(maxKeys);
      const inputs = [
        { interval: 100, tolerance: 500, cost: 1 },
        { interval: 100, tolerance: 500, cost: 3 },
        { interval: 100, tolerance: 500, cost: -1 },
        { interval: 100, tolerance: 500, cost: -20 },
        { interval: 100, tolerance: 500, cost: 0 },
        { interval: 0, tolerance: 0, cost: -1 },
      ];
      for (let step = 0; step < 3000; step++) {
        at += random(4) === 0 ? random(400) : 0;
        const key = `k${random(6)}`;
        const input = inputs[random(inputs.length)]!;
        const expected = reference.rate(key, at, input);
        expect(store.rate(key, input), `step ${step} maxKeys ${maxKeys}`).toEqual(expected);
        expect(store.size().rate, `size at step ${step}`).toBe(reference.size());
      }
      store.close();
    }
  });

  it('reads a key with limit.get without spending, and limit.reset gives the whole burst back', async () => {
    const store = memoryStore({ maxKeys: 2 });
    const limit = rateLimit({ name: 'p', key: () => 'a', limit: 2, period: '1h', store });
    const context = () => ({
      request: view,
      headers: new Map<string, string>(),
      onFinish: () => {},
      body: () => undefined,
      capture: () => {},
    });
    expect(await limit.check(context())).toBeUndefined();
    const before = store.size().rate;
    for (let i = 0; i < 5; i++) expect((await limit.get('a'))[0]!.remaining).toBe(1);
    for (let i = 0; i < 5; i++) await limit.get(`unknown-${i}`);
    expect(store.size().rate).toBe(before);
    expect(await limit.check(context())).toBeUndefined();
    expect(await limit.check(context())).toBeInstanceOf(RoleError);
    await limit.reset('a');
    expect((await limit.get('a'))[0]!.remaining).toBe(2);
    expect(await limit.check(context())).toBeUndefined();
    expect(await limit.check(context())).toBeUndefined();
    expect(await limit.check(context())).toBeInstanceOf(RoleError);
    store.close();
  });
});

describe.each(adapters)('a guard that denies after its client hung up, on $name', (adapter) => {
  it('answers nobody, keeps serving, and never runs the handler', async () => {
    let ran = 0;
    let release: (() => void) | undefined;
    const slow: Guard = {
      kind: 'slow',
      check: () =>
        new Promise((resolve) => {
          release = () => resolve(catalog.create('PLAN_EXHAUSTED'));
        }),
    };
    const server = await adapter.build({
      options: { catalog, onError: false, logger: false },
      routes: [
        { method: 'GET', path: '/slow', guards: [spend(), slow], handle: () => ({ body: { n: ++ran } }) },
        { method: 'GET', path: '/ok', handle: () => ({ body: { ok: true } }) },
      ],
    });
    servers.push(server);
    const base = await listen(server);
    for (let i = 0; i < 5; i++) {
      release = undefined;
      const abort = new AbortController();
      const pending = fetch(`${base}/slow`, { signal: abort.signal }).catch((error: unknown) => error);
      for (let wait = 0; wait < 200 && release === undefined; wait++)
        await new Promise((r) => setTimeout(r, 5));
      expect(release).toBeDefined();
      abort.abort();
      await pending;
      await new Promise((r) => setTimeout(r, 10));
      release!();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect((await fetch(`${base}/ok`)).status).toBe(200);
    expect(ran).toBe(0);
  });
});

// A prebuilt denial may be frozen: merging the earlier limit's fields must not write into it.
describe.each(adapters)('a frozen denial after a guard that set headers, on $name', (adapter) => {
  const frozenError = Object.freeze(catalog.create('PLAN_EXHAUSTED'));
  const frozenRole = Object.freeze(
    new RoleError('rateLimited', { details: { policies: ['p'] }, headers: { 'retry-after': '7' } }),
  );
  it('answers the frozen catalog error and role with their status, never a 500', async () => {
    const runs = { count: 0 };
    const routes = (
      [
        ['error', () => frozenError],
        ['role', () => frozenRole],
      ] as const
    ).map(([name, check]) =>
      guardedRoute(`/${name}`, [spend(), { kind: `frozen-${name}`, check } as Guard], runs),
    );
    const server = await adapter.build({ options: { catalog, onError: false, logger: false }, routes });
    servers.push(server);
    const base = await listen(server);
    const error = await fetch(`${base}/error`);
    expect(error.status).toBe(402);
    expect(error.headers.get('ratelimit')).toContain('"spend"');
    const role = await fetch(`${base}/role`);
    expect(role.status).toBe(429);
    expect(role.headers.get('retry-after')).toBe('7');
    expect(role.headers.get('ratelimit')).toContain('"spend"');
    expect(runs.count).toBe(0);
  });
});

describe('checkMessage with a frozen denial after a limit that set headers', () => {
  it('is a verdict, not a throw', async () => {
    const frozen = Object.freeze(catalog.create('PLAN_EXHAUSTED'));
    const verdict = await checkMessage([spend(), { kind: 'frozen', check: () => frozen }], {
      method: 'GET',
      url: '/',
      headers: {},
    });
    expect(verdict.allowed).toBe(false);
  });
});

// A handler may throw one prebuilt, frozen error on every request: each answer is its own.
describe.each(adapters)('a frozen catalog error thrown by a handler, on $name', (adapter) => {
  it('is answered with its status and a fresh correlation id each time, the error left untouched', async () => {
    const frozen = Object.freeze(catalog.create('PLAN_EXHAUSTED'));
    const server = await adapter.build({
      options: { catalog, onError: false, logger: false },
      routes: [
        {
          method: 'GET',
          path: '/frozen',
          handle: () => {
            throw frozen;
          },
        },
      ],
    });
    servers.push(server);
    const base = await listen(server);
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${base}/frozen`);
      expect(response.status).toBe(402);
      const body = (await response.json()) as { code: string; correlation_id?: string };
      expect(body.code).toBe('PLAN_EXHAUSTED');
      ids.add(response.headers.get('x-request-id') ?? '');
    }
    expect(ids.size).toBe(3);
    expect(frozen.correlationId).toBeUndefined();
  });
});
