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
import { RoleError } from '../../catalog/role-error.js';
import { cutAnswer } from '../../guards/node-context.js';
import type { BodyLimits, BodyOptions, Poisoning } from '../../server/body.js';
import type { ErrorHandler, ErrorHandlerOptions } from '../../server/handle-error.js';
import { checkTarget, memoUnmatched, resolveUnmatched } from '../../server/routing.js';
import { type Adapter, coreOf, createKit, type Kit } from '../kit/adapter.js';
import type { LingerOptions } from '../kit/linger.js';
import { answerBody, probeMethods } from '../kit/methods.js';
import { hasUnreadBody, markUnread } from '../kit/read-body.js';
import { readJsonBody } from '../kit/read-json.js';
import { read } from '../kit/safe.js';
import { closeAfter, keptOnError } from '../kit/sink.js';
import { decorate } from './decorators.js';
import { keepOnRoute } from './made.js';
import { type FastifyRaw, toAnswerView, toRequestView } from './request.js';
import { translate } from './translate.js';
import { validatorCompiler } from './validator.js';

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
   * Whether the plugin puts a listener in front of Fastify's on the server's `request` event, which
   * answers a malformed path (`/%zz`) in the catalog before Fastify sees it. Off, the server keeps
   * Fastify's own listener and a malformed path is answered in the catalog only when the server was made
   * with `Fastify({ frameworkErrors: plugin.frameworkErrors })` (else Fastify answers it with its own
   * body). Turn it on for a server whose constructor options you do not control.
   * @default false
   */
  requestListener?: boolean;
}

function send(
  { errors, bounds }: Kit,
  thrown: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const view = toAnswerView(request, reply);
  const { status, headers, body } = errors.handle(translate(thrown), view);
  if (reply.raw.headersSent) {
    // Too late for an error answer: cutting the connection is the only honest signal left.
    cutAnswer(reply.raw);
    return reply;
  }
  if (!reply.sent) {
    closeAfter(request.raw, view, headers, bounds);
    // Of the headers set before the error (on the reply or its raw response), only the kept ones stay.
    const before = reply.getHeaders();
    // Removing `Date` turns node's own off: the answer is dated by the server still.
    const sendDate = reply.raw.sendDate;
    for (const name in before) if (!keptOnError(name)) reply.removeHeader(name);
    reply.raw.sendDate = sendDate;
    // So does a reason phrase set on the raw response: node fills in the status's own when empty.
    reply.raw.statusMessage = '';
  }
  // The body is already serialized. Through a serializer of its own, Fastify sends a string as it is: without
  // one, it would append `; charset=utf-8` to the format's media type.
  return reply.code(status).headers(headers).serializer(asIs).send(body);
}

const asIs = (body: string) => body;

function methodsOf(fastify: FastifyInstance, path: string): string[] {
  return probeMethods((method) => fastify.findRoute({ method: method as 'GET', url: path }) !== null);
}

