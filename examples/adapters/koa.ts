import { createServer, type Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { createKoaErrors, type KoaErrors } from 'faultline/koa';
import { validate } from 'faultline/server';
import Koa, { type Context, type Middleware } from 'koa';
import { type ExampleOptions, echoBody, errors, legacy } from './catalog.js';

type Handler = (ctx: Context, params: Record<string, string>) => unknown;
/** A route: its handler, or middleware (a body reader, guards) that runs first, then the handler. */
export type KoaRoute = Handler | readonly [...Middleware[], Handler];

/**
 * A few routes as plain Koa middleware (Koa has no router of its own): a path no route takes falls
 * through to Koa's 404; a method a path does not take is 405 with `Allow`, and OPTIONS 204 with `Allow`,
 * as `@koa/router`'s `allowedMethods()` answers them. faultline answers both in the catalog.
 */
export function routes(table: Record<string, Record<string, KoaRoute>>): Middleware {
  const compiled = Object.entries(table).map(([path, methods]) => {
    const names: string[] = [];
    const pattern = path.replace(/:(\w+)/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    return { regex: new RegExp(`^${pattern}$`), names, methods };
  });
  return async (ctx, next) => {
    for (const { regex, names, methods } of compiled) {
      const match = regex.exec(ctx.path);
      if (!match) continue;
      const route = methods[ctx.method] ?? (ctx.method === 'HEAD' ? methods.GET : undefined);
      if (!route) {
        const taken = Object.keys(methods);
        ctx.set('allow', [...taken, ...(taken.includes('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', '));
        ctx.status = ctx.method === 'OPTIONS' ? 204 : 405;
        return;
      }
      const params = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1]!)]));
      // Where `@koa/router` leaves them: faultline's guard() reads `ctx.params`.
      (ctx as { params?: Record<string, string> }).params = params;
      const chain = typeof route === 'function' ? [route] : route;
      const handler = chain[chain.length - 1] as Handler;
      const run = async (i: number): Promise<void> => {
        if (i < chain.length - 1) return (chain[i] as Middleware)(ctx, () => run(i + 1));
        const body = await handler(ctx, params);
        if (body !== undefined) ctx.body = body;
      };
      await run(0);
      return;
    }
    await next();
  };
}

/** The conformance routes on Koa 3: plain middleware, faultline's JSON reader, zod through `validate`. */
export function createKoaApp(options: ExampleOptions = {}): {
  app: Koa;
  clientError: KoaErrors['clientError'];
  checkContinue: KoaErrors['checkContinue'];
  checkExpectation: KoaErrors['checkExpectation'];
} {
  const handle = createKoaErrors(
    { catalog: errors, correlation: { header: 'x-request-id' }, onError: options.onError },
    { body: { limit: '1mb', readTimeout: options.readTimeout } },
  );
  const app = new Koa();
  app.use(handle.middleware);
  app.use(
    routes({
      '/echo': {
        POST: [handle.json(), (ctx) => validate(echoBody, (ctx.request as { body?: unknown }).body)],
      },
      '/sessions/:id': {
        GET: (_ctx, params) => {
          throw errors.create('SESSION_NOT_FOUND', { sessionId: params.id! });
        },
      },
      '/limited': {
        GET: () => {
          throw errors.create('RATE_LIMITED', undefined, { headers: { 'retry-after': '1' } });
        },
      },
      '/boom': {
        GET: () => {
          throw new Error('db-password-123');
        },
      },
      '/throw-string': {
        GET: () => {
          throw 'db-password-123';
        },
      },
      '/foreign': {
        GET: () => {
          throw legacy.create('LEGACY_QUOTA');
        },
      },
    }),
  );
  return {
    app,
    clientError: handle.clientError,
    checkContinue: handle.checkContinue,
    checkExpectation: handle.checkExpectation,
  };
}

/** The Koa app on a node:http server; requests node's parser refuses get the catalog's 400 too. */
export function createApp(options: ExampleOptions = {}): Server {
  const { app, clientError, checkContinue, checkExpectation } = createKoaApp(options);
  return createServer(app.callback())
    .on('clientError', clientError)
    .on('checkContinue', checkContinue)
    .on('checkExpectation', checkExpectation);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 3005);
  createApp().listen(port, '127.0.0.1', () =>
    console.log(`koa example listening on http://127.0.0.1:${port}`),
  );
}
