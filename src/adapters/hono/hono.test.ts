import type { Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { sValidator } from '@hono/standard-validator';
import { zValidator } from '@hono/zod-validator';
import { defineErrors } from 'faultline';
import { envelope, field } from 'faultline/format';
import { createHonoErrors } from 'faultline/hono';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';

const catalog = defineErrors({}, { rename: { VALIDATION_FAILED: 'SCHEMA_VALIDATION_FAILED' } });
const format = envelope({ success: false, code: field.code, error: field.message, details: field.details });
const handlers = createHonoErrors({ catalog, format });
const schema = z.object({ email: z.string() });
const { validationHook } = handlers;
const app = new Hono();
handlers.install(app);
const json = handlers.json({ limit: 64, maxDepth: 8 });
app.post('/standard', json, sValidator('json', schema, validationHook), (c) => c.json(c.req.valid('json')));
app.post('/zod', json, zValidator('json', schema, validationHook), (c) => c.json(c.req.valid('json')));
app.post('/strict', json, (c) => c.json({ ok: true }));
// After the reader, the app reads the bytes as sent (a webhook's signature covers them) and the parsed body.
app.post('/raw', json, async (c) => {
  const bytes = [...new Uint8Array(await c.req.arrayBuffer())];
  return c.json({ bytes, body: await c.req.json() });
});
app.post('/hono-limit', bodyLimit({ maxSize: 16 }), (c) => c.json({ ok: true }));
app.post('/hono-validator', sValidator('json', schema, validationHook), (c) => c.json(c.req.valid('json')));
app.get('/forbidden', () => {
  throw new HTTPException(403, { message: 'Room belongs to a different application' });
});
app.get('/custom-response', () => {
  throw new HTTPException(401, {
    res: new Response('Unauthorized', { status: 401, headers: { 'www-authenticate': 'Bearer' } }),
  });
});
app.get('/object', () => {
  throw { not: 'an error' };
});
// hono/cors sets its headers on `c.res` before the route runs: Hono then copies that response onto onError's.
const corsApp = new Hono();
createHonoErrors({ catalog, logger: false }).install(corsApp);
corsApp.use(cors({ origin: 'https://app.example' }));
corsApp.get('/export', (c) => {
  c.header('content-encoding', 'gzip');
  c.header('set-cookie', 'session=half-done');
  throw new Error('the export failed');
});
corsApp.get('/object', (c) => {
  c.header('etag', '"v1"');
  throw { not: 'an error' };
});
corsApp.get('/immutable', (c) => {
  // A response whose headers are immutable, as a proxied fetch() gives.
  c.res = Response.redirect('https://elsewhere.example/', 302);
  throw new Error('the proxy failed');
});

// An app whose own onError wraps the layer's and adds a header, where the error comes after the handler
// answered (the context is finalized by then).
const wrappedLayer = createHonoErrors({ catalog, logger: false });
const wrapped = new Hono();
wrapped.use(wrappedLayer.middleware);
wrapped.onError((error, c) => {
  const answer = wrappedLayer.onError(error, c);
  c.header('x-wrapped', 'yes');
  return answer;
});
wrapped.use(async (_c, next) => {
  await next();
  throw new Error('after the handler answered');
});
wrapped.get('/late', (c) => {
  c.header('cache-control', 'public, max-age=60');
  return c.json({ ok: true });
});

const post = (body: string, type = 'application/json') => ({
  method: 'POST',
  headers: { 'content-type': type },
  body,
});

describe('faultline/hono', () => {
  it.each(['standard', 'zod'])('maps @hono/%s-validator failures to the validation code', async (route) => {
    const response = await app.request(`/${route}`, post('{"email":1}'));
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.code).toBe('SCHEMA_VALIDATION_FAILED');
  });

  it('leaves the bytes as sent, a BOM included, to the app after reading them, on the Web and on node', async () => {
    const sent = [0xef, 0xbb, 0xbf, ...new TextEncoder().encode('{"a":1}')];
    const web = await app.request('/raw', { ...post(''), body: new Uint8Array(sent) });
    expect(await web.json()).toEqual({ bytes: sent, body: { a: 1 } });
    const server = createAdaptorServer({ fetch: app.fetch });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const wire = await fetch(`http://127.0.0.1:${port}/raw`, { ...post(''), body: new Uint8Array(sent) });
      expect(await wire.json()).toEqual({ bytes: sent, body: { a: 1 } });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it.each(['text', 'json', 'blob', 'arrayBuffer'] as const)(
    'reads a body the app read first with c.req.%s(), as Hono serves any later read',
    async (form) => {
      const early = new Hono();
      const layer = createHonoErrors({ catalog, logger: false });
      layer.install(early);
      early.post(
        '/audited',
        async (c, next) => {
          await c.req[form]();
          await next();
        },
        layer.json({ limit: 64 }),
        async (c) => c.json(await c.req.json()),
      );
      const ok = await early.request('/audited', post('{"a":1}'));
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ a: 1 });
      const large = await early.request('/audited', post(JSON.stringify({ a: 'x'.repeat(100) })));
      expect(large.status).toBe(413);
    },
  );

  it('answers a client gone mid-body as the aborted request, when the app read the body first', async () => {
    const answered: number[] = [];
    let done: () => void;
    const seen = new Promise<void>((resolve) => {
      done = resolve;
    });
    let began: () => void;
    const reading = new Promise<void>((resolve) => {
      began = resolve;
    });
    const layer = createHonoErrors({
      catalog,
      logger: false,
      onError: (event) => {
        answered.push(event.error.status);
        done();
      },
    });
    const early = new Hono();
    layer.install(early);
    early.post(
      '/audited',
      async (c, next) => {
        const reading = c.req.arrayBuffer().catch(() => undefined);
        began();
        await reading;
        await next();
      },
      layer.json({ limit: 1000 }),
      (c) => c.json({ ok: true }),
    );
    const server = createAdaptorServer({ fetch: early.fetch }) as Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write('POST /audited HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n');
      socket.write('Content-Length: 500\r\n\r\n{"a":');
      // The client goes away mid-body, once the app's read has begun.
      await reading;
      socket.destroy();
      await seen;
      expect(answered).toEqual([400]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('answers malformed JSON, invalid UTF-8 and deep nesting with the malformed-JSON code', async () => {
    for (const body of [
      '{"email":',
      new Uint8Array([0x7b, 0xff, 0x7d]),
      `${'['.repeat(20)}${']'.repeat(20)}`,
    ]) {
      const response = await app.request('/standard', { ...post(''), body });
      expect(response.status).toBe(400);
      expect((await response.json()).code).toBe('MALFORMED_JSON');
    }
  });

  it('maps Hono’s own malformed-JSON HTTPException to the malformed-JSON code', async () => {
    const response = await app.request('/hono-validator', post('{"email":'));
    expect(response.status).toBe(400);
    expect((await response.json()).code).toBe('MALFORMED_JSON');
  });

  it('answers 405 with Allow and OPTIONS with 204 from the app’s routes', async () => {
    const wrong = await app.request('/strict', { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST, OPTIONS');
    const options = await app.request('/strict', { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('POST, OPTIONS');
  });

  it('maps an HTTPException by status and keeps its message for the client', async () => {
    const response = await app.request('/forbidden');
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({
      code: 'FORBIDDEN',
      error: 'Room belongs to a different application',
    });
  });

  it('keeps the headers of an HTTPException with a prepared response', async () => {
    const response = await app.request('/custom-response');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect((await response.json()).code).toBe('UNAUTHORIZED');
  });

  it('answers 413 over the limit and 415 with Accept for non-JSON bodies or another charset', async () => {
    const big = await app.request('/strict', post(JSON.stringify({ a: 'x'.repeat(100) })));
    expect(big.status).toBe(413);
    expect((await big.json()).code).toBe('BODY_TOO_LARGE');
    for (const type of ['text/plain', 'application/json; charset=latin1']) {
      const refused = await app.request('/strict', post('{}', type));
      expect(refused.status).toBe(415);
      expect(refused.headers.get('accept')).toBe('application/json');
    }
  });

  it('maps the 413 of hono/body-limit to the body-too-large code', async () => {
    const big = await app.request('/hono-limit', post(JSON.stringify({ a: 'x'.repeat(100) })));
    expect(big.status).toBe(413);
    expect((await big.json()).code).toBe('BODY_TOO_LARGE');
  });

  it('answers a thrown non-Error, which Hono does not hand to onError', async () => {
    const response = await app.request('/object');
    expect(response.status).toBe(500);
    expect((await response.json()).code).toBe('INTERNAL_ERROR');
  });

  it('an error answer drops the headers the app set before it threw, and keeps CORS', async () => {
    const origin = { headers: { origin: 'https://app.example' } };
    for (const path of ['/export', '/object']) {
      const response = await corsApp.request(path, origin);
      expect(response.status).toBe(500);
      expect((await response.json()).code).toBe('INTERNAL_ERROR');
      expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example');
      for (const name of ['content-encoding', 'set-cookie', 'etag'])
        expect(response.headers.get(name)).toBeNull();
    }
    const proxied = await corsApp.request('/immutable', origin);
    expect(proxied.status).toBe(500);
    expect(proxied.headers.get('location')).toBeNull();
    expect((await proxied.json()).code).toBe('INTERNAL_ERROR');
  });

  it('leaves the context usable for an onError of the app that wraps the layer’s', async () => {
    const response = await wrapped.request('/late');
    expect(response.status).toBe(500);
    expect((await response.json()).code).toBe('INTERNAL_ERROR');
    expect(response.headers.get('x-wrapped')).toBe('yes');
    expect(response.headers.get('cache-control')).toBeNull();
  });

  it('answers unknown routes in the declared envelope', async () => {
    const response = await app.request('/nope');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toMatchObject({ success: false, code: 'NOT_FOUND' });
  });
});
