import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { aloneOnPath, answersAfterSoleHandler, hasRoute } from './internals.js';

// Hono's export map holds no `./package.json`: the installed copy's manifest is read from disk.
const manifest = new URL('../../../node_modules/hono/package.json', import.meta.url);
const honoVersion = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;

describe('the Hono router internals the adapter reads', () => {
  it(`tells a route of a method from middleware on Hono ${honoVersion}`, () => {
    expect(honoVersion).toMatch(/^4\./);
    const app = new Hono();
    app.use(async (_c, next) => next());
    app.get('/items/:id', (c) => c.text('ok'));
    app.post('/items/:id', (c) => c.text('ok'));
    expect(hasRoute(app, 'GET', '/items/7')).toBe(true);
    expect(hasRoute(app, 'POST', '/items/7')).toBe(true);
    expect(hasRoute(app, 'DELETE', '/items/7')).toBe(false);
    // Middleware matches every path and method: it is not a route.
    expect(hasRoute(app, 'GET', '/none')).toBe(false);
  });

  it('sees routes in a sub-app mounted with route()', () => {
    const api = new Hono().put('/things', (c) => c.text('ok'));
    const app = new Hono().route('/v1', api);
    expect(hasRoute(app, 'PUT', '/v1/things')).toBe(true);
    expect(hasRoute(app, 'GET', '/v1/things')).toBe(false);
  });

  it('tells a handler matched alone from one with routes or other middleware after it', async () => {
    const seen: Record<string, boolean> = {};
    const app = new Hono();
    app.use(async (c, next) => {
      seen[c.req.path] = aloneOnPath(c);
      await next();
    });
    app.get('/items', (c) => c.text('ok'));
    app.use('/logged/*', async (_c, next) => next());
    await app.request('/items');
    await app.request('/nowhere');
    await app.request('/logged/x');
    expect(seen).toEqual({ '/items': false, '/nowhere': true, '/logged/x': false });
  });

  it(`answers a miss with the not-found handler when the sole handler returns nothing, on Hono ${honoVersion}`, () => {
    // Hono 4.2 answered nothing there: the layer then calls next() as before (peer-floors.test.ts runs it).
    expect(answersAfterSoleHandler(new Hono())).toBe(true);
  });
});
