import { createServer, type Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import express from 'express';
import { defineErrors } from 'faultline';
import { createExpressErrors } from 'faultline/express';
import { createHonoErrors } from 'faultline/hono';
import { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import { close, listen } from '../helpers/http.js';

// A route that takes a request and passes it on (Express's `next()`, Hono's `await next()`) leaves it
// unanswered: a 404, as each framework answers alone. A 405 would tell the client that the method it
// used is not allowed while its own `Allow` lists that method.
const catalog = defineErrors({});
const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

async function expressApp(): Promise<string> {
  const errors = createExpressErrors({ catalog, logger: false });
  const app = express();
  app.get('/items', (_req, _res, next) => next());
  app.post('/orders', (_req, res) => {
    res.status(201).json({});
  });
  app.use(errors.notFound);
  app.use(errors.handler);
  const server = createServer(app);
  servers.push(server);
  return listen(server);
}

async function honoApp(): Promise<string> {
  const errors = createHonoErrors({ catalog, logger: false });
  const app = new Hono();
  errors.install(app);
  app.get('/items', async (_c, next) => {
    await next();
  });
  app.post('/orders', (c) => c.json({}, 201));
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  servers.push(server);
  return listen(server);
}

describe.each([
  ['Express', expressApp],
  ['Hono', honoApp],
])('%s: a route that passes a request on', (_name, build) => {
  it('answers 404, without an Allow that lists the method used', async () => {
    const url = await build();
    const passed = await fetch(`${url}/items`);
    expect(passed.status).toBe(404);
    expect(((await passed.json()) as { code: string }).code).toBe('NOT_FOUND');
    expect(passed.headers.get('allow')).toBeNull();
    // HEAD is a GET route's too.
    expect((await fetch(`${url}/items`, { method: 'HEAD' })).status).toBe(404);
  });

  it('still answers 405 with Allow for a method no route of the path takes', async () => {
    const url = await build();
    const wrong = await fetch(`${url}/items`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    const get = await fetch(`${url}/orders`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST, OPTIONS');
    const options = await fetch(`${url}/items`, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  });
});

it('Hono: a method in lower case matches no route of its upper-case name: 405, not a route that passed on', async () => {
  const errors = createHonoErrors({ catalog, logger: false });
  const app = new Hono();
  errors.install(app);
  app.patch('/items', (c) => c.json({}));
  // Fetch upper-cases only the methods it standardises; PATCH is not one of them.
  const lower = await app.fetch(new Request('http://x/items', { method: 'patch' }));
  expect(lower.status).toBe(405);
  expect(lower.headers.get('allow')).toBe('PATCH, OPTIONS');
});
