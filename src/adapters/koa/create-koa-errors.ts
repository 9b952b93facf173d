import type { Context, Middleware } from 'koa';
import { roleError } from '../../catalog/role-error.js';
import { cutAnswer } from '../../guards/node-context.js';
import type { BodyOptions } from '../../server/body.js';
import type { ErrorHandler, ErrorHandlerOptions } from '../../server/handle-error.js';
import { allowOf, checkTarget, notFound } from '../../server/routing.js';
import { type Adapter, coreOf, createKit, type Kit, type KitOptions } from '../kit/adapter.js';
import { readJsonBody } from '../kit/read-json.js';
import { closeAfter, dropStaleHeaders } from '../kit/sink.js';
import { type KoaRaw, toAnswerView, toRequestView } from './request.js';

export type { KoaRaw } from './request.js';

declare module 'koa' {
  interface Request {
    /**
     * The JSON body `json()` of faultline/koa read (strictly, within its limits). Typed `any`, as
     * `@koa/bodyparser` and `koa-body` declare it, so that an app may use them beside faultline.
     */
    body?: any;
  }
}

/**
 * Options of the Koa adapter besides the error handler's: the lingering close, and the default limits
 * of `json()` (each route may override them).
 */
export type KoaErrorsOptions = KitOptions;

/** The Koa parts of the adapter: the error middleware and the JSON body reader. */
export interface KoaParts {
  /**
   * The first middleware of the app: checks the request target, answers anything thrown below it
   * (`ctx.throw`, http-errors, catalog errors, anything) in the catalog, and turns a response the app
   * left without a body and with an error status into the catalog's answer: Koa's own 404 for a path no
   * middleware answered, a router's 405 (with its `Allow`, as `@koa/router`'s `allowedMethods()` sets it).
   */
  readonly middleware: Middleware;
  /**
   * Reads a JSON body into `ctx.request.body` with the same limits and answers as every adapter (413
   * declared and streamed, 415 with `Accept`, strict UTF-8, depth, 408, prototype-poisoning keys refused).
   */
  json(options?: BodyOptions): Middleware;
}

/** The Koa error layer: its middleware and JSON reader, the catalog, the compiled handler and `clientError`. */
export type KoaErrors = Adapter<KoaParts>;

function answer({ errors, bounds }: Kit, thrown: unknown, ctx: Context, stale = true): void {
  const res = ctx.res;
  const view = toAnswerView(ctx);
  // Handled first, so that a failure after the answer began is logged and reported too.
  const { status, headers, body } = errors.handle(thrown, view);
  if (res.headersSent || res.writableEnded) {
    // Too late for an error answer: cutting the connection is the only honest signal left.
    cutAnswer(res);
    return;
  }
  closeAfter(ctx.req, view, headers, bounds);
  if (stale) dropStaleHeaders(res);
  ctx.status = status;
  ctx.set(headers);
  // Koa sends the length of this text, and for HEAD the headers only.
  ctx.body = body;
  // An app that opted out of Koa's response (`ctx.respond = false`) and then threw has written nothing:
  // the error answer is Koa's to send, or the client would wait forever.
  ctx.respond = true;
}

/**
 * Koa's own `ctx.onerror` hears what fails after every middleware returned: `respond()` serializing a
 * body (a BigInt, a cycle) or a body stream. Koa would answer the first in plain text; the catalog
 * answers it here, written at once since Koa's `respond()` has already run. When the answer had begun,
 * Koa's handler keeps its part (the app's `error` event) and the connection is cut.
 */
function catalogOnerror(kit: Kit, ctx: Context): Context['onerror'] {
  const koaOnerror = ctx.onerror;
  return (thrown) => {
    if (thrown == null) return;
    const res = ctx.res;
    if (res.headersSent || !ctx.writable) {
      try {
        koaOnerror.call(ctx, thrown);
      } catch {
        // The app's `error` listener threw: out of a stream's callback that would end the process.
      }
      // A socket that can no longer be written is the client gone (Koa hands its reset here): a hang-up,
      // whose outcome the handler still settles. One that can is an answer that failed as it went out.
      if (ctx.writable) cutAnswer(res);
      else res.destroy();
      return;
    }
    try {
      answer(kit, thrown, ctx);
      res.end(ctx.method === 'HEAD' ? undefined : ctx.body);
    } catch {
      cutAnswer(res);
    }
  };
}

/** What a bodyless error status the app left means: Koa's unmatched 404, a router's 405, or its status. */
function unanswered(ctx: Context): unknown {
  const status = ctx.status;
  if (status === 404) return notFound();
  if (status === 405) {
    const allow = ctx.response.get('allow');
    const headers = allow === '' ? undefined : { allow: allowOf(allow.split(',').map((m) => m.trim())) };
    return roleError('methodNotAllowed', { headers });
  }
  return { status, expose: false };
}

/**
 * Creates the Koa error layer (for Koa 3.x): mount its middleware first, and anything thrown below it
 * becomes the catalog response; Koa's own 404 and a router's 405 are answered in the catalog too.
 * @example
 * const errors = createKoaErrors({ catalog });
 * app.use(errors.middleware);
 * app.use(errors.json({ limit: '64kb' }));
 * app.listen(3000).on('clientError', errors.clientError);
 */
export function createKoaErrors(
  options: ErrorHandlerOptions<KoaRaw> | ErrorHandler = {},
  koaOptions: KoaErrorsOptions = {},
): KoaErrors {
  const kit = createKit(options, koaOptions);
  const middleware: Middleware = async (ctx, next) => {
    ctx.onerror = catalogOnerror(kit, ctx);
    try {
      checkTarget(ctx.req.url);
      await next();
      // The app chose this status and its headers (a 401's `WWW-Authenticate`): only the body is the catalog's.
      // Koa's own 404, a status no one set (Koa's `_explicitStatus`), drops them as Express's not-found does.
      // An app that opted out of Koa's response (`ctx.respond = false`: a proxy, an upgrade) writes it later.
      const chosen = (ctx.response as { _explicitStatus?: boolean })._explicitStatus === true;
      if (ctx.respond !== false && ctx.status >= 400 && ctx.body == null && !ctx.headerSent)
        answer(kit, unanswered(ctx), ctx, !chosen);
    } catch (thrown) {
      answer(kit, thrown, ctx);
    }
  };
  return {
    ...coreOf(kit),
    middleware,
    json(bodyOptions) {
      const limits = kit.limitsOf(bodyOptions);
      return async (ctx, next) => {
        // The bytes are kept on the request: a second json() (an app-wide one, then a route's stricter
        // one) or a guard reads them again under its own limit.
        ctx.request.body = await readJsonBody(ctx.req, limits, toRequestView(ctx));
        await next();
      };
    },
  };
}
