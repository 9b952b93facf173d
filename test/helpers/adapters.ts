/**
 * The one list of adapters the suites that compare adapters read: each entry names an adapter, builds
 * its conformance example, and builds an app from a catalog, routes and guards. A new adapter is its
 * folder under src/adapters plus one entry here.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import express, { type RequestHandler } from 'express';
import Fastify from 'fastify';
import { createExpressErrors, guard as expressGuard } from 'faultline/express';
import { createFastifyErrors, guard as fastifyGuard } from 'faultline/fastify';
import type { Guard } from 'faultline/guards';
import { createHonoErrors, guard as honoGuard } from 'faultline/hono';
import { createKoaErrors, guard as koaGuard } from 'faultline/koa';
import {
  createNodeErrors,
  createRouter,
  guard as nodeGuard,
  type RouteContext,
  readJson,
} from 'faultline/node';
import { type ErrorHandlerOptions, validate } from 'faultline/server';
import type { Context, Handler, MiddlewareHandler } from 'hono';
import { Hono } from 'hono';
import Koa, { type Middleware } from 'koa';
import type { ExampleOptions } from '../../examples/adapters/catalog.js';
import { createApp as expressExample } from '../../examples/adapters/express.js';
import { createApp as fastifyExample } from '../../examples/adapters/fastify.js';
import { createApp as honoExample } from '../../examples/adapters/hono.js';
import { type KoaRoute, createApp as koaExample, routes as koaRoutes } from '../../examples/adapters/koa.js';
import { createApp as nodeExample } from '../../examples/adapters/node.js';

/** What a route handler sees of a request. */
export interface AppRequest {
  readonly params: Readonly<Record<string, string>>;
  /** The JSON body, when the route reads one (`json`). */
  readonly body: unknown;
  /** A query parameter, as the framework reads it. */
  query(name: string): string | undefined;
  /** A request header, as the framework reads it (`name` lower case). */
  header(name: string): unknown;
  /**
   * The node response a handler may write to by hand, as a streaming handler does (node, Express, Fastify's
   * `reply.raw`, Koa's `ctx.res` with `ctx.respond = false`); Hono has none.
   */
  readonly res?: ServerResponse;
}

