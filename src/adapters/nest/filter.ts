import type { Server } from 'node:http';
import type { ArgumentsHost, ExceptionFilter, LoggerService } from '@nestjs/common';
import { FaultlineConfigError } from '../../catalog/config-error.js';
import { RoleError } from '../../catalog/role-error.js';
import { toErrorHandler } from '../../server/handle-error.js';
import type { ErrorHandler, ErrorHandlerOptions, ErrorLogger } from '../../server/index.js';
import { resolveUnmatched } from '../../server/routing.js';
import {
  createExpressErrors,
  type ExpressApp,
  type ExpressErrorsOptions,
  type ExpressRaw,
} from '../express/index.js';
import {
  createFastifyErrors,
  type FastifyErrorsOptions,
  type FastifyErrorsPlugin,
  type FastifyRaw,
} from '../fastify/index.js';
import type { CheckContinueListener, CheckExpectationListener, ClientErrorListener } from '../kit/adapter.js';
import { nestFastifyPlugin } from './fastify-body.js';
import { isFastifyReply } from './platform.js';
import { isUnmatchedRoute, translate } from './translate.js';
import { fastifyUnmatchedPath } from './unmatched.js';

type Middleware = ReturnType<ReturnType<typeof createExpressErrors>['json']>;

/**
 * The JSON reader behind the path check: under Nest, `app.use(errors.json())` is the one middleware before
 * the routes, and Express's router would hand an escaped dot segment (`/%2e%2e`) to a `:param`.
 */
function checkedPath(checkPath: Middleware, json: Middleware): Middleware {
  return (req, res, next) =>
    checkPath(req, res, (error?: unknown) => (error ? next(error) : json(req, res, next)));
}

/** What `onError` gets as `event.raw` under Nest: Express's `{ req, res }` or Fastify's `{ request, reply }`. */
export type NestRaw = ExpressRaw | FastifyRaw;

/** Options of the Nest adapter besides the error handler's: those of the platform's faultline adapter. */
export interface NestErrorsOptions {
  /** For `@nestjs/platform-express`: the lingering close, and the limits of `json()`. */
  express?: ExpressErrorsOptions;
  /** For `@nestjs/platform-fastify`: the lingering close, and the limits and parsers of `fastify`. */
  fastify?: FastifyErrorsOptions;
}

/** The Nest error layer of one catalog. */
export interface NestErrors {
  /** The global exception filter: `app.useGlobalFilters(errors.filter)`. */
  readonly filter: FaultlineFilter;
  /** The error handler the filter answers with (catalog, format, correlation ids, hooks). */
  readonly handler: ErrorHandler;
  /**
   * faultline's JSON body reader for Nest on Express, made with `bodyParser: false`: 415 with `Accept`
   * for another media type, 413 declared and streamed, strict UTF-8, depth. `app.use(errors.json())`.
   */
  readonly json: ReturnType<typeof createExpressErrors>['json'];
  /**
   * faultline's Fastify plugin for Nest on Fastify, made with `bodyParser: false`:
   * `await app.register(errors.fastify)` puts faultline's JSON reader in Fastify's place, with the same
   * answers as `json()` on Express; prototype-poisoning keys stay refused.
   */
  readonly fastify: FastifyErrorsPlugin;
  /**
   * The `clientError` listener for the node:http server under Nest on Express: a request node's parser
   * refuses (a bare CR, a head over its limit) never reaches Nest, and gets the catalog's 400 from
   * it. `app.getHttpServer().on('clientError', errors.clientError)`; the Fastify plugin installs its own.
   */
  readonly clientError: ClientErrorListener;
  /**
   * The `checkContinue` listener for the node:http server under Nest on Express: `Expect: 100-continue` is
   * answered when the body is read, so a body refused by its declared length is never uploaded.
   * `app.getHttpServer().on('checkContinue', errors.checkContinue)`; the Fastify plugin installs its own.
   */
  readonly checkContinue: CheckContinueListener;
  /**
   * The `checkExpectation` listener for the node:http server under Nest on Express: an `Expect` other than
   * `100-continue` is the catalog's 417. The Fastify plugin installs its own.
   */
  readonly checkExpectation: CheckExpectationListener;
  /**
   * For Nest on Express: stands in for Express's final handler on the app's node server, so that a request
   * Express's router routes nowhere (a target it cannot parse, `GET http://[::1`) gets the catalog's 400
   * instead of Express's HTML 404. Call it after `NestFactory.create` and before `listen`. On another
   * platform, or a server whose listener is not the app's Express instance, it throws
   * `FAULTLINE_INVALID_OPTION`.
   */
  serve(app: NestHttpApp): void;
}

/** What `serve` needs of a Nest application: its node server and its platform's instance. */
export interface NestHttpApp {
  getHttpServer(): unknown;
  getHttpAdapter(): { getInstance(): unknown };
}

/**
 * A Nest logger as the error handler's `logger`: unexpected errors (answered 5xx) go to it, once each,
 * with the code, the correlation id and the stack. Without it, the platform's logger of the request
 * logs them (Fastify's `request.log` when its logger is on), else one JSON line on stderr.
 * @example
 * FaultlineModule.forRoot({ catalog, logger: nestLogger(new Logger('faultline')) });
 */
