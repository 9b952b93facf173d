import type { IncomingMessage, ServerResponse } from 'node:http';
import { RoleError } from '../../catalog/role-error.js';
import { targetOf } from '../../server/request.js';
import { resolveUnmatched, toUnmatchedPath, type UnmatchedPath } from '../../server/routing.js';
import { takesMethod } from '../kit/methods.js';

/** What a route handler receives besides the request and response. */
export interface RouteContext {
  /** The `:name` segments of the route, decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** The request URL, parsed on first access. */
  readonly url: URL;
}

class Context implements RouteContext {
  #url: URL | undefined;
  constructor(
    readonly params: Readonly<Record<string, string>>,
    private readonly target: string,
  ) {}
  get url(): URL {
    this.#url ??= new URL(this.target, 'http://localhost');
    return this.#url;
  }
}

// The matched route's parameters, left on the request for the guards of the route (`guard()` of
// faultline/node wrapping a route handler); `Symbol.for` so that two installed copies agree.
const paramsKey = Symbol.for('faultline.nodeRouteParams');

/** The parameters of the route the router matched for this request; undefined before routing. */
export function routeParamsOf(req: IncomingMessage): Readonly<Record<string, string>> | undefined {
  return (req as unknown as Record<symbol, Readonly<Record<string, string>> | undefined>)[paramsKey];
}

/** What answers a request's error when the router runs under `createNodeErrors`' own wrapper. */
export type RouteFailure = (thrown: unknown, req: IncomingMessage, res: ServerResponse) => void;

/** The router's handle with a failure callback, for the wrapper that is given `router.handle` itself. */
export type DirectRoute = (
  req: IncomingMessage,
  res: ServerResponse,
  fail: RouteFailure | undefined,
) => void | Promise<void>;

// Set on each router's `handle`: a wrapper given that very function answers the router's 404 and 405, and
// its handlers' rejections, through `fail`, without a rejected promise in between. A wrapper of the user's
// in between sees the rejections, as documented. Module-local: another installed copy falls back to those.
const directKey = Symbol('faultline.directRoute');

/** The direct form of `handler` when it is a router's `handle`, else `undefined`. */
export function directRouteOf(handler: unknown): DirectRoute | undefined {
  return typeof handler === 'function'
    ? (handler as unknown as Record<symbol, DirectRoute | undefined>)[directKey]
    : undefined;
}

/** A route handler. A value it returns (other than `undefined`) is sent as a 200 JSON body. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, context: RouteContext) => unknown;

interface Route {
  readonly segments: readonly string[];
  readonly methods: Map<string, RouteHandler>;
}

/** Sends a JSON body. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) ?? 'null';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const noParams: Readonly<Record<string, string>> = Object.freeze({});

/** The route's handler of `method`; HEAD runs the GET handler when the route has no HEAD of its own. */
function handlerOf(route: Route, method: string): RouteHandler | undefined {
  return route.methods.get(method) ?? (method === 'HEAD' ? route.methods.get('GET') : undefined);
}

function match(route: Route, segments: readonly string[]): Record<string, string> | undefined {
  if (route.segments.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const pattern = route.segments[i]!;
    const segment = segments[i]!;
    if (pattern.startsWith(':')) {
      if (segment === '') return undefined;
      try {
        params[pattern.slice(1)] = decodeURIComponent(segment);
      } catch {
        return undefined;
      }
    } else if (pattern !== segment) {
      return undefined;
    }
  }
  return params;
}

/**
 * A minimal router for node:http: unknown paths are 404, other methods on a known path 405 with
 * `Allow`, and OPTIONS 204 with `Allow`; HEAD runs the GET route.
 */