/** What a route handler answers: a JSON body, with a status (200) and headers. */
export interface Reply {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** One route of an app: `:name` segments are parameters. */
export interface RouteSpec {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  /** Reads the JSON body with the adapter's reader (`true`: its default limits). */
  readonly json?: { limit?: string | number; readTimeout?: number } | true;
  /**
   * The JSON body's schema, validated the framework's way before `handle`, which gets its output: a route
   * schema on Fastify (the plugin's `validatorCompiler`), `validate()` in the handler elsewhere.
   */
  readonly schema?: StandardSchemaV1;
  /** Guards of the route, after the body reader. */
  readonly guards?: readonly Guard[];
  /** Headers the route sets on its response, the framework's way, before `handle` runs (and may throw). */
  readonly headersBeforeThrow?: Readonly<Record<string, string>>;
  handle(request: AppRequest): Reply | Promise<Reply>;
}

/**
 * A GET route at `path` behind `guards` that answers `{ ok: true }` and counts its runs in `runs.count`:
 * what a guard test needs to see that a refused request never reached the handler.
 */
export function guardedRoute(path: string, guards: readonly Guard[], runs: { count: number }): RouteSpec {
  return {
    method: 'GET',
    path,
    guards,
    handle: () => {
      runs.count++;
      return { body: { ok: true } };
    },
  };
}

/** An app: the error handler's options (the catalog), its routes, and the adapter's body limits. */
export interface AppSpec {
  readonly options: ErrorHandlerOptions<any>;
  readonly routes: readonly RouteSpec[];
  readonly body?: { limit?: string | number; readTimeout?: number };
}

export type AdapterName = 'node' | 'express' | 'fastify' | 'hono' | 'koa';

export interface AdapterEntry {
  readonly name: AdapterName;
  /** The adapter's conformance example (examples/adapters/<name>.ts), not yet listening. */
  example(options?: ExampleOptions): Promise<Server>;
  /** An app of `spec` on a node:http server, not yet listening; `clientError`, `checkContinue` and `checkExpectation` are the adapter's. */
  build(spec: AppSpec): Promise<Server>;
}

const stringOf = (value: unknown) => (typeof value === 'string' ? value : undefined);
const jsonOf = (route: RouteSpec) => (route.json === true ? {} : route.json);
const statusOf = (reply: Reply) => reply.status ?? 200;

const node: AdapterEntry = {
  name: 'node',
  example: async (options) => nodeExample(options),
  async build(spec) {
    const errors = createNodeErrors(spec.options);
    const router = createRouter();
    for (const route of spec.routes) {
      const json = jsonOf(route);
      // One options object per route: readJson compiles its limits once per object.
      const limits = json ? { ...spec.body, ...json } : undefined;
      const before = Object.entries(route.headersBeforeThrow ?? {});
      const respond = (res: ServerResponse, reply: Reply) => {
        const text = JSON.stringify(reply.body ?? null);
        res.writeHead(statusOf(reply), {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(text)),
          ...reply.headers,
        });
        res.end(text);
      };
      // The one frame between the router and the route, which a handler written by hand does not have. V8
      // optimizes a function only once a call to it returns: a frame that every request of a throwing route
      // leaves by a throw runs interpreted for good. Without guards (which must see the throw), this frame
      // answers the throw itself with `errors.send`, as the router would, and returns.
      const answers = route.guards === undefined;
      const run = (req: IncomingMessage, res: ServerResponse, context: RouteContext, body?: unknown) => {
        for (let i = 0; i < before.length; i++) res.setHeader(before[i]![0], before[i]![1]);
        let reply: Reply | Promise<Reply>;
        try {
          // The URL is parsed on first use only (`context.url`), as a real handler would leave it.
          reply = route.handle({
            params: context.params,
            body,
            query: (name) => context.url.searchParams.get(name) ?? undefined,
            header: (name) => req.headers[name],
            res,
          });
        } catch (thrown) {
          if (!answers) throw thrown;
          errors.send(thrown, req, res);
          return undefined;
        }
        return reply instanceof Promise
          ? reply.then((settled) => respond(res, settled))
          : respond(res, reply);
      };
      // A route that reads no body is synchronous, as one written by hand is: the router answers its throw
      // without a rejection. One that reads a body awaits it.
      const handler =
        limits || route.schema
          ? async (req: IncomingMessage, res: ServerResponse, context: RouteContext) => {
              const raw = limits ? await readJson(req, limits) : undefined;
              await run(req, res, context, route.schema ? await validate(route.schema, raw) : raw);
            }
          : run;
      const guarded = route.guards ? nodeGuard(...route.guards)(handler) : handler;
      router.on(route.method, route.path, guarded);
    }
    return createServer(errors(router.handle))
      .on('clientError', errors.clientError)
      .on('checkContinue', errors.checkContinue)
      .on('checkExpectation', errors.checkExpectation);
  },
};

const expressAdapter: AdapterEntry = {
  name: 'express',
  example: async (options) => expressExample(options),
  async build(spec) {
    const errors = createExpressErrors(spec.options, { body: spec.body });
    const app = express();
    for (const route of spec.routes) {
      const json = jsonOf(route);
      const before: RequestHandler[] = [];
      if (json) before.push(errors.json(json));
      if (route.guards) before.push(expressGuard(...route.guards));
      app[route.method.toLowerCase() as 'get'](route.path, ...before, async (req, res) => {
        const body = route.schema ? await validate(route.schema, req.body) : req.body;
        res.set(route.headersBeforeThrow ?? {});
        const reply = await route.handle({
          params: req.params as Record<string, string>,
          body,
          query: (name) => stringOf(req.query[name]),
          header: (name) => req.headers[name],
          res,
        });
        res
          .status(statusOf(reply))
          .set(reply.headers ?? {})
          .json(reply.body ?? null);
      });
    }
    app.use(errors.notFound);
    app.use(errors.handler);
    return createServer(app)
      .on('clientError', errors.clientError)
      .on('checkContinue', errors.checkContinue)
      .on('checkExpectation', errors.checkExpectation);
  },
};

