import { rateLimit } from 'faultline/guards';
import { createHonoErrors, guard } from 'faultline/hono';
import { memoryStore } from 'faultline/stores';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';

function app() {
  const store = memoryStore();
  const hono = new Hono();
  createHonoErrors({ logger: false }, { ip: () => '203.0.113.9' }).install(hono);
  hono.use(guard(rateLimit({ store, policies: [{ name: 'ip', key: () => 'ip', limit: 10, period: '1m' }] })));
  hono.get(
    '/calls',
    guard(rateLimit({ store, policies: [{ name: 'user', key: () => 'user', limit: 2, period: '1m' }] })),
    (c) => c.json({ ok: true }),
  );
  return hono;
}

describe('Hono guards in two layers', () => {
  it('an admitted answer carries the RateLimit fields of both layers, not only the outer one', async () => {
    const res = await app().request('/calls');
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit-policy')).toMatch(/"user";q=2.*"ip";q=10|"ip";q=10.*"user";q=2/);
    expect(res.headers.get('ratelimit')).toContain('"user";r=1');
  });

  it("a 429 of the inner layer keeps the inner policy's fields beside the outer one's", async () => {
    const hono = app();
    for (let i = 0; i < 2; i++) await hono.request('/calls');
    const denied = await hono.request('/calls');
    expect(denied.status).toBe(429);
    expect(denied.headers.get('ratelimit')).toContain('"user";r=0');
  });
});
