import { createServer, type Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { sValidator } from '@hono/standard-validator';
import express from 'express';
import Fastify from 'fastify';
import { defineErrors } from 'faultline';
import { createExpressErrors } from 'faultline/express';
import { createFastifyErrors } from 'faultline/fastify';
import { createHonoErrors } from 'faultline/hono';
import { createKoaErrors } from 'faultline/koa';
import { createNodeErrors, createRouter, readJson, sendJson } from 'faultline/node';
import { Hono } from 'hono';
import Koa from 'koa';
import * as z from 'zod';
import type { AdapterName } from './adapters.js';

/** The catalog of the body apps: the standard codes only. */
export const bodyCatalog = defineErrors({});

/** What a handler saw of a body it was given: an own `__proto__` or `constructor` key, a polluted prototype. */
export interface Seen {
  route: string;
  ownProto: boolean;
  ownConstructor: boolean;
  polluted: boolean;
}

/** An adapter's server, the server of its framework's own parser, and every body a handler received. */
export interface BodyApp {
  server: Server;
  /** Serves `POST /native`: the same server, except on Fastify (its parsers are one per instance). */
  native: Server;
  seen: Seen[];
}

function see(seen: Seen[], route: string, body: unknown): Seen {
  const bag = (typeof body === 'object' && body !== null ? body : {}) as object;
  const entry = {
    route,
    ownProto: Object.hasOwn(bag, '__proto__'),
    ownConstructor: Object.hasOwn(bag, 'constructor'),
    polluted: (bag as { isAdmin?: unknown }).isAdmin !== undefined,
  };
  seen.push(entry);
  return entry;
}

// A signed token whose payload segment is not JSON: the server's own parse fails, not the client's body.
const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0.c2ln';
function tokenPayload(): unknown {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

const anyBody = z.unknown();

/**
 * The routes, on each adapter: `POST /echo` reads the body with faultline's reader, `POST /native` with
 * the framework's own JSON parser (body-parser, Fastify's, Hono's validator; node and Koa have none and
 * use faultline's), and `GET /token` parses a token payload that is not JSON in the server's own code.
 * One entry per adapter of the list in `adapters.ts`.
 */
export const bodyApps: Record<AdapterName, () => Promise<BodyApp>> = {
  async node() {
    const seen: Seen[] = [];
    const router = createRouter()
      .post('/echo', async (req) => see(seen, 'echo', await readJson(req)))
      .post('/native', async (req) => see(seen, 'native', await readJson(req)))
      .get('/token', (_req, res) => sendJson(res, 200, tokenPayload()));
    const errors = createNodeErrors({ catalog: bodyCatalog });
    const server = createServer(errors(router.handle)).on('clientError', errors.clientError);
    return { server, native: server, seen };
  },
  async express() {
    const seen: Seen[] = [];
    const errors = createExpressErrors({ catalog: bodyCatalog });
    const app = express();
    app.post('/echo', errors.json(), (req, res) => {
      res.json(see(seen, 'echo', req.body));
    });
    app.post('/native', express.json(), (req, res) => {
      res.json(see(seen, 'native', req.body));
    });
    app.get('/token', (_req, res) => {
      res.json(tokenPayload());
    });
    app.use(errors.notFound);
    app.use(errors.handler);
    const server = createServer(app).on('clientError', errors.clientError);
    return { server, native: server, seen };
  },
  async fastify() {
    const seen: Seen[] = [];
    const app = Fastify();
    await app.register(createFastifyErrors({ catalog: bodyCatalog }));
    app.post('/echo', async (request) => see(seen, 'echo', request.body));
    app.get('/token', async () => tokenPayload());
    await app.ready();
    // Fastify's own parsers: an instance that keeps them.
    const native = Fastify();
    await native.register(createFastifyErrors({ catalog: bodyCatalog }, { parseJson: false }));
    native.post('/native', async (request) => see(seen, 'native', request.body));
    await native.ready();
    return { server: app.server, native: native.server, seen };
  },
  async hono() {
    const seen: Seen[] = [];
    const errors = createHonoErrors({ catalog: bodyCatalog });
    const app = new Hono();
    errors.install(app);
    app.post('/echo', errors.json(), async (c) => c.json(see(seen, 'echo', await c.req.json())));
    app.post('/native', sValidator('json', anyBody, errors.validationHook), (c) =>
      c.json(see(seen, 'native', c.req.valid('json'))),
    );
    app.get('/token', (c) => c.json(tokenPayload() as object));
    const server = createAdaptorServer({ fetch: app.fetch }) as Server;
    server.on('clientError', errors.clientError);
    return { server, native: server, seen };
  },
  async koa() {
    const seen: Seen[] = [];
    const errors = createKoaErrors({ catalog: bodyCatalog });
    const app = new Koa();
    app.use(errors.middleware);
    const json = errors.json();
    app.use(async (ctx, next) => {
      const route = `${ctx.method} ${ctx.path}`;
      if (route === 'POST /echo' || route === 'POST /native') {
        const name = ctx.path.slice(1);
        return json(ctx, async () => {
          ctx.body = see(seen, name, (ctx.request as { body?: unknown }).body);
        });
      }
      if (route === 'GET /token') {
        ctx.body = tokenPayload();
        return;
      }
      await next();
    });
    const server = createServer(app.callback()).on('clientError', errors.clientError);
    return { server, native: server, seen };
  },
};
