import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  FastifyContentTypeParser,
  FastifyError,
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  FastifyServerOptions,
} from 'fastify';
import { type BodyLimits, type BodyOptions, type Poisoning, toBodyLimits } from '../../server/body.js';
import { type ErrorHandler, type ErrorHandlerOptions, toErrorHandler } from '../../server/handle-error.js';
import { answerUnmatched, checkTarget, memoUnmatched, probedMethods } from '../../server/routing.js';
import { clientErrorListener } from '../node/client-error.js';
import { type LingerBounds, type LingerOptions, toLingerBounds } from '../node/linger.js';
import { markUnread } from '../node/read-body.js';
import { readJsonBody } from '../node/read-json.js';
import { closeAfter } from '../node/sink.js';
import { decorate } from './decorators.js';
import { type FastifyRaw, toAnswerView, toRequestView } from './request.js';
import { translate } from './translate.js';

export type { FastifyRaw } from './request.js';

/** Options of the Fastify adapter besides the error handler's. */
export interface FastifyErrorsOptions {
  /** Bounds of the lingering close after an answer that leaves a body unread (413, 415, 408). */
  linger?: LingerOptions;
  /**
   * Limits of JSON bodies; the size limit is Fastify's own `bodyLimit` (of the server or the route)
   * unless `limit` is given here.
   */
  body?: Omit<BodyOptions, 'limit'> & { limit?: number | string };
  /**
   * Whether the plugin replaces Fastify's default JSON parser with faultline's JSON reader (the same
   * limits and answers as every adapter, for `application/json` and `+json` types), and drops its
   * default `text/plain` parser, so that a type no parser takes gets 415 with `Accept`. Parsers you
   * register, before or after the plugin, stay in charge of their types. Prototype-poisoning keys are
   * handled as the server's `onProtoPoisoning` and `onConstructorPoisoning` say (refused by default).
   * Off keeps Fastify's parsers.
   * @default true
   */
  parseJson?: boolean;
  /**
   * Whether the plugin answers malformed paths from a listener it puts in front of Fastify's on the
   * server's `request` event. Set `false` when the server was made with
   * `Fastify({ frameworkErrors: plugin.frameworkErrors })`: Fastify's router then hands those paths to
   * faultline itself, and the server keeps Fastify's own listener.
   * @default true
   */
  requestListener?: boolean;
}

function send(
  errors: ErrorHandler,
  bounds: LingerBounds,
  thrown: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const view = toAnswerView(request, reply);
  const { status, headers, body } = errors.handle(translate(thrown), view);
  if (!reply.sent) closeAfter(request.raw, view, headers, bounds);
  // The body is already serialized; as bytes, Fastify sends it untouched (a string would get `; charset=utf-8`
  // appended to the format's media type).
  return reply.code(status).headers(headers).send(Buffer.from(body));
}

function methodsOf(fastify: FastifyInstance, path: string): string[] {
  const methods: string[] = [];
  for (const method of [...probedMethods, 'OPTIONS']) {
    if (fastify.findRoute({ method: method as 'GET', url: path })) methods.push(method);
  }
  return methods;
}

// Requests node's parser refuses are answered in the catalog; so are malformed paths, by a listener in
// front of Fastify's unless the server's `frameworkErrors` is the plugin's.
function guardTargets(fastify: FastifyInstance, errors: ErrorHandler, requestListener: boolean): void {
  const server = fastify.server;
  if (requestListener) {
    const listeners = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
    if (listeners.length !== 1) return;
    guardListener(server, listeners[0]!, errors);
  }
  server.removeAllListeners('clientError');
  server.on('clientError', clientErrorListener(errors));
}

// This listener runs before Fastify's, so that a malformed path is the catalog's 400 instead of Fastify's
// FST_ERR_BAD_URL body (which no plugin hook can reach; only the server option `frameworkErrors` can).
function guardListener(
  server: FastifyInstance['server'],
  fastifyListener: (req: IncomingMessage, res: ServerResponse) => void,
  errors: ErrorHandler,
): void {
  server.removeListener('request', fastifyListener);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    try {
      checkTarget(req.url);
    } catch (error) {
      const { status, headers, body } = errors.handle(error, { method: req.method, url: req.url });
      headers['content-length'] = String(Buffer.byteLength(body));
      res.writeHead(status, headers).end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    fastifyListener.call(server, req, res);
  });
}

// A `+json` media type (`application/problem+json`, `application/merge-patch+json`), with or without
// parameters, as Fastify tests a parser's RegExp against the normalized `Content-Type`.
const jsonSuffix = /^application\/[\w.+-]+\+json(?:\s*;|$)/;

/**
 * Adds a parser unless one of the user's already serves the type: Fastify lets `add` replace its own
 * default JSON and text parsers, and refuses with FST_ERR_CTP_ALREADY_PRESENT any other existing one.
 * Returns whether it added.
 */
