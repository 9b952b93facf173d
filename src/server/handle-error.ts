import type { ApiError } from '../catalog/api-error.js';
import { RoleError, withField } from '../catalog/role-error.js';
import { standardErrors } from '../catalog/standard-errors.js';
import type { Catalog } from '../catalog/types.js';
import { problemJson } from '../format/problem-json.js';
import type { ErrorFormat } from '../format/types.js';
import { type Correlation, type CorrelationOptions, createCorrelation } from './correlation.js';
import { createLocalizer, type LocaleOptions } from './locale.js';
import { type ErrorLogger, logUnexpected } from './log.js';
import { isUnexpected, normalizeError } from './normalize.js';
import { createRecorder, type ErrorRecorder, type OtelOptions } from './otel.js';
import { createRenderer, type RenderedError, type Renderer } from './render.js';
import { pathOf, type RequestView } from './request.js';

/**
 * What the `onError` hook receives: the answer sent, the original thrown value, and the request. `Raw` is
 * the framework's own objects of the request, as each adapter gives them in `raw`.
 */
export interface ErrorEvent<Raw = unknown> {
  /** The error as answered. */
  readonly error: ApiError;
  /** What was thrown, untouched: for logs only. */
  readonly thrown: unknown;
  readonly correlationId: string;
  readonly request: RequestView;
  /**
   * The framework's objects: `{ request, reply }` on Fastify, `{ req, res }` on Express and node:http,
   * `{ context }` on Hono, `{ ctx }` on Koa; `undefined` when the error was not answered through an adapter.
   */
  readonly raw?: Raw | undefined;
}

/** Options of the error handler; `Raw` types `event.raw` of `onError` (each adapter sets it). */
export interface ErrorHandlerOptions<Raw = unknown> {
  /**
   * The API's catalog.
   * @default the standard codes, `defineErrors({})`
   */
  catalog?: Catalog<any>;
  /**
   * The wire format of error bodies.
   * @default commonFormats.problemJson (RFC 9457)
   */
  format?: ErrorFormat;
  /** Correlation ids: the inbound and response header, and how new ids are made. */
  correlation?: CorrelationOptions;
  /** Localised messages chosen by `Accept-Language`. */
  locales?: LocaleOptions;
  /**
   * What RFC 9457 `instance` holds: the request path, nothing, or a function of the request.
   * @default 'path'
   */
  instance?: 'path' | 'none' | ((request: RequestView) => string | undefined);
  /**
   * Called with every error answered, for logs and metrics; its own failures are swallowed. The original
   * thrown value, its message, stack and cause are here and nowhere on the wire. A hook does not change
   * the log of unexpected errors (see `logger`). `false`, from earlier releases, is no hook and, without a
   * `logger`, no log: prefer `logger: false`.
   * @default undefined (no hook)
   */
  onError?: ((event: ErrorEvent<Raw>) => void) | false;
  /**
   * Where unexpected errors (answered 5xx, not thrown as catalog errors) are logged, once each: a
   * pino-style logger (`error(object, message)`), or `false` for no log. Independent of `onError`.
   * @default the framework's logger of the request (Fastify's `request.log`), else one JSON line on stderr
   */
  logger?: ErrorLogger | false;
  /**
   * OpenTelemetry: `{ api }` with `import * as api from '@opentelemetry/api'` (and an optional `meter`).
   * Every answered error sets `error.type` on the active span, a 5xx sets its status to ERROR and records
   * the exception; the counter `faultline.errors` counts answers by `error.type` and
   * `http.response.status_code`.
   * @default undefined (no telemetry)
   */
  otel?: OtelOptions;
}

/** An error answer, ready for any framework to send. */
export interface ErrorResponse extends RenderedError {
  readonly error: ApiError;
}

/** An error handler compiled once from its options. */
export interface ErrorHandler {
  /** Answers anything thrown while serving `request`: normalize, render, report; never throws. */
  handle(thrown: unknown, request?: RequestView): ErrorResponse;
  /** Normalises a thrown value to an ApiError of the catalog without answering it. */
  normalize(thrown: unknown): ApiError;
  /** Renders an ApiError of the catalog for a request (status, headers, body), without reporting it. */
  render(error: ApiError, request?: RequestView): RenderedError;
  readonly catalog: Catalog<any>;
  readonly format: ErrorFormat;
  /** The response header the correlation id is set on. */
  readonly correlationHeader: string;
  /**
   * The correlation id this handler's answer to `request` would carry (its inbound header, `trustInbound`,
   * `generate`), chosen without answering anything: a WebSocket handshake's 101 and events carry it.
   */
  correlationId(request?: RequestView): string;
}

// The framework's logger of a request, when it is pino-style.
function frameworkLogger(request: RequestView): ErrorLogger | undefined {
  try {
    return typeof request.log?.error === 'function' ? request.log : undefined;
  } catch {
    return undefined;
  }
}

// The last-resort body, for when answering the error failed: the catalog's internal error, or bare JSON.
function lastResort(format: ErrorFormat, error: ApiError): string {
  try {
    return format.serialize(error);
  } catch {
    return JSON.stringify({ status: 500, code: error.code, correlation_id: error.correlationId });
  }
}

/**
 * What a handler compiles from its options: the catalog, the format, correlation ids and the renderer
 * (locales, `instance`). The hooks (`onError`, `logger`, `otel`) stay apart, so that `toResponse` can keep
 * the compiled part for options written inline while each call brings its own hooks.
 */
