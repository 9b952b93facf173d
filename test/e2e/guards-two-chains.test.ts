import { createServer, type Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { defineErrors } from 'faultline';
import { createExpressErrors, guard as expressGuard } from 'faultline/express';
import { createFastifyErrors, guard as fastifyGuard } from 'faultline/fastify';
import { byIp, type Guard, rateLimit } from 'faultline/guards';
import { createHonoErrors, guard as honoGuard } from 'faultline/hono';
import { createKoaErrors, guard as koaGuard } from 'faultline/koa';
import { createNodeErrors, guard as nodeGuard, sendJson } from 'faultline/node';
import { Hono } from 'hono';
import Koa from 'koa';
import { afterAll, describe, expect, it } from 'vitest';
import { close, listen } from '../helpers/http.js';

// Two chains of guards on one route (a per-address limit for every route, a per-route one after it, as the
// README's Fastify example mounts them): the admitted answer's RateLimit and RateLimit-Policy are lists
// (RFC 9651) and carry both policies. The second chain's fields replaced the first's on node, Express,
// Fastify and Koa.
const catalog = defineErrors({});
const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

const chains = (): [Guard, Guard] => [
  rateLimit({ name: 'per-ip', key: byIp, limit: 10, period: '1m' }),
  rateLimit({ name: 'per-route', key: byIp, limit: 5, period: '1m' }),
];

const apps: Record<string, (first: Guard, second: Guard) => Promise<Server>> = {
  async node(first, second) {
    const errors = createNodeErrors({ catalog });
    return createServer(errors(nodeGuard(first)(nodeGuard(second)((_req, res) => sendJson(res, 200, {})))));
  },
  async express(first, second) {
    const errors = createExpressErrors({ catalog });
    const app = express();
    app.use(expressGuard(first));
    app.get('/', expressGuard(second), (_req, res) => {
      res.json({});
    });
    app.use(errors.notFound);
    app.use(errors.handler);
    return createServer(app);
  },
  async fastify(first, second) {
    const faultline = createFastifyErrors({ catalog });
    const app = Fastify();
    await app.register(faultline);
    app.addHook('onRequest', fastifyGuard(first));
    app.get('/', { preHandler: fastifyGuard(second) }, async () => ({}));
    await app.ready();
    return app.server;
  },
  async koa(first, second) {
    const errors = createKoaErrors({ catalog });
    const app = new Koa();
    app.use(errors.middleware);
    app.use(koaGuard(first));
    app.use(koaGuard(second));
    app.use((ctx) => {
      ctx.body = {};
    });
    return createServer(app.callback());
  },
  async hono(first, second) {
    const errors = createHonoErrors({ catalog });
    const app = new Hono();
    errors.install(app);
    app.use(honoGuard(first));
    app.get('/', honoGuard(second), (c) => c.json({}));
    return createAdaptorServer({ fetch: app.fetch }) as Server;
  },
};

describe.each(Object.keys(apps))('%s: two chains of guards on one route', (name) => {
  it("carry both policies' RateLimit fields on the admitted answer", async () => {
    const server = await apps[name]!(...chains());
    servers.push(server);
    const url = await listen(server);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    const policy = response.headers.get('ratelimit-policy') ?? '';
    const limit = response.headers.get('ratelimit') ?? '';
    expect(policy).toContain('"per-ip";q=10');
    expect(policy).toContain('"per-route";q=5');
    expect(limit).toContain('"per-ip";r=9');
    expect(limit).toContain('"per-route";r=4');
  });
});