export interface Router {
  get(path: string, handler: RouteHandler): Router;
  post(path: string, handler: RouteHandler): Router;
  put(path: string, handler: RouteHandler): Router;
  patch(path: string, handler: RouteHandler): Router;
  delete(path: string, handler: RouteHandler): Router;
  on(method: string, path: string, handler: RouteHandler): Router;
  /**
   * Routes a request: returns the handler's promise if any, and a promise rejected with the catalog's
   * error (404, 405) for what it cannot route.
   */
  handle(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
}

/**
 * Creates a router for node:http. Pair it with `createNodeErrors` so that its 404s and 405s are answered.
 * @example
 * const app = createRouter().get('/sessions/:id', (req, res, { params }) => getSession(params.id));
 * http.createServer(createNodeErrors({ catalog })(app.handle)).listen(3000);
 */
export function createRouter(): Router {
  const routes: Route[] = [];
  // Paths that matched no route for some method, with the methods their routes take: a repeated 404
  // or 405 is answered without walking the routes. Bounded; forgotten when a route is added.
  const misses = new Map<string, { methods: readonly string[]; answer: UnmatchedPath }>();
  const maxMisses = 1024;
  // Routes without parameters, by path, that no earlier route also matches: a request for one of their
  // methods is routed by one lookup, without splitting its path or walking the routes.
  const statics = new Map<string, Route>();
  // The 404 and 405 reach the wrapper of `createNodeErrors` through `fail`, or else as a rejection, never
  // a throw: unwinding a throw out of the router costs more than the rest of the answer (about a
  // microsecond in V8), and a rejection about half of one.
  const unmatchedAnswer = (
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    answer: UnmatchedPath,
    fail: RouteFailure | undefined,
  ) => {
    const resolved = resolveUnmatched(method, answer);
    if (!(resolved instanceof RoleError)) {
      res.writeHead(resolved.status, resolved.headers).end();
      return undefined;
    }
    if (fail === undefined) return Promise.reject(resolved);
    fail(resolved, req, res);
    return undefined;
  };
  const invoke = (
    handler: RouteHandler,
    params: Readonly<Record<string, string>>,
    req: IncomingMessage,
    res: ServerResponse,
    target: string,
    fail: RouteFailure | undefined,
  ) => {
    (req as unknown as Record<symbol, Readonly<Record<string, string>>>)[paramsKey] = params;
    let result: unknown;
    try {
      result = handler(req, res, new Context(params, target));
    } catch (thrown) {
      // Answered here, not unwound through the router to the wrapper: V8 optimizes a function once calls
      // to it return, so a router that every request of a throwing route leaves by a throw would run
      // interpreted for good.
      if (fail === undefined) throw thrown;
      fail(thrown, req, res);
      return undefined;
    }
    if (typeof (result as Promise<unknown> | undefined)?.then === 'function') {
      const sent = (value: unknown) => {
        if (value !== undefined && !res.headersSent) sendJson(res, 200, value);
      };
      return (result as Promise<unknown>).then(sent, fail && ((thrown: unknown) => fail(thrown, req, res)));
    }
    if (result !== undefined && !res.headersSent) sendJson(res, 200, result);
    return undefined;
  };
  const dispatch: DirectRoute = (req, res, fail) => {
    const given = req.url ?? '/';
    // The absolute form (`POST http://host/path`), which RFC 9112 §3.2.2 has every server accept, routes
    // by its path; `*` and the authority form match no route.
    const target = given.charCodeAt(0) === 47 ? given : (targetOf(given) ?? given);
    let end = target.indexOf('?');
    const hash = target.indexOf('#');
    if (hash !== -1 && (end === -1 || hash < end)) end = hash;
    const path = end === -1 ? target : target.slice(0, end);
    const verb = req.method ?? 'GET';
    const method = verb === 'GET' || verb === 'POST' ? verb : verb.toUpperCase();
    const miss = misses.get(path);
    if (miss !== undefined && !takesMethod(miss.methods, method))
      return unmatchedAnswer(req, res, method, miss.answer, fail);
    const fixed = statics.get(path);
    const direct = fixed && handlerOf(fixed, method);
    if (direct) return invoke(direct, noParams, req, res, target, fail);
    const segments = path.split('/').slice(1);
    const allowed: string[] = [];
    for (const candidate of routes) {
      const params = match(candidate, segments);
      if (!params) continue;
      const handler = handlerOf(candidate, method);
      if (!handler) {
        for (const m of candidate.methods.keys()) if (!allowed.includes(m)) allowed.push(m);
        continue;
      }
      return invoke(handler, params, req, res, target, fail);
    }
    const answer = toUnmatchedPath(allowed);
    if (misses.size >= maxMisses) misses.clear();
    misses.set(path, { methods: allowed, answer });
    return unmatchedAnswer(req, res, method, answer, fail);
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => dispatch(req, res, undefined);
  Object.defineProperty(handle, directKey, { value: dispatch });
  const router: Router = {
    on(method, path, handler) {
      const segments = path.split('/').slice(1);
      let route = routes.find((r) => r.segments.join('/') === segments.join('/'));
      if (!route) {
        route = { segments, methods: new Map() };
        const shadowed = routes.some((earlier) => match(earlier, segments) !== undefined);
        if (!segments.some((segment) => segment.startsWith(':')) && !shadowed) statics.set(path, route);
        routes.push(route);
      }
      route.methods.set(method.toUpperCase(), handler);
      misses.clear();
      return router;
    },
    get: (path, handler) => router.on('GET', path, handler),
    post: (path, handler) => router.on('POST', path, handler),
    put: (path, handler) => router.on('PUT', path, handler),
    patch: (path, handler) => router.on('PATCH', path, handler),
    delete: (path, handler) => router.on('DELETE', path, handler),
    handle,
  };
  return router;
}