export function nestLogger(logger: LoggerService): ErrorLogger {
  return {
    error(record, message) {
      const text = typeof record.message === 'string' ? `: ${record.message}` : '';
      const where = `(code ${String(record.code)}, correlation id ${String(record.correlationId)})`;
      logger.error(`${message ?? 'error'}${text} ${where}`, record.stack);
    },
  };
}

const ignore = () => {};

/**
 * The global exception filter: every error of an HTTP request — Nest's `HttpException` family, a
 * `ValidationPipe` 400, Nest's own 404, its platform's body-parser and `FST_ERR_*` errors, anything a
 * controller, guard or pipe throws — is answered in the catalog's format by faultline's Express or
 * Fastify adapter, with the correlation id, headers and log of every adapter.
 * @example
 * app.useGlobalFilters(new FaultlineFilter({ catalog }));
 */
export class FaultlineFilter implements ExceptionFilter {
  readonly handler: ErrorHandler;
  readonly #express: ReturnType<typeof createExpressErrors>;
  readonly #fastify: FastifyErrorsPlugin;

  constructor(
    options: ErrorHandlerOptions<NestRaw> | ErrorHandler = {},
    nestOptions: NestErrorsOptions = {},
  ) {
    this.handler = toErrorHandler(options);
    this.#express = createExpressErrors(this.handler, nestOptions.express);
    this.#fastify = createFastifyErrors(this.handler, nestOptions.fastify);
  }

  /** The Express error layer the filter answers with (its `json()` reader). */
  get express(): ReturnType<typeof createExpressErrors> {
    return this.#express;
  }

  /** The Fastify plugin the filter answers with. */
  get fastify(): FastifyErrorsPlugin {
    return this.#fastify;
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    // WebSocket and microservice contexts have their own filters; this one answers HTTP only.
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const request = http.getRequest<Record<string, unknown>>();
    const response = http.getResponse<Record<string, unknown>>();
    if (isFastifyReply(response)) this.#answerFastify(exception, request, response);
    else this.#answerExpress(exception, request, response);
  }

  #answerExpress(exception: unknown, req: Record<string, unknown>, res: Record<string, unknown>): void {
    const express = this.#express;
    const answer = (error: unknown) => express.handler(error, req as never, res as never, ignore);
    if (isUnmatchedRoute(exception, req.method, [req.originalUrl, req.url])) {
      // 404 for an unknown path, 405 with `Allow` for a method it does not take, 204 for OPTIONS.
      express.notFound(req as never, res as never, answer);
      return;
    }
    answer(translate(exception));
  }

  #answerFastify(exception: unknown, request: Record<string, unknown>, reply: Record<string, unknown>): void {
    const raw = reply.raw as { headersSent?: boolean; writableEnded?: boolean; destroy(): void };
    if (reply.sent === true || raw.headersSent === true) {
      // A response already under way cannot become an error answer: end it so the client sees a failure.
      if (raw.writableEnded !== true) raw.destroy();
      return;
    }
    let thrown: unknown;
    if (isUnmatchedRoute(exception, request.method, [request.url, (request.raw as { url?: unknown })?.url])) {
      // 404 for an unknown path, 405 with `Allow` for a method it does not take, 204 for OPTIONS: the
      // same rule, memo and prebuilt errors as Fastify's own not-found handler, never a new Error.
      const answer = resolveUnmatched(
        request.method as string | undefined,
        fastifyUnmatchedPath(reply, String(request.url)),
      );
      if (!(answer instanceof RoleError)) {
        (reply as unknown as FastifyRaw['reply']).code(answer.status).headers(answer.headers).send();
        return;
      }
      thrown = answer;
    } else {
      thrown = translate(exception);
    }
    // The plugin's answer, which reads any thrown value safely (null, a revoked Proxy).
    this.#fastify.frameworkErrors(thrown as never, request as never, reply as never);
  }
}
// No `@Catch()`: a filter without its metadata catches everything, as `@Catch()` does, and the adapter
// needs no runtime import of `@nestjs/common` (an optional peer).

/**
 * Creates the Nest error layer of a catalog: the global exception filter, and faultline's JSON reader
 * for either platform.
 * @example
 * const errors = createNestErrors({ catalog });
 * const app = await NestFactory.create(AppModule);
 * app.useGlobalFilters(errors.filter);
 */
export function createNestErrors(
  options: ErrorHandlerOptions<NestRaw> | ErrorHandler = {},
  nestOptions: NestErrorsOptions = {},
): NestErrors {
  const filter = new FaultlineFilter(options, nestOptions);
  const fastify = nestFastifyPlugin(filter.fastify);
  const express = filter.express;
  return {
    filter,
    handler: filter.handler,
    json: (bodyOptions) => checkedPath(express.checkPath, express.json(bodyOptions)),
    fastify,
    clientError: express.clientError,
    checkContinue: express.checkContinue,
    checkExpectation: express.checkExpectation,
    serve(app) {
      const server = app.getHttpServer() as Server | undefined;
      const instance = app.getHttpAdapter().getInstance();
      if (
        typeof instance !== 'function' ||
        typeof server?.listeners !== 'function' ||
        !server.listeners('request').includes(instance as never)
      ) {
        throw new FaultlineConfigError(
          'FAULTLINE_INVALID_OPTION',
          'serve(app) is for Nest on @nestjs/platform-express, between NestFactory.create and listen',
        );
      }
      server.removeListener('request', instance as never);
      server.on('request', express.serve(instance as ExpressApp));
    },
  };
}
