import type { ServerResponse } from 'node:http';
import type {
  Context,
  Hono,
  ErrorHandler as HonoErrorHandler,
  MiddlewareHandler,
  Next,
  NotFoundHandler,
} from 'hono';
import { RoleError, roleError } from '../../catalog/role-error.js';
import { type BodyLimits, type BodyOptions, checkJsonRequest, decodeJson } from '../../server/body.js';
import type { TrustProxy } from '../../server/client-ip.js';
import type { ErrorHandler, ErrorHandlerOptions } from '../../server/handle-error.js';
import { fieldErrorsOf } from '../../server/normalize.js';
import { checkTarget, memoUnmatched, resolveUnmatched } from '../../server/routing.js';
import { type Adapter, coreOf, createKit, type KitOptions } from '../kit/adapter.js';
import { answerBody, probeMethods } from '../kit/methods.js';
import { markUnread } from '../kit/read-body.js';
import { read } from '../kit/safe.js';
import { closeAfter, dropStaleHeaders, keptOnError } from '../kit/sink.js';
import { clientIpResolver, type IpSource } from './client-ip.js';
import { aloneOnPath, answersAfterSoleHandler, hasRoute } from './internals.js';
import { cachedBytes, copyOf, readNodeRequest, readStream } from './read-body.js';
import {
  type HonoRaw,
  type HonoSettings,
  honoTarget,
  incomingOf,
  keepSettings,
  toAnswerView,
  toRequestView,
} from './request.js';
import { translate } from './translate.js';

export type { HonoRaw } from './request.js';

/** Options of the Hono adapter besides the error handler's. */
export interface HonoErrorsOptions extends KitOptions {
  /**
   * The peer address of a request, for per-IP keys: a function of the context giving the address, or the
   * runtime's `getConnInfo` (`hono/cloudflare-workers`, `hono/bun`, …) as is. `trustProxy` applies to it.
   * @default the socket's under `@hono/node-server`, `server.requestIP()` on Bun, `remoteAddr` on Deno
   */
  ip?: IpSource;
  /**
   * The proxies whose `X-Forwarded-For` says who the client is, as Express's `trust proxy` takes them:
   * `true`, a number of hops, addresses and CIDR ranges (`'loopback'`, `'linklocal'`, `'uniquelocal'`),
   * or a function of an address and its hop. Untrusted by default: the header is ignored.
   * @default false
   */
  trustProxy?: TrustProxy;
}

/**
 * The Hono parts of the adapter: handlers, the JSON body reader and the validator hook. The lingering
 * close applies under `@hono/node-server`; the body limits are also the most a guard reads of a body
 * (the idempotency fingerprint) before the route's reader applies its own limit.
 */
export interface HonoParts {
  /** Installs everything on an app: `app.use(middleware)`, `onError`, `notFound` (with 405 from its routes). */
  install(app: Hono<any, any, any>): void;
  /** First middleware: checks the request target and answers thrown non-Errors, which Hono lets escape. */
  readonly middleware: MiddlewareHandler;
  readonly onError: HonoErrorHandler;
  /** 404; 405 with `Allow` and OPTIONS 204 once `install` gave it the app's routes. */
  readonly notFound: NotFoundHandler;
  /**
   * Reads a JSON body with the same limits and answers as every adapter (413 declared and streamed,
   * 415 with `Accept`, strict UTF-8, depth, 408); `c.req.json()` and validators then read it.
   */
  json(options?: BodyOptions): MiddlewareHandler;
  /** A hook for `@hono/standard-validator` and `@hono/zod-validator`: the catalog's validation error. */
  readonly validationHook: (result: { success: boolean; error?: unknown }) => void;
}

/** The Hono error layer; its `clientError` listener serves under `@hono/node-server`. */
export type HonoErrors = Adapter<HonoParts>;

/**
 * A hook for `@hono/standard-validator` and `@hono/zod-validator` that raises the catalog's validation
 * error, with one field error per issue, instead of the validator's own 400 body.
 */
function validationHook(result: { success: boolean; error?: unknown }): void {
  if (result.success) return;
  const issues = Array.isArray(result.error) ? result.error : read(result.error, 'issues');
  const fieldErrors = Array.isArray(issues) ? fieldErrorsOf(issues) : undefined;
  throw roleError('validationFailed', {
    fieldErrors: fieldErrors ?? [],
    cause: result.error,
  });
}

/**
 * The headers of an error answer on `c`: of those the app set before it threw, only the ones `keptOnError`
 * keeps, then the answer's own over them. The response the app was building is let go: Hono copies the
 * response it replaces onto the next one, which would put `Content-Encoding` or `Set-Cookie` back.
 */
function answerHeaders(c: Context, headers: Record<string, string>): Headers | Record<string, string> {
  // Hono has no cheaper probe: `c.res` makes an empty response when the app set no header.
  const before = c.res.headers;
  let out: Headers | undefined;
  before.forEach((value, name) => {
    if (!keptOnError(name)) return;
    out ??= new Headers();
    out.set(name, value);
  });
  const finalized = c.finalized;
  c.res = undefined;
  // A context the app had already answered stays finalized, so it needs a response for `c.header()` of
  // an onError that wraps this one: an empty one, whose headers Hono then puts on the error answer.
  if (finalized) c.res = new Response(null);
  // Unsetting the response marks the context finalized; Hono would then ignore a not-found handler's answer.
  c.finalized = finalized;
  if (out === undefined) return headers;
  for (const name in headers) out.set(name, headers[name]!);
  return out;
}