function addUnlessTaken(
  fastify: FastifyInstance,
  type: string | RegExp,
  parser: FastifyContentTypeParser,
): boolean {
  try {
    fastify.addContentTypeParser(type, parser);
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'FST_ERR_CTP_ALREADY_PRESENT') return false;
    throw error;
  }
}

/** The plugin, and its `frameworkErrors` for the Fastify constructor. */
export type FastifyErrorsPlugin = FastifyPluginCallback & {
  /**
   * Answers in the catalog what Fastify's router refuses before any hook (a malformed path, a parameter
   * over `maxParamLength`): pass it as `Fastify({ frameworkErrors })`, so that `inject` answers as the wire.
   */
  readonly frameworkErrors: NonNullable<FastifyServerOptions['frameworkErrors']>;
};

/**
 * Creates the Fastify plugin `faultline` (for Fastify 5.x): at the root scope (it skips encapsulation, as
 * `fastify-plugin` does) it decorates the instance with `errors` and the reply with `apiError`, installs the
 * error handler, the not-found handler (404, 405 with `Allow`, OPTIONS 204), faultline's
 * JSON body reader, and the catalog's answers for malformed paths and requests node's parser refuses.
 * Fastify's own errors — `FST_ERR_*`, route-schema validation — become catalog codes.
 * @example
 * const faultline = createFastifyErrors({ catalog });
 * const app = Fastify({ frameworkErrors: faultline.frameworkErrors });
 * await app.register(faultline);
 */
export function createFastifyErrors(
  options: ErrorHandlerOptions<FastifyRaw> | ErrorHandler = {},
  fastifyOptions: FastifyErrorsOptions = {},
): FastifyErrorsPlugin {
  const errors = toErrorHandler(options);
  const bounds = toLingerBounds(fastifyOptions.linger);
  const { limit, ...rest } = fastifyOptions.body ?? {};
  const base = toBodyLimits({ ...rest, ...(limit === undefined ? {} : { limit }) });
  const plugin = (fastify: FastifyInstance, _options: unknown, done: (error?: Error) => void) => {
    fastify.setErrorHandler((error, request, reply) => send(errors, bounds, error, request, reply));
    decorate(fastify, errors, (thrown, reply) => send(errors, bounds, thrown, reply.request, reply));
    // Fastify's routes are fixed once it is ready, before the first request: one lookup per path.
    const unmatchedPath = memoUnmatched((path) => methodsOf(fastify, path));
    fastify.setNotFoundHandler((request, reply) => {
      try {
        const url = request.url;
        const end = url.indexOf('?');
        const answer = answerUnmatched(request.method, unmatchedPath(end === -1 ? url : url.slice(0, end)));
        return reply.code(answer.status).headers(answer.headers).send();
      } catch (error) {
        return send(errors, bounds, error, request, reply);
      }
    });
    if (fastifyOptions.parseJson !== false) {
      // Fastify's own defences stay: the server's settings for prototype poisoning, 'error' by default.
      const poisoning: Poisoning = {
        protoAction: fastify.initialConfig.onProtoPoisoning ?? 'error',
        constructorAction: fastify.initialConfig.onConstructorPoisoning ?? 'error',
      };
      const parseJson: FastifyContentTypeParser = (request, payload, parsed) => {
        const limits: BodyLimits =
          limit === undefined ? { ...base, limit: request.routeOptions.bodyLimit ?? base.limit } : base;
        readJsonBody(payload as IncomingMessage, limits, toRequestView(request), poisoning).then(
          (body) => parsed(null, body),
          (error: Error) => {
            markUnread(request.raw);
            parsed(error, undefined);
          },
        );
      };
      addUnlessTaken(fastify, 'application/json', parseJson);
      addUnlessTaken(fastify, jsonSuffix, parseJson);
      // Fastify's default text parser gives way (text is not JSON: 415); a text parser of the user's stays.
      if (addUnlessTaken(fastify, 'text/plain', parseJson)) fastify.removeContentTypeParser('text/plain');
    }
    guardTargets(fastify, errors, fastifyOptions.requestListener !== false);
    done();
  };
  // The metadata `fastify-plugin` would set, by hand: that package is not a dependency of Fastify, and as
  // one of faultline it would be installed for every user of every other framework. Fastify reads these
  // three symbols at `register`: it skips encapsulation, names the plugin (`hasPlugin('faultline')`,
  // `printPlugins()`) and refuses a Fastify outside `5.x` with FST_ERR_PLUGIN_VERSION_MISMATCH.
  const frameworkErrors = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    let thrown: unknown = error;
    // The same answer as the server's listener gives a malformed path on the wire.
    if (error.code === 'FST_ERR_BAD_URL') {
      try {
        checkTarget(request.url);
      } catch (malformed) {
        thrown = malformed;
      }
    }
    send(errors, bounds, thrown, request, reply);
  };
  return Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'faultline',
    [Symbol.for('plugin-meta')]: { name: 'faultline', fastify: '5.x' },
    frameworkErrors: frameworkErrors as FastifyErrorsPlugin['frameworkErrors'],
  }) as FastifyErrorsPlugin;
}