export interface HandlerCore {
  readonly catalog: Catalog<any>;
  readonly format: ErrorFormat;
  readonly correlation: Correlation;
  readonly renderer: Renderer;
}

/** Compiles the part of a handler that its hooks do not change. */
export function compileCore(options: ErrorHandlerOptions<any>): HandlerCore {
  const catalog = options.catalog ?? standardErrors;
  const format = options.format ?? problemJson;
  const correlation = createCorrelation(options.correlation);
  const instanceOption = options.instance ?? 'path';
  const renderer = createRenderer({
    catalog,
    format,
    correlation,
    localizer: options.locales ? createLocalizer(options.locales) : undefined,
    instanceOf:
      instanceOption === 'none'
        ? () => undefined
        : instanceOption === 'path'
          ? (request: RequestView) => pathOf(request.url)
          : instanceOption,
  });
  return { catalog, format, correlation, renderer };
}

/** Reports one answered error: the log of unexpected errors, telemetry, then `onError`. */
export type Reporter = (error: ApiError, thrown: unknown, request: RequestView) => void;

/** The reporter of a handler's hooks; `record` is the compiled `otel` option. */
export function reporterOf<Raw>(
  options: ErrorHandlerOptions<Raw>,
  catalog: Catalog<any>,
  record: ErrorRecorder | undefined,
): Reporter {
  const onError = options.onError || undefined;
  // A given logger always logs; without one, stderr does, unless the log is off (`logger: false`, or the
  // `onError: false` of earlier releases).
  const logger = options.logger || undefined;
  const logDefault = logger !== undefined || (options.logger === undefined && options.onError !== false);
  return (error, thrown, request) => {
    if (logDefault && error.status >= 500 && isUnexpected(thrown, error, catalog)) {
      // A descriptor the catalog could not answer is logged for why (its configuration error).
      const logged = thrown instanceof RoleError ? error.cause : thrown;
      logUnexpected(logger ?? frameworkLogger(request), error, logged);
    }
    if (record) record(error, thrown);
    if (onError) {
      try {
        onError({
          error,
          thrown,
          correlationId: error.correlationId!,
          request,
          raw: request.raw as Raw | undefined,
        });
      } catch {
        // A failing hook must not change the answer.
      }
    }
  };
}

const emptyRequest: RequestView = {};

/**
 * The error with no correlation id yet, for the answer to give it this request's. A frozen error (a
 * prebuilt one, or a denial over one) refuses the write: the answer is then an object over it that
 * takes the id, and the error itself is left as it was thrown.
 */
function withoutCorrelation(error: ApiError): ApiError {
  return withField(error, 'correlationId', undefined);
}

/** Answers anything thrown while serving `request` with a compiled core and a reporter; never throws. */
export function answer(
  core: HandlerCore,
  report: Reporter,
  thrown: unknown,
  request: RequestView = emptyRequest,
): ErrorResponse {
  const { catalog, format, correlation, renderer } = core;
  let error: ApiError | undefined;
  try {
    // A correlation id is the request's: one carried by a rethrown error is not reused.
    error = withoutCorrelation(normalizeError(thrown, catalog));
    const rendered = renderer.render(error, request);
    report(error, thrown, request);
    return { status: rendered.status, headers: rendered.headers, body: rendered.body, error };
  } catch {
    const correlationId = error?.correlationId ?? correlation.pick(undefined);
    const internal = catalog.builtin('internalError', undefined, { correlationId });
    return {
      status: 500,
      headers: { 'content-type': format.contentType, [correlation.responseHeader]: correlationId },
      body: lastResort(format, internal),
      error: internal,
    };
  }
}

/**
 * Compiles the error handling of a server: the catalog, the format, correlation ids, locales and hooks.
 * @example
 * const errors = createErrorHandler({ catalog, correlation: { header: 'x-request-id' } });
 * const { status, headers, body } = errors.handle(thrown, request);
 */
export function createErrorHandler<Raw = unknown>(options: ErrorHandlerOptions<Raw> = {}): ErrorHandler {
  const core = compileCore(options);
  const { catalog, format, correlation, renderer } = core;
  const report = reporterOf(options, catalog, createRecorder(options.otel));
  return {
    handle: (thrown, request) => answer(core, report, thrown, request),
    normalize: (thrown) => normalizeError(thrown, catalog),
    render: (error, request = emptyRequest) => renderer.render(error, request),
    catalog,
    format,
    correlationHeader: correlation.responseHeader,
    correlationId: (request = emptyRequest) => correlation.of(request),
  };
}

const handlers = new WeakMap<ErrorHandlerOptions<any>, ErrorHandler>();

/**
 * An error handler from what an adapter was given: a handler as it is, or options compiled on first use
 * and remembered per options object.
 * @example
 * const handler = toErrorHandler({ catalog });
 */
export function toErrorHandler<Raw = unknown>(
  options: ErrorHandlerOptions<Raw> | ErrorHandler = {},
): ErrorHandler {
  if (typeof (options as ErrorHandler).handle === 'function') return options as ErrorHandler;
  const opts = options as ErrorHandlerOptions<Raw>;
  let handler = handlers.get(opts);
  if (!handler) {
    handler = createErrorHandler(opts);
    handlers.set(opts, handler);
  }
  return handler;
}