// Requests node's parser refuses are answered in the catalog; so are malformed paths: by Fastify's
// `frameworkErrors` when the server has the plugin's, by a listener in front of Fastify's on request.
function guardTargets(fastify: FastifyInstance, kit: Kit, requestListener: boolean): void {
  const server = fastify.server;
  if (requestListener) {
    const listeners = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
    if (listeners.length === 1) guardListener(server, listeners[0]!, kit.errors);
  }
  server.removeAllListeners('clientError');
  server.on('clientError', kit.clientError);
  // `100 Continue` when the body is read, not before the route runs: a body Fastify refuses by its declared
  // length is never uploaded. A listener of the app's own stays.
  if (server.listenerCount('checkContinue') === 0) server.on('checkContinue', kit.checkContinue);
  // Any other expectation is the catalog's 417, not node's empty one.
  if (server.listenerCount('checkExpectation') === 0) server.on('checkExpectation', kit.checkExpectation);
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
      res.writeHead(status, headers).end(answerBody(req.method, body));
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

/** The Fastify parts of the adapter: the plugin itself, and its `frameworkErrors` for the constructor. */
export type FastifyParts = FastifyPluginCallback & {
  /**
   * Answers in the catalog what Fastify's router refuses before any hook (a malformed path, a parameter
   * over `maxParamLength`): pass it as `Fastify({ frameworkErrors })`, so that `inject` answers as the wire.
   */
  readonly frameworkErrors: NonNullable<FastifyServerOptions['frameworkErrors']>;
  /**
   * Validates route schemas that are Standard Schemas (zod, valibot, arktype): a failure is the catalog's
   * validation error, with a field error per issue. Set it as `app.setValidatorCompiler(validatorCompiler)`.
   */
  readonly validatorCompiler: typeof validatorCompiler;
};

/** The Fastify error layer: a plugin, with the catalog, the compiled handler and `clientError`. */
export type FastifyErrorsPlugin = Adapter<FastifyParts>;

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
  const { limit, ...rest } = fastifyOptions.body ?? {};
  const kit = createKit(options, {
    linger: fastifyOptions.linger,
    body: { ...rest, ...(limit === undefined ? {} : { limit }) },
  });
  const { errors, limits: base } = kit;
  // Requests whose JSON body the reader read whole before refusing it (malformed, too deep, poisoned).
  const readWhole = new WeakSet<FastifyRequest>();
  const plugin = (fastify: FastifyInstance, _options: unknown, done: (error?: Error) => void) => {
    // A route guarded by an idempotency guard keeps its answer as the route made it, before a compression
    // layer codes it: an onSend hook of that route's only, since one shared hook costs every answer.
    fastify.addHook('onRoute', keepOnRoute);
    fastify.setErrorHandler((error, request, reply) => {
      if (readWhole.has(request)) {
        // Fastify sets `Connection: close` after any parser error, for a body it may have left unread; one
        // read whole leaves nothing. Without it node keeps the connection unless the client asked to close,
        // but writes no `Connection` header then: `close` is written for a client that asked.
        reply.removeHeader('connection');
        if (!reply.raw.shouldKeepAlive) reply.header('connection', 'close');
      }
      return send(kit, error, request, reply);
    });
    decorate(fastify, errors, (thrown, reply) => send(kit, thrown, reply.request, reply));
    // Fastify's routes are fixed once it is ready, before the first request: one lookup per path.
    const unmatchedPath = memoUnmatched((path) => methodsOf(fastify, path));
    fastify.setNotFoundHandler((request, reply) => {
      const url = request.url;
      const end = url.indexOf('?');
      const answer = resolveUnmatched(request.method, unmatchedPath(end === -1 ? url : url.slice(0, end)));
      if (answer instanceof RoleError) return send(kit, answer, request, reply);
      return reply.code(answer.status).headers(answer.headers).send();
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
            // The reader marks the stream it left unread (too large, timed out, aborted, refused before
            // reading): the raw request, or the stream a preParsing hook gave in its place. A body read whole
            // that is malformed JSON leaves the connection open for the next request.
            if (hasUnreadBody(payload as IncomingMessage)) markUnread(request.raw);
            else readWhole.add(request);
            parsed(error, undefined);
          },
        );
      };
      addUnlessTaken(fastify, 'application/json', parseJson);
      addUnlessTaken(fastify, jsonSuffix, parseJson);
      // Fastify's default text parser gives way (text is not JSON: 415); a text parser of the user's stays.
      if (addUnlessTaken(fastify, 'text/plain', parseJson)) fastify.removeContentTypeParser('text/plain');
    }
    const requestListener = fastifyOptions.requestListener === true;
    if (!requestListener) {
      // An escaped dot segment (`/%2e%2e/`) is a path Fastify's router takes: refused here, before any
      // route, as every adapter does. Malformed escapes never get this far (Fastify's `frameworkErrors`).
      fastify.addHook('onRequest', (request, _reply, next) => {
        try {
          checkTarget(request.raw.url);
        } catch (error) {
          next(error as Error);
          return;
        }
        next();
      });
    }
    guardTargets(fastify, kit, requestListener);
    done();
  };
  // The metadata `fastify-plugin` would set, by hand: that package is not a dependency of Fastify, and as
  // one of faultline it would be installed for every user of every other framework. Fastify reads these
  // three symbols at `register`: it skips encapsulation, names the plugin (`hasPlugin('faultline')`,
  // `printPlugins()`) and refuses a Fastify outside `5.x` with FST_ERR_PLUGIN_VERSION_MISMATCH.
  const frameworkErrors = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    let thrown: unknown = error;
    // The same answer as the server's listener gives a malformed path on the wire. Read safely: a caller
    // (Nest's filter) may hand on any thrown value, one whose reads throw included.
    if (read(error, 'code') === 'FST_ERR_BAD_URL') {
      try {
        checkTarget(request.url);
      } catch (malformed) {
        thrown = malformed;
      }
    }
    send(kit, thrown, request, reply);
  };
  return Object.assign(plugin, {
    ...coreOf(kit),
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'faultline',
    [Symbol.for('plugin-meta')]: { name: 'faultline', fastify: '5.x' },
    frameworkErrors: frameworkErrors as FastifyErrorsPlugin['frameworkErrors'],
    validatorCompiler,
  }) as FastifyErrorsPlugin;
}
