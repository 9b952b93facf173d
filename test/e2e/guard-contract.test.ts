import type { Server } from 'node:http';
import { defineErrors, RoleError } from 'faultline';
import { checkMessage, type Guard } from 'faultline/guards';
import { afterAll, describe, expect, it } from 'vitest';
import { adapters, guardedRoute } from '../helpers/adapters.js';
import { close, listen } from '../helpers/http.js';

// A guard denies by returning its denial; one that throws or rejects (a third party's) is answered alike.
const catalog = defineErrors({
  PLAN_EXHAUSTED: { status: 402, message: 'The plan is exhausted' },
});
const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

const roleDenial = () =>
  new RoleError('rateLimited', { details: { policies: ['p'] }, headers: { 'retry-after': '7' } });
const ways: [string, Guard][] = [
  ['returns a role', { kind: 'returns-role', check: () => roleDenial() }],
  ['returns a catalog error', { kind: 'returns-error', check: () => catalog.create('PLAN_EXHAUSTED') }],
  ['resolves with a role', { kind: 'resolves-role', check: () => Promise.resolve(roleDenial()) }],
  [
    'throws a role',
    {
      kind: 'throws-role',
      check: () => {
        throw roleDenial();
      },
    },
  ],
  [
    'rejects with a catalog error',
    { kind: 'rejects-error', check: () => Promise.reject(catalog.create('PLAN_EXHAUSTED')) },
  ],
];
const statusOf = (kind: string) => (kind.endsWith('error') ? 402 : 429);

describe.each(adapters)('a guard denies however it hands its denial over, on $name', (adapter) => {
  it('answers each way with the catalog error, and the handler never runs', async () => {
    const runs = { count: 0 };
    const server = await adapter.build({
      options: { catalog, onError: false },
      routes: ways.map(([, guard]) => guardedRoute(`/${guard.kind}`, [guard], runs)),
    });
    servers.push(server);
    const base = await listen(server);
    for (const [, guard] of ways) {
      const response = await fetch(`${base}/${guard.kind}`);
      expect(response.status, guard.kind).toBe(statusOf(guard.kind));
      const body = (await response.json()) as { code: string };
      expect(body.code).toBe(guard.kind.endsWith('error') ? 'PLAN_EXHAUSTED' : 'RATE_LIMITED');
      if (!guard.kind.endsWith('error')) expect(response.headers.get('retry-after')).toBe('7');
    }
    expect(runs.count).toBe(0);
  });
});

// What a guard's author may hand back by mistake: `false` meant as "deny", `null` as "admit", a shape.
const bogus: [string, unknown][] = [
  ['false', false],
  ['null', null],
  ['true', true],
  ['a string', 'deny'],
  ['an empty object', {}],
  ['a replay without a response', { replay: {} }],
  ['a replay whose body is text', { replay: { status: 200, headers: [], body: 'ok' } }],
];

describe.each(adapters)('a guard that answers something else, on $name', (adapter) => {
  it('is a 500 (a configuration error, logged), never an admission and never a crash', async () => {
    const runs = { count: 0 };
    const logged: unknown[] = [];
    const routes = bogus.flatMap(([, value], index) =>
      [false, true].map((later) =>
        guardedRoute(
          `/${index}/${later ? 'async' : 'sync'}`,
          [{ kind: 'bogus', check: () => (later ? Promise.resolve(value) : value) } as unknown as Guard],
          runs,
        ),
      ),
    );
    const server = await adapter.build({
      options: { catalog, onError: false, logger: { error: (entry: unknown) => logged.push(entry) } },
      routes,
    });
    servers.push(server);
    const base = await listen(server);
    for (const route of routes) {
      const response = await fetch(`${base}${route.path}`);
      expect(response.status, route.path).toBe(500);
      expect(((await response.json()) as { code: string }).code).toBe('INTERNAL_ERROR');
    }
    expect(runs.count).toBe(0);
    expect(logged.length).toBeGreaterThanOrEqual(routes.length);
    expect(JSON.stringify(logged[0])).toContain('FAULTLINE_INVALID_OPTION');
  });

  // `next(null)` and `done(undefined)` mean "go on" to Express and Fastify: a falsy throw must not admit.
  it.each([null, undefined, 0, false, ''])(
    'is a 500 when a guard throws or rejects with %s',
    async (value) => {
      const runs = { count: 0 };
      const routes = ['sync', 'async'].map((way) =>
        guardedRoute(
          `/${way}`,
          [
            {
              kind: 'falsy',
              check: () => {
                if (way === 'async') return Promise.reject(value);
                throw value;
              },
            } as Guard,
          ],
          runs,
        ),
      );
      const server = await adapter.build({ options: { catalog, onError: false, logger: false }, routes });
      servers.push(server);
      const base = await listen(server);
      for (const route of routes) {
        const response = await fetch(`${base}${route.path}`);
        expect(response.status, route.path).toBe(500);
      }
      expect(runs.count).toBe(0);
    },
  );
});

describe('checkMessage turns each way into a verdict', () => {
  it.each(ways)('a guard that %s is refused with its error and wait', async (_, guard) => {
    const verdict = await checkMessage([guard], { method: 'GET', url: '/', headers: {} });
    expect(verdict.allowed).toBe(false);
    if (verdict.allowed) return;
    const role = verdict.error instanceof RoleError;
    expect(role).toBe(!guard.kind.endsWith('error'));
    expect(verdict.retryAfterMs).toBe(role ? 7000 : 0);
  });

  it('admits when every guard returns undefined', async () => {
    const verdict = await checkMessage([{ kind: 'open', check: () => undefined }], {
      method: 'GET',
      url: '/',
      headers: {},
    });
    expect(verdict).toEqual({ allowed: true });
  });
});
