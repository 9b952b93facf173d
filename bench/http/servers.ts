/**
 * One server per process for the HTTP benchmark: `tsx bench/http/servers.ts <kind> <port>`. Each
 * framework's own error path (`<framework>-native`) beside faultline on each adapter of the one list.
 * Every kind serves the same three error routes: GET /missing (404, unknown route), POST /validate
 * (400, a parsed JSON body that fails validation), GET /limited (429 with Retry-After).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import createFastifyError from '@fastify/error';
import { serve } from '@hono/node-server';
import { sValidator } from '@hono/standard-validator';
import express from 'express';
import Fastify from 'fastify';
import { defineErrors } from 'faultline';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import createHttpError from 'http-errors';
import Koa from 'koa';
import * as z from 'zod';
import { type AppSpec, adapters } from '../../test/helpers/adapters.js';

const [kind = '', portText = '0'] = process.argv.slice(2);
const port = Number(portText);
const schema = z.object({ email: z.string() });
const catalog = defineErrors({});
const limited = () => catalog.create('RATE_LIMITED', undefined, { headers: { 'retry-after': '1' } });
const ready = () => console.log(`ready ${kind} ${port}`);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function issuesOf(error: z.ZodError) {
  return error.issues.map((i) => ({ pointer: `/${i.path.join('/')}`, detail: i.message }));
}

const servers: Record<string, () => Promise<void> | void> = {
  // The ceiling: precomputed bodies written as they are.
  'raw-precomputed'() {
    const bodies = {
      missing: Buffer.from('{"status":404,"code":"NOT_FOUND","message":"Not found"}'),
      validate: Buffer.from('{"status":400,"code":"VALIDATION_FAILED","message":"Invalid body"}'),
      limited: Buffer.from('{"status":429,"code":"RATE_LIMITED","message":"Too many requests"}'),
    };
    const send = (res: ServerResponse, status: number, body: Buffer, extra: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length, ...extra });
      res.end(body);
    };
    createServer(async (req, res) => {
      if (req.url === '/validate' && req.method === 'POST') {
        await readBody(req);
        return send(res, 400, bodies.validate);
      }
      if (req.url === '/limited') return send(res, 429, bodies.limited, { 'retry-after': '1' });
      send(res, 404, bodies.missing);
    }).listen(port, '127.0.0.1', ready);
  },
  // What a hand-written node:http error path does: build an object, JSON.stringify it.
  'raw-stringify'() {
    const send = (res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        ...extra,
      });
      res.end(text);
    };
    createServer(async (req, res) => {
      if (req.url === '/validate' && req.method === 'POST') {
        const result = schema.safeParse(JSON.parse(await readBody(req)));
        if (!result.success) {
          return send(res, 400, {
            status: 400,
            code: 'VALIDATION_FAILED',
            message: 'Invalid body',
            errors: issuesOf(result.error),
          });
        }
        return send(res, 200, result.data);
      }
      if (req.url === '/limited') {
        return send(
          res,
          429,
          { status: 429, code: 'RATE_LIMITED', message: 'Too many requests' },
          { 'retry-after': '1' },
        );
      }
      send(res, 404, { status: 404, code: 'NOT_FOUND', message: 'Not found' });
    }).listen(port, '127.0.0.1', ready);
  },
  // Express + http-errors + an error middleware, as its docs show.
  'express-native'() {
    const app = express();
    app.post('/validate', express.json(), (req, res, next) => {
      const result = schema.safeParse(req.body);
      if (!result.success)
        return next(createHttpError(400, 'Invalid body', { errors: issuesOf(result.error) }));
      res.json(result.data);
    });
    app.get('/limited', (_req, _res, next) =>
      next(createHttpError(429, 'Too many requests', { headers: { 'Retry-After': '1' } })),
    );
    app.use((_req, _res, next) => next(createHttpError(404, 'Not found')));
    app.use(
      (
        err: createHttpError.HttpError,
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        if (err.headers) res.set(err.headers);
        res.status(err.status ?? 500).json({ status: err.status, message: err.message, errors: err.errors });
      },
    );
    app.listen(port, '127.0.0.1', ready);
  },
  // Fastify + @fastify/error + setErrorHandler, route schemas validated by zod.
  async 'fastify-native'() {
    const RateLimited = createFastifyError('RATE_LIMITED', 'Too many requests', 429);
    const app = Fastify();
    app.setValidatorCompiler<z.ZodType>(({ schema: s }) => (data) => {
      const result = s.safeParse(data);
      return result.success ? { value: result.data } : { error: result.error };
    });
    app.setErrorHandler(
      (
        error: { statusCode?: number; code?: string; message: string; issues?: z.core.$ZodIssue[] },
        _req,
        reply,
      ) => {
        const status = error.statusCode ?? 500;
        if (status === 429) reply.header('retry-after', '1');
        reply.status(status).send({ status, code: error.code, message: error.message, errors: error.issues });
      },
    );
    app.post('/validate', { schema: { body: schema } }, async (request) => request.body);
    app.get('/limited', async () => {
      throw new RateLimited();
    });
    await app.listen({ port, host: '127.0.0.1' });
    ready();
  },
  // Hono + HTTPException + onError.
  'hono-native'() {
    const app = new Hono();
    app.post(
      '/validate',
      sValidator('json', schema, (result) => {
        if (!result.success) throw new HTTPException(400, { message: 'Invalid body', cause: result.error });
      }),
      (c) => c.json(c.req.valid('json')),
    );
    app.get('/limited', () => {
      throw new HTTPException(429, { message: 'Too many requests' });
    });
    app.notFound((c) => c.json({ status: 404, message: 'Not found' }, 404));
    app.onError((err, c) => {
      const status = err instanceof HTTPException ? err.status : 500;
      if (status === 429) c.header('retry-after', '1');
      return c.json({ status, message: err.message }, status);
    });
    serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, ready);
  },
  // Koa + http-errors (`ctx.throw`) + an error-handling middleware, as its docs show.
  'koa-native'() {
    const app = new Koa();
    app.use(async (ctx, next) => {
      try {
        await next();
        if (ctx.status === 404 && ctx.body == null) ctx.throw(404, 'Not found');
      } catch (thrown) {
        const err = thrown as createHttpError.HttpError;
        ctx.status = err.status ?? 500;
        if (err.headers) ctx.set(err.headers);
        ctx.body = { status: ctx.status, message: err.message, errors: err.errors };
      }
    });
    app.use(async (ctx, next) => {
      if (ctx.path === '/validate' && ctx.method === 'POST') {
        const result = schema.safeParse(JSON.parse(await readBody(ctx.req)));
        if (!result.success) ctx.throw(400, 'Invalid body', { errors: issuesOf(result.error) });
        ctx.body = result.data;
        return;
      }
      if (ctx.path === '/limited') ctx.throw(429, 'Too many requests', { headers: { 'Retry-After': '1' } });
      await next();
    });
    app.listen(port, '127.0.0.1', ready);
  },
};

// faultline on each adapter of the one list (test/helpers/adapters.ts): `<adapter>-faultline`.
const faultlineApp: AppSpec = {
  options: { catalog },
  routes: [
    {
      method: 'POST',
      path: '/validate',
      json: true,
      // Validated the framework's way, as each native peer does: a route schema on Fastify.
      schema,
      handle: ({ body }) => ({ body }),
    },
    {
      method: 'GET',
      path: '/limited',
      handle: () => {
        throw limited();
      },
    },
  ],
};
for (const adapter of adapters) {
  servers[`${adapter.name}-faultline`] = async () => {
    (await adapter.build(faultlineApp)).listen(port, '127.0.0.1', ready);
  };
}

const start = servers[kind];
if (!start) {
  console.error(`unknown server kind ${kind}; one of ${Object.keys(servers).join(', ')}`);
  process.exit(2);
}
await start();
process.on('SIGINT', () => process.exit(0));
