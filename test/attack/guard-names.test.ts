import { createServer, type Server } from 'node:http';
import { defineErrors } from 'faultline';
import { byHeader, byIp, concurrency, type Guard, quota, rateLimit } from 'faultline/guards';
import { createNodeErrors, guard, sendJson } from 'faultline/node';
import { memoryStore } from 'faultline/stores';
import { afterAll, describe, expect, it } from 'vitest';
import { close, listen } from '../helpers/http.js';

// Two guards keyed on different things must never spend one count: a caller of one route would lock the
// callers of the other out (three searches sent with `x-user: 127.0.0.1` used up the login limit of that
// address). A guard's state is kept under its name, made from its numbers when not given.
const catalog = defineErrors({});
const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

/** A server with one route per entry of `routes`, each behind its guards. */
async function serve(routes: Record<string, Guard>): Promise<string> {
  const errors = createNodeErrors({ catalog, logger: false });
  const guarded = Object.fromEntries(
    Object.entries(routes).map(([path, g]) => [
      path,
      guard(g)((_req, res) => sendJson(res, 200, { ok: true })),
    ]),
  );
  const server = createServer(
    errors((req, res) => {
      const handler = guarded[req.url ?? ''];
      if (!handler) return sendJson(res, 404, {});
      return handler(req, res);
    }),
  );
  servers.push(server);
  return listen(server);
}

function configErrorOf(define: () => unknown): { code?: string; message: string } | undefined {
  try {
    define();
    return undefined;
  } catch (error) {
    return error as { code?: string; message: string };
  }
}

describe('guards without a store never share a count', () => {
  it('two rate limits of the same numbers, keyed on the address and on a header, keep apart', async () => {
    const url = await serve({
      '/login': rateLimit({ key: byIp, limit: 3, period: '1m' }),
      '/search': rateLimit({ key: byHeader('x-user'), limit: 3, period: '1m' }),
    });
    const search = () => fetch(`${url}/search`, { headers: { 'x-user': '127.0.0.1' } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await search()).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const login = await fetch(`${url}/login`);
    expect(login.status).toBe(200);
    expect(login.headers.get('ratelimit')).toContain('r=2');
  });

  it('two quotas and two concurrency limits of the same numbers keep apart', async () => {
    const url = await serve({
      '/a': quota({ key: byIp, limit: 1, per: 'day' }),
      '/b': quota({ key: byHeader('x-user'), limit: 1, per: 'day' }),
      '/c': concurrency({ key: byIp, limit: 1 }),
      '/d': concurrency({ key: byHeader('x-user'), limit: 1 }),
    });
    const as = { headers: { 'x-user': '127.0.0.1' } };
    expect((await fetch(`${url}/b`, as)).status).toBe(200);
    expect((await fetch(`${url}/b`, as)).status).toBe(429);
    expect((await fetch(`${url}/a`)).status).toBe(200);
    expect((await fetch(`${url}/d`, as)).status).toBe(200);
    expect((await fetch(`${url}/c`)).status).toBe(200);
  });
});

describe('on a store shared by guards, names that would meet are refused when the guard is made', () => {
  it('a second guard under a name made from the same numbers is refused, naming the fix', () => {
    const store = memoryStore();
    rateLimit({ key: byIp, limit: 3, period: '1m', store });
    const error = configErrorOf(() => rateLimit({ key: byHeader('x-user'), limit: 3, period: '1m', store }));
    expect(error?.code).toBe('FAULTLINE_INVALID_OPTION');
    expect(error?.message).toContain('"3-per-60s"');
    expect(error?.message).toContain('name');
    quota({ key: byIp, limit: 2, per: 'day', store });
    expect(configErrorOf(() => quota({ key: byHeader('x'), limit: 2, per: 'day', store }))?.code).toBe(
      'FAULTLINE_INVALID_OPTION',
    );
    concurrency({ key: byIp, limit: 2, store });
    expect(configErrorOf(() => concurrency({ key: byHeader('x'), limit: 5, store }))?.code).toBe(
      'FAULTLINE_INVALID_OPTION',
    );
  });

  it('names where one begins the other with a colon are refused across guards, in either order', () => {
    const first = memoryStore();
    rateLimit({ name: 'api', key: byIp, limit: 3, period: '1m', store: first });
    expect(
      configErrorOf(() => rateLimit({ name: 'api:v2', key: byIp, limit: 3, period: '1m', store: first }))
        ?.code,
    ).toBe('FAULTLINE_INVALID_OPTION');
    const second = memoryStore();
    concurrency({ name: 'api:v2', key: byIp, limit: 1, store: second });
    expect(configErrorOf(() => concurrency({ name: 'api', key: byIp, limit: 1, store: second }))?.code).toBe(
      'FAULTLINE_INVALID_OPTION',
    );
  });

  it('the same name given to two guards shares one budget, on purpose', async () => {
    const store = memoryStore();
    const url = await serve({
      '/one': rateLimit({ name: 'shared', key: byIp, limit: 2, period: '1m', store }),
      '/two': rateLimit({ name: 'shared', key: byIp, limit: 2, period: '1m', store }),
    });
    expect((await fetch(`${url}/one`)).status).toBe(200);
    expect((await fetch(`${url}/two`)).status).toBe(200);
    expect((await fetch(`${url}/one`)).status).toBe(429);
  });

  it('one name in different spaces (a rate and a quota) is no clash; another store is another space', () => {
    const store = memoryStore();
    rateLimit({ name: 'plan', key: byIp, limit: 3, period: '1m', store });
    expect(
      configErrorOf(() => quota({ name: 'plan', key: byIp, limit: 3, per: 'day', store })),
    ).toBeUndefined();
    expect(configErrorOf(() => rateLimit({ key: byIp, limit: 9, period: '1m', store: memoryStore() }))).toBe(
      undefined,
    );
    expect(configErrorOf(() => rateLimit({ key: byIp, limit: 9, period: '1m', store: memoryStore() }))).toBe(
      undefined,
    );
  });

  it('bans of a fixed-window and a GCRA policy under one made-up name are refused: they share ban keys', () => {
    const store = memoryStore();
    rateLimit({
      key: byIp,
      limit: 3,
      period: '1m',
      algorithm: 'fixed-window',
      ban: { after: 2, for: '10m' },
      store,
    });
    expect(
      configErrorOf(() =>
        rateLimit({ key: byHeader('x-user'), limit: 3, period: '1m', ban: { after: 2, for: '10m' }, store }),
      )?.code,
    ).toBe('FAULTLINE_INVALID_OPTION');
    // Without a ban, the two algorithms keep their counts apart.
    expect(
      configErrorOf(() => rateLimit({ key: byHeader('x-user'), limit: 3, period: '1m', store })),
    ).toBeUndefined();
  });

  it('a definition refused halfway takes no name', () => {
    const store = memoryStore();
    const refused = configErrorOf(() =>
      rateLimit({
        policies: [
          { key: byIp, limit: 3, period: '1m' },
          { key: byIp, limit: 0, period: '1m' },
        ],
        store,
      }),
    );
    expect(refused?.code).toBe('FAULTLINE_INVALID_OPTION');
    expect(configErrorOf(() => rateLimit({ key: byIp, limit: 3, period: '1m', store }))).toBeUndefined();
  });
});
