import { createServer } from 'node:http';
import { defineErrors } from 'faultline';
import { byIp, rateLimit } from 'faultline/guards';
import { createKoaErrors, guard, type KoaRaw } from 'faultline/koa';
import type { ErrorEvent } from 'faultline/server';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, listen, rawRequest } from '../../../test/helpers/http.js';

const catalog = defineErrors(
  { ROOM_FULL: { status: 409, message: 'Room is full', headers: { 'retry-after': '30' } } },
  { rename: { MALFORMED_JSON: 'INVALID_REQUEST_BODY' } },
);
const events: ErrorEvent<KoaRaw>[] = [];
const errors = createKoaErrors({ catalog, onError: (event) => events.push(event) }, { body: { limit: 64 } });

function build(proxy = false) {
  const app = new Koa({ proxy });
  // Made once with the app, as a guard must be: one made per request would start from nothing each time.
  const limited = guard(rateLimit({ key: byIp, limit: 1, period: '1m' }));
  app.use(errors.middleware);
  app.use(async (ctx, next) => {
    if (ctx.path === '/full') throw catalog.create('ROOM_FULL');
    if (ctx.path === '/koa-throw') ctx.throw(403, 'not yours');
    if (ctx.path === '/koa-throw-bare') ctx.throw(403);
    if (ctx.path === '/object') throw { not: 'an error' };
    if (ctx.path === '/secret') throw new Error('koa secret');
    if (ctx.path === '/limited') return limited(ctx, next);
    if (ctx.path === '/json' && ctx.method === 'POST') {
      return errors.json()(ctx, async () => {
        ctx.body = { got: (ctx.request as { body?: unknown }).body };
      });
    }
    if (ctx.path === '/json') {
      ctx.set('allow', 'POST');
      ctx.status = 405;
      return;
    }
    if (ctx.path === '/streamed') {
      ctx.res.writeHead(200, { 'content-type': 'text/plain' });
      ctx.res.write('partial');
      throw new Error('after the head');
    }
    await next();
  });
  app.use(async (ctx, next) => {
    if (ctx.path === '/limited') ctx.body = { ip: ctx.ip };
    await next();
  });
  return createServer(app.callback()).on('clientError', errors.clientError);
}

const server = build();
const proxied = build(true);
let base = '';
let proxiedBase = '';
beforeAll(async () => {
  base = await listen(server);
  proxiedBase = await listen(proxied);
});
afterAll(async () => {
  await close(server);
  await close(proxied);
});

const post = (body: string, type = 'application/json'): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': type },
  body,
});

describe('faultline/koa', () => {
  it('returns the adapter shape: the catalog, the compiled handler and clientError', () => {
    expect(errors.catalog).toBe(catalog);
    expect(errors.errors.catalog).toBe(catalog);
    expect(typeof errors.clientError).toBe('function');
  });

  it('answers a thrown catalog error with its status, headers and format, and hands onError the ctx', async () => {
    events.length = 0;
    const response = await fetch(`${base}/full`);
    expect(response.status).toBe(409);
    expect(response.headers.get('retry-after')).toBe('30');
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect((await response.json()).code).toBe('ROOM_FULL');
    expect(events[0]?.raw?.ctx.path).toBe('/full');
  });

  it('answers ctx.throw by its status with the message given for the client', async () => {
    const response = await fetch(`${base}/koa-throw`);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: 'FORBIDDEN', detail: 'not yours' });
  });

  it("answers a bare ctx.throw with the catalog's message, not the status's name Koa writes", async () => {
    const response = await fetch(`${base}/koa-throw-bare`);
    expect(response.status).toBe(403);
    const body = await response.json();
    expect(body).toMatchObject({ code: 'FORBIDDEN' });
    expect(body.detail).toBe(catalog.create('FORBIDDEN').message);
    expect(body.detail).not.toBe('Forbidden');
  });

  it('answers a thrown non-Error and an Error as the internal error, without its message', async () => {
    for (const path of ['/object', '/secret']) {
      const response = await fetch(`${base}${path}`);
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(JSON.parse(text).code).toBe('INTERNAL_ERROR');
      expect(text).not.toContain('koa secret');
    }
  });

  it('answers Koa’s own 404 in the catalog, and HEAD with the headers only', async () => {
    const response = await fetch(`${base}/nowhere`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'NOT_FOUND', instance: '/nowhere' });
    const head = await fetch(`${base}/nowhere`, { method: 'HEAD' });
    expect(head.status).toBe(404);
    expect(await head.text()).toBe('');
  });

  it('answers a router’s bodyless 405 in the catalog, with its Allow', async () => {
    const response = await fetch(`${base}/json`, { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST, OPTIONS');
    expect((await response.json()).code).toBe('METHOD_NOT_ALLOWED');
  });

  it('reads a JSON body with the kit’s limits: 413, 415 with Accept, malformed, poisoning', async () => {
    expect(await (await fetch(`${base}/json`, post('{"a":1}'))).json()).toEqual({ got: { a: 1 } });
    const big = await fetch(`${base}/json`, post(JSON.stringify({ a: 'x'.repeat(100) })));
    expect(big.status).toBe(413);
    const text = await fetch(`${base}/json`, post('{}', 'text/plain'));
    expect(text.status).toBe(415);
    expect(text.headers.get('accept')).toBe('application/json');
    for (const body of ['{"a":', '{"__proto__":{"isAdmin":true}}', `${'['.repeat(300)}${']'.repeat(300)}`]) {
      const bad = await fetch(`${base}/json`, post(body.slice(0, 64)));
      expect(bad.status).toBe(400);
      expect((await bad.json()).code).toBe('INVALID_REQUEST_BODY');
    }
  });

  it('answers 413 at once for a declared length over the limit and closes the connection', async () => {
    const raw = await rawRequest(base, [
      'POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n',
    ]);
    expect(raw?.status).toBe(413);
    expect(raw?.headers.connection).toBe('close');
  });

  it('answers a malformed path and a request node’s parser refuses with the catalog’s 400', async () => {
    const malformed = await fetch(`${base}/a%zz`);
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).detail).toBe('The request path is malformed.');
    const raw = await rawRequest(base, ['GET / HTTP/1.1\r\nHost: x\r\nX-Bad: a\rb\r\n\r\n']);
    expect(raw?.status).toBe(400);
    expect(raw?.body).toContain('"code":"BAD_REQUEST"');
  });

  it('cuts the connection when the answer had already begun', async () => {
    await expect(fetch(`${base}/streamed`).then((r) => r.text())).rejects.toThrow();
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);
  });

  it('keys guards on ctx.ip: X-Forwarded-For only under app.proxy, as Koa reads it', async () => {
    const spoof = { headers: { 'x-forwarded-for': '203.0.113.9' } };
    expect(await (await fetch(`${base}/limited`, spoof)).json()).toEqual({
      ip: expect.stringMatching(/127\.0\.0\.1/),
    });
    const denied = await fetch(`${base}/limited`, { headers: { 'x-forwarded-for': '198.51.100.1' } });
    expect(denied.status).toBe(429);
    expect(denied.headers.get('retry-after')).not.toBeNull();
    const viaProxy = await fetch(`${proxiedBase}/limited`, spoof);
    expect(await viaProxy.json()).toEqual({ ip: '203.0.113.9' });
  });
});