function methodsOf(app: Hono<any, any, any> | undefined, path: string): string[] {
  return app ? probeMethods((method) => hasRoute(app, method, path)) : [];
}

/**
 * Creates Hono's error layer: `HTTPException`, validator failures and anything thrown become the catalog
 * response, on `@hono/node-server` and on any Web runtime; the built-ins (404, 405, OPTIONS, 413, 415,
 * 408, strict UTF-8, depth) answer as on every adapter.
 * @example
 * const errors = createHonoErrors({ catalog });
 * errors.install(app);
 * app.post('/echo', errors.json({ limit: '1mb' }), sValidator('json', schema, errors.validationHook), h);
 */
export function createHonoErrors(
  options: ErrorHandlerOptions<HonoRaw> | ErrorHandler = {},
  honoOptions: HonoErrorsOptions = {},
): HonoErrors {
  const kit = createKit(options, honoOptions);
  const { errors, bounds, limits: base } = kit;
  const clientIp = clientIpResolver(honoOptions.ip, honoOptions.trustProxy);
  const settings: HonoSettings = { clientIp, limits: base };
  let installed: Hono<any, any, any> | undefined;
  // Whether the middleware may leave a miss to Hono by returning nothing (`install` probes its Hono).
  let answersAlone = false;
  // One router lookup per path and method set; a route added to the app makes it start over.
  const unmatchedOf = (app: () => Hono<any, any, any> | undefined) =>
    memoUnmatched(
      (path) => methodsOf(app(), path),
      () => app()?.routes.length ?? 0,
    );
  const notFoundOf =
    (unmatchedPath: ReturnType<typeof unmatchedOf>): NotFoundHandler =>
    (c) => {
      const answer = resolveUnmatched(c.req.method, unmatchedPath(c.req.path));
      return answer instanceof RoleError ? respond(answer, c) : new Response(null, answer);
    };

  function respond(thrown: unknown, c: Context): Response {
    const view = toAnswerView(c, clientIp);
    const { status, headers, body } = errors.handle(translate(thrown), view);
    const incoming = incomingOf(c);
    if (incoming) closeAfter(incoming, view, headers, bounds);
    // Under `@hono/node-server`, node writes the headers set on its response under the Response's own.
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    if (incoming && typeof outgoing?.getHeaderNames === 'function' && !outgoing.headersSent)
      dropStaleHeaders(outgoing);
    return new Response(answerBody(c.req.method, body), { status, headers: answerHeaders(c, headers) });
  }

  // Resolves once the checked text is in Hono's cache; undefined when there is no body to read. No async
  // layer of its own: each would cost a promise and a turn of the microtask queue per request.
  function readJson(c: Context, limits: BodyLimits): Promise<void> | undefined {
    const view = toRequestView(c, clientIp);
    const incoming = incomingOf(c);
    const cache = c.req.bodyCache as Record<string, Promise<unknown> | undefined>;
    try {
      // `c.req.raw.body` is asked only off node (on node it would build a Web Request and stream), where
      // the Request knows whether it has a body better than its headers, which may name no length.
      if (!checkJsonRequest(view, limits, incoming === undefined ? c.req.raw.body !== null : undefined))
        return undefined;
    } catch (error) {
      if (incoming) markUnread(incoming);
      return Promise.reject(error);
    }
    // Bytes a guard or the app read first are held to this route's limit again.
    const body = incoming === undefined ? c.req.raw.body : null;
    const bytes =
      cachedBytes(c, limits) ??
      (incoming
        ? readNodeRequest(c, incoming, limits)
        : body
          ? readStream(body, limits)
          : Promise.resolve(new Uint8Array(0)));
    return bytes.then((read) => {
      const { text } = decodeJson(read, limits.maxDepth);
      // Hono's `c.req.json()` and its validators read the cached text: they see what was checked here.
      cache.text = Promise.resolve(text);
      // A second reader (an app-wide json(), then a route's) finds the bytes and applies its own limit; the
      // app's `c.req.arrayBuffer()` gets them as sent (a signature check needs the bytes, BOM included).
      cache.arrayBuffer ??= Promise.resolve(copyOf(read));
    });
  }

  const layer: HonoErrors = {
    ...coreOf(kit),
    install(app) {
      installed = app;
      answersAlone = answersAfterSoleHandler(app);
      app.use(layer.middleware);
      app.onError(layer.onError);
      // Hono answers a miss with the not-found handler of the app that serves the request: each app
      // installed (a parent and its `app.route()` sub-app) says 405 from its own routes.
      app.notFound(notFoundOf(unmatchedOf(() => app)));
    },
    // Synchronous until it calls `next`: alone on the path (no route matched), it returns nothing and Hono
    // answers with the not-found handler at once, without a promise or a turn of the microtask queue, as
    // an app without the layer answers a miss. Hono runs a sole handler's plain return (`hono-base`).
    middleware: ((c: Context, next: Next) => {
      keepSettings(c, settings);
      try {
        checkTarget(honoTarget(c));
      } catch (thrown) {
        c.res = respond(thrown, c);
        return c.res;
      }
      if (answersAlone && aloneOnPath(c)) return undefined;
      return next().then(undefined, (thrown: unknown) => {
        c.res = respond(thrown, c);
      });
    }) as unknown as MiddlewareHandler,
    onError: (error, c) => respond(error, c),
    notFound: notFoundOf(unmatchedOf(() => installed)),
    json(bodyOptions) {
      const limits = kit.limitsOf(bodyOptions);
      return async (c, next) => {
        const read = readJson(c, limits);
        if (read !== undefined) await read;
        await next();
      };
    },
    validationHook,
  };
  return layer;
}
