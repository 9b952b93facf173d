import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { createExpressErrors, guard as expressGuard } from 'faultline/express';
import { createFastifyErrors, guard as fastifyGuard } from 'faultline/fastify';
import { idempotency } from 'faultline/guards';
import { createHonoErrors, guard as honoGuard } from 'faultline/hono';
import { createKoaErrors, guard as koaGuard } from 'faultline/koa';
import { createNodeErrors, guard, sendJson } from 'faultline/node';
import { memoryStore } from 'faultline/stores';
import { Hono } from 'hono';
import Koa from 'koa';
import { afterAll, describe, expect, it } from 'vitest';
import { close, listen } from '../helpers/http.js';

/** The head of the answer to a raw request sent with `connection: close`, read to the end (bounded). */
function rawHead(url: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1', () => socket.write(text));
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer within 5 s'));
    }, 5_000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received.split('\r\n\r\n')[0] ?? '');
    });
  });
}

let server: Server | undefined;
afterAll(async () => {
  if (server) await close(server);
});

it('a replay carries each header once: writeHead names in any case replace what setHeader set', async () => {
  const errors = createNodeErrors({ logger: false });
  server = createServer(
    errors(
      guard(idempotency({ tenant: () => 't', store: memoryStore() }))((_req, res) => {
        res.setHeader('content-type', 'text/plain');
        res.writeHead(201, { 'Content-Type': 'application/json', 'X-Order': '1' });
        res.end('{"ok":true}');
      }),
    ),
  );
  const url = await listen(server);
  const key = randomUUID();
  const post = () =>
    rawHead(
      url,
      `POST / HTTP/1.1\r\nhost: x\r\nidempotency-key: "${key}"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`,
    );
  await post();
  await post();
  const second = await post();
  const lines = second.split('\r\n').map((line) => line.toLowerCase());
  expect(lines.filter((line) => line.startsWith('idempotent-replayed:'))).toHaveLength(1);
  expect(lines.filter((line) => line.startsWith('content-type:'))).toEqual([
    'content-type: application/json',
  ]);
  expect(lines.filter((line) => line.startsWith('x-order:'))).toHaveLength(1);
});

describe('a replay on an app whose middleware set a header before the guard', () => {
  const origin = 'https://app.example.com';
  const once = () => idempotency({ tenant: () => 't', store: memoryStore() });
  const built: Server[] = [];
  afterAll(async () => {
    for (const each of built) await close(each);
  });

  const apps: [string, () => Promise<Server>][] = [
    [
      'node',
      async () => {
        const errors = createNodeErrors({ logger: false });
        const handler = guard(once())((_req, res) => sendJson(res, 201, { ok: true }));
        return createServer(
          errors((req, res) => {
            res.setHeader('access-control-allow-origin', origin);
            return handler(req, res);
          }),
        );
      },
    ],
    [
      'Express',
      async () => {
        const errors = createExpressErrors({ logger: false });
        const app = express();
        app.use((_req, res, next) => {
          res.setHeader('access-control-allow-origin', origin);
          next();
        });
        app.use(expressGuard(once()), errors.json());
        app.post('/', (_req, res) => void res.status(201).json({ ok: true }));
        app.use(errors.handler);
        return createServer(app);
      },
    ],
    [
      'Koa',
      async () => {
        const errors = createKoaErrors({ logger: false });
        const app = new Koa();
        app.use(errors.middleware);
        app.use(async (ctx, next) => {
          ctx.set('access-control-allow-origin', origin);
          await next();
        });
        app.use(koaGuard(once()));
        app.use((ctx) => {
          ctx.status = 201;
          ctx.body = { ok: true };
        });
        return createServer(app.callback());
      },
    ],
    [
      'Fastify',
      async () => {
        const app = Fastify();
        await app.register(createFastifyErrors({ logger: false }));
        app.addHook('onRequest', async (_request, reply) => {
          reply.header('access-control-allow-origin', origin);
        });
        app.post('/', { preHandler: fastifyGuard(once()) }, async (_request, reply) =>
          reply.code(201).send({ ok: true }),
        );
        await app.ready();
        return app.server;
      },
    ],
    [
      'Hono',
      async () => {
        const layer = createHonoErrors({ logger: false });
        const app = new Hono();
        layer.install(app);
        app.use(async (c, next) => {
          c.header('access-control-allow-origin', origin);
          await next();
        });
        app.use(honoGuard(once()));
        app.post('/', (c) => c.json({ ok: true }, 201));
        return createAdaptorServer({ fetch: app.fetch }) as Server;
      },
    ],
  ];

  it.each(apps)(
    '%s sends it once: a browser refuses two Access-Control-Allow-Origin values',
    async (_, make) => {
      const app = await make();
      built.push(app);
      const url = await listen(app);
      const key = randomUUID();
      const post = () =>
        rawHead(
          url,
          `POST / HTTP/1.1\r\nhost: x\r\nidempotency-key: "${key}"\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}`,
        );
      const first = await post();
      expect(first).toMatch(/^HTTP\/1\.1 201/);
      const replay = await post();
      const lines = replay.split('\r\n').map((line) => line.toLowerCase());
      expect(lines.filter((line) => line.startsWith('idempotent-replayed:'))).toHaveLength(1);
      expect(lines.filter((line) => line.startsWith('access-control-allow-origin:'))).toEqual([
        `access-control-allow-origin: ${origin}`,
      ]);
    },
  );
});
