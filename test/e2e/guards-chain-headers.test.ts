import type { Server } from 'node:http';
import { defineErrors } from 'faultline';
import { apiKey, byHeader, byIp, type Guard, rateLimit, requireHeader } from 'faultline/guards';
import { memoryStore } from 'faultline/stores';
import { afterAll, describe, expect, it } from 'vitest';
import { adapters } from '../helpers/adapters.js';
import { close, listen } from '../helpers/http.js';

const catalog = defineErrors({});
const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

// One chain, as the README writes it: a per-IP limit that spends a unit, then checks that may refuse.
function chain(): Guard[] {
  const store = memoryStore();
  return [
    rateLimit({ name: 'per-ip', key: byIp, limit: 5, period: '1m', store }),
    requireHeader({ name: 'X-App-ID' }),
    apiKey({ keys: ['k-0123456789abcdef'] }),
    rateLimit({ name: 'per-app', key: byHeader('x-app-id'), limit: 1, period: '1m', store }),
  ];
}

describe.each(adapters)('a refusal later in one guard chain, on $name', (adapter) => {
  let base = '';
  it('carries the RateLimit fields of the limit that already spent a unit', async () => {
    const server = await adapter.build({
      options: { catalog, onError: false },
      routes: [{ method: 'GET', path: '/orders', guards: chain(), handle: () => ({ body: { ok: true } }) }],
    });
    servers.push(server);
    base = await listen(server);

    const missing = await fetch(`${base}/orders`);
    expect(missing.status).toBe(400);
    expect(missing.headers.get('ratelimit')).toBe('"per-ip";r=4;t=12');
    expect(missing.headers.get('ratelimit-policy')).toBe('"per-ip";q=5;w=60');

    const badKey = await fetch(`${base}/orders`, { headers: { 'x-app-id': 'a1', 'x-api-key': 'nope' } });
    expect(badKey.status).toBe(401);
    expect(badKey.headers.get('ratelimit')).toBe('"per-ip";r=3;t=24');
  });

  it('lists both policies when a later limit refuses, and the refusing one says when to retry', async () => {
    const headers = { 'x-app-id': 'a1', 'x-api-key': 'k-0123456789abcdef' };
    expect((await fetch(`${base}/orders`, { headers })).status).toBe(200);
    const refused = await fetch(`${base}/orders`, { headers });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('ratelimit')).toMatch(/^"per-ip";r=1;t=\d+, "per-app";r=0;t=\d+$/);
    expect(refused.headers.get('ratelimit-policy')).toBe('"per-ip";q=5;w=60, "per-app";q=1;w=60');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await refused.json()).code).toBe('RATE_LIMITED');
  });
});
