/**
 * An idempotency guard mounted before the body reader: it must never fingerprint "no body", which would
 * replay one request's answer to another request with the same key and a different body. Express and Koa
 * read and keep the bytes of a JSON body themselves (the route's reader then reads them), as node and Hono
 * do; a keyed body of another type that no parser has read is refused 415, and Fastify's `onRequest`,
 * which runs before any parser, is where the guard refuses to guess (the catalog's 500, logged).
 */
import type { Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import express from 'express';
import Fastify from 'fastify';
import { createExpressErrors, guard as expressGuard } from 'faultline/express';
import { createFastifyErrors, guard as fastifyGuard } from 'faultline/fastify';
import { idempotency } from 'faultline/guards';
import { createKoaErrors, guard as koaGuard } from 'faultline/koa';
import { memoryStore } from 'faultline/stores';
import Koa from 'koa';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { close, listen } from '../helpers/http.js';

const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

async function serve(server: Server): Promise<string> {
  servers.push(server);
  return listen(server);
}

function post(base: string, key: string, body: string) {
  return fetch(`${base}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body,
  });
}

// The guard, then the body parser given (faultline's reader by default), then a route echoing the body.
function expressApp(parser?: express.RequestHandler): Server {
  const errors = createExpressErrors({ logger: false });
  const app = express();
  const idempotent = expressGuard(idempotency({ store: memoryStore(), tenant: () => 'app-1' }));
  app.use(idempotent, parser ?? errors.json());
  app.post('/orders', (req, res) => void res.status(201).json({ got: req.body }));
  app.use(errors.handler);
  return app.listen(0, '127.0.0.1');
}

function koaApp(): Server {
  const errors = createKoaErrors({ logger: false });
  const app = new Koa();
  app.use(errors.middleware);
  app.use(koaGuard(idempotency({ store: memoryStore(), tenant: () => 'app-1' })));
  app.use(errors.json());
  app.use((ctx) => {
    ctx.status = 201;
    ctx.body = { got: ctx.request.body };
  });
  return app.listen(0, '127.0.0.1');
}

describe.each([
  ['Express', () => expressApp()],
  // body-parser finds the request read and leaves the guard's value.
  ['Express with express.json()', () => expressApp(express.json())],
  ['Koa', koaApp],
])('an idempotency guard before the body reader on %s', (_, build) => {
  it('fingerprints the body it read: a new body under a used key is 422, the same one a replay', async () => {
    const base = await serve(build());
    const first = await post(base, 'k-1', '{"amount":1}');
    expect(first.status).toBe(201);
    expect(await first.json()).toEqual({ got: { amount: 1 } });
    const other = await post(base, 'k-1', '{"amount":999}');
    expect(other.status).toBe(422);
    expect((await other.json()).code).toBe('IDEMPOTENCY_KEY_REUSED');
    const again = await post(base, 'k-1', '{"amount":1}');
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual({ got: { amount: 1 } });
  });

  it('holds the read to the limit, and the route reader still refuses what is not JSON', async () => {
    const base = await serve(build());
    const big = await post(base, 'k-big', `{"a":"${'x'.repeat(2 * 1024 * 1024)}"}`);
    expect(big.status).toBe(413);
    const malformed = await post(base, 'k-bad', '{"amount":');
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).code).toBe('MALFORMED_JSON');
  });

  it('refuses a body in a content coding, as the route reader does: 415, not "malformed"', async () => {
    const base = await serve(build());
    const coded = await fetch(`${base}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'idempotency-key': 'k-gz' },
      body: gzipSync('{"amount":1}'),
    });
    expect(coded.status).toBe(415);
    expect(coded.headers.get('accept-encoding')).toBe('identity');
    expect((await coded.json()).code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('an idempotency guard before the parser of a body that is not JSON', () => {
  it('refuses a keyed form no parser has read (415, nothing logged), never replaying another form', async () => {
    const logged = vi.fn();
    const errors = createExpressErrors({ logger: { error: logged } });
    const app = express();
    app.use(
      expressGuard(idempotency({ store: memoryStore(), tenant: () => 'app-1' })),
      express.urlencoded({ extended: false }),
    );
    app.post('/orders', (req, res) => void res.status(201).json({ got: req.body }));
    app.use(errors.handler);
    const base = await serve(app.listen(0, '127.0.0.1'));
    const form = (body: string, key?: string) =>
      fetch(`${base}/orders`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(key && { 'idempotency-key': key }),
        },
        body,
      });
    for (const body of ['amount=1&to=alice', 'amount=99999&to=mallory']) {
      const answer = await form(body, 'k-1');
      expect(answer.status).toBe(415);
      expect((await answer.json()).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
    expect(logged).not.toHaveBeenCalled();
    // Without a key the guard reads nothing: the parser and the route run as before.
    const unkeyed = await form('amount=1');
    expect(unkeyed.status).toBe(201);
    expect(await unkeyed.json()).toEqual({ got: { amount: '1' } });
  });
});

describe('an idempotency guard as a Fastify onRequest hook', () => {
  it('refuses to fingerprint a body no parser has read yet: a logged 500, not a replay of another body', async () => {
    const logged = vi.fn();
    const faultline = createFastifyErrors({ logger: { error: logged } });
    const app = Fastify({ frameworkErrors: faultline.frameworkErrors });
    await app.register(faultline);
    app.addHook('onRequest', fastifyGuard(idempotency({ store: memoryStore(), tenant: () => 'app-1' })));
    app.post('/orders', async (request, reply) => reply.code(201).send({ got: request.body }));
    await app.ready();
    const base = await serve(app.server);
    for (const body of ['{"amount":1}', '{"amount":999}']) {
      const answer = await post(base, 'k-1', body);
      expect(answer.status).toBe(500);
      expect((await answer.json()).code).toBe('INTERNAL_ERROR');
    }
    expect(JSON.stringify(logged.mock.calls)).toContain('FAULTLINE_BODY_NOT_PARSED');
    const bodiless = await fetch(`${base}/orders`, { method: 'POST', headers: { 'idempotency-key': 'k-2' } });
    expect(bodiless.status).toBe(201);
  });
});