const fastify: AdapterEntry = {
  name: 'fastify',
  example: (options) => fastifyExample(options),
  async build(spec) {
    const { limit, readTimeout } = spec.body ?? {};
    const faultline = createFastifyErrors(spec.options, { body: { limit, readTimeout } });
    const app = Fastify({ frameworkErrors: faultline.frameworkErrors });
    await app.register(faultline);
    if (spec.routes.some((route) => route.schema)) app.setValidatorCompiler(faultline.validatorCompiler);
    for (const route of spec.routes) {
      const guards = route.guards ? { preHandler: fastifyGuard(...route.guards) } : {};
      app.route({
        method: route.method,
        url: route.path,
        ...(route.schema ? { schema: { body: route.schema } } : {}),
        ...guards,
        handler: async (request, reply) => {
          reply.headers(route.headersBeforeThrow ?? {});
          const answer = await route.handle({
            params: request.params as Record<string, string>,
            body: request.body,
            query: (name) => stringOf((request.query as Record<string, unknown>)[name]),
            header: (name) => request.headers[name],
            res: reply.raw,
          });
          reply.code(statusOf(answer)).headers(answer.headers ?? {});
          return answer.body ?? null;
        },
      });
    }
    await app.ready();
    return app.server;
  },
};

const hono: AdapterEntry = {
  name: 'hono',
  example: async (options) => honoExample(options),
  async build(spec) {
    const errors = createHonoErrors(spec.options, { body: spec.body });
    const app = new Hono();
    errors.install(app);
    for (const route of spec.routes) {
      const json = jsonOf(route);
      const before: MiddlewareHandler[] = [];
      if (json) before.push(errors.json(json));
      if (route.guards) before.push(honoGuard(...route.guards));
      const respond = (c: Context, reply: Reply) =>
        c.json(reply.body ?? null, statusOf(reply) as 200, reply.headers as Record<string, string>);
      const run = (c: Context, body?: unknown) => {
        for (const [name, value] of Object.entries(route.headersBeforeThrow ?? {})) c.header(name, value);
        const reply = route.handle({
          params: c.req.param() as Record<string, string>,
          body,
          query: (name) => c.req.query(name),
          header: (name) => c.req.header(name),
        });
        return reply instanceof Promise ? reply.then((settled) => respond(c, settled)) : respond(c, reply);
      };
      // A route that reads no body is synchronous, as one written by hand is: Hono answers its throw in
      // the same turn, without a rejected promise. One that reads a body awaits it.
      const handler: Handler =
        json || route.schema
          ? async (c) => {
              const raw = json ? await c.req.json() : undefined;
              return run(c, route.schema ? await validate(route.schema, raw) : raw);
            }
          : (c) => run(c);
      app.on(route.method, [route.path], ...before, handler);
    }
    const server = createAdaptorServer({ fetch: app.fetch }) as Server;
    return server
      .on('clientError', errors.clientError)
      .on('checkContinue', errors.checkContinue)
      .on('checkExpectation', errors.checkExpectation);
  },
};

const koa: AdapterEntry = {
  name: 'koa',
  example: async (options) => koaExample(options),
  async build(spec) {
    const errors = createKoaErrors(spec.options, { body: spec.body });
    const app = new Koa();
    app.use(errors.middleware);
    const table: Record<string, Record<string, KoaRoute>> = {};
    for (const route of spec.routes) {
      const json = jsonOf(route);
      const before: Middleware[] = [];
      if (json) before.push(errors.json(json));
      if (route.guards) before.push(koaGuard(...route.guards));
      table[route.path] ??= {};
      table[route.path]![route.method] = [
        ...before,
        async (ctx, params) => {
          const raw = (ctx.request as { body?: unknown }).body;
          const body = route.schema ? await validate(route.schema, raw) : raw;
          ctx.set(route.headersBeforeThrow ?? {});
          const reply = await route.handle({
            params,
            body,
            query: (name) => stringOf(ctx.query[name]),
            header: (name) => ctx.req.headers[name],
            get res() {
              ctx.respond = false;
              return ctx.res;
            },
          });
          ctx.status = statusOf(reply);
          ctx.set(reply.headers ?? {});
          return reply.body ?? null;
        },
      ];
    }
    app.use(koaRoutes(table));
    return createServer(app.callback())
      .on('clientError', errors.clientError)
      .on('checkContinue', errors.checkContinue)
      .on('checkExpectation', errors.checkExpectation);
  },
};

/** Every adapter, in the order the suites report them; node is the reference the others must match. */
export const adapters: readonly AdapterEntry[] = [node, expressAdapter, fastify, hono, koa];
