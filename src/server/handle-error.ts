import type { ApiError } from '../catalog/api-error.js';
import { standardErrors } from '../catalog/standard-errors.js';
import type { Catalog } from '../catalog/types.js';
import { problemJson } from '../format/problem-json.js';
import type { ErrorFormat, ErrorView } from '../format/types.js';
import { type CorrelationOptions, createCorrelation } from './correlation.js';
import { createLocalizer, type LocaleOptions } from './locale.js';
import { normalizeError } from './normalize.js';
import { headerOf, pathOf, type RequestView } from './request.js';

/** What the `onError` hook receives: the answer sent, the original thrown value, and the request. */
export interface ErrorEvent {
  /** The error as answered. */
  readonly error: ApiError;
  /** What was thrown, untouched: for logs only. */
  readonly thrown: unknown;
  readonly correlationId: string;
  readonly request: RequestView;
}

/** Options of the error handler. */
export interface ErrorHandlerOptions {
  /**
   * The API's catalog.
   * @default standardErrors
   */
  catalog?: Catalog<any>;
  /**
   * The wire format of error bodies.
   * @default problemJson
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
   * Called with every error answered, for logs and metrics; its own failures are swallowed.
   * The original thrown value, its message, stack and cause are here and nowhere on the wire.
   */
  onError?: (event: ErrorEvent) => void;
}

/** An error answer, ready for any framework to send. */
export interface ErrorResponse {
  readonly status: number;
  /** Lower-case header names: content type, correlation id, the error's own headers. */
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly error: ApiError;
}

/** An error handler compiled once from its options. */
export interface ErrorHandler {
  /** Answers anything thrown while serving `request`; never throws. */
  handle(thrown: unknown, request?: RequestView): ErrorResponse;
  /** Normalises a thrown value to an ApiError of the catalog without answering it. */
  normalize(thrown: unknown): ApiError;
  readonly catalog: Catalog<any>;
  readonly format: ErrorFormat;
  /** The response header the correlation id is set on. */
  readonly correlationHeader: string;
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
 * Compiles the error handling of a server: the catalog, the format, correlation ids, locales and hooks.
 * @example
 * const errors = createErrorHandler({ catalog, correlation: { header: 'x-request-id' } });
 * const { status, headers, body } = errors.handle(thrown, request);
 */
export function createErrorHandler(options: ErrorHandlerOptions = {}): ErrorHandler {
  const catalog = options.catalog ?? standardErrors;
  const format = options.format ?? problemJson;
  const correlation = createCorrelation(options.correlation);
  const localizer = options.locales ? createLocalizer(options.locales) : undefined;
  const instanceOption = options.instance ?? 'path';
  const instanceOf =
    instanceOption === 'none'
      ? () => undefined
      : instanceOption === 'path'
        ? (request: RequestView) => pathOf(request.url)
        : instanceOption;
  const onError = options.onError;
  const emptyRequest: RequestView = {};

  function handle(thrown: unknown, request: RequestView = emptyRequest): ErrorResponse {
    let correlationId = '';
    try {
      const error = normalizeError(thrown, catalog);
      correlationId = correlation.pick(headerOf(request.headers, correlation.header));
      error.correlationId = correlationId;
      const headers: Record<string, string> = {};
      const own = error.headers;
      // for…in over the error's few headers: cheaper than spreading a frozen object on every answer.
      for (const name in own) headers[name] = own[name]!;
      // The format's media type and the correlation id are faultline's; an error's headers never replace them.
      headers['content-type'] = format.contentType;
      headers[correlation.responseHeader] = correlationId;
      let message = error.message;
      if (localizer) {
        const locale = localizer.negotiate(headerOf(request.headers, 'accept-language'));
        message = localizer.message(locale, error.code, error.details) ?? message;
        headers['content-language'] = locale;
      }
      const view: ErrorView = {
        code: error.code,
        status: error.status,
        message,
        id: error.id,
        category: error.category,
        retryable: error.retryable,
        details: error.details,
        fieldErrors: error.fieldErrors,
        correlationId,
        type: error.type,
        title: catalog.get(error.code)?.title,
        instance: instanceOf(request),
      };
      const body = format.serialize(view);
      if (onError) {
        try {
          onError({ error, thrown, correlationId, request });
        } catch {
          // A failing logger must not change the answer.
        }
      }
      return { status: error.status, headers, body, error };
    } catch {
      correlationId ||= correlation.pick(undefined);
      const error = catalog.builtin('internal', undefined, { correlationId });
      return {
        status: 500,
        headers: { 'content-type': format.contentType, [correlation.responseHeader]: correlationId },
        body: lastResort(format, error),
        error,
      };
    }
  }

  return {
    handle,
    normalize: (thrown) => normalizeError(thrown, catalog),
    catalog,
    format,
    correlationHeader: correlation.responseHeader,
  };
}

const handlers = new WeakMap<ErrorHandlerOptions, ErrorHandler>();

/**
 * An error handler from what an adapter was given: a handler as it is, or options compiled on first use
 * and remembered per options object.
 */
export function toErrorHandler(options: ErrorHandlerOptions | ErrorHandler = {}): ErrorHandler {
  if (typeof (options as ErrorHandler).handle === 'function') return options as ErrorHandler;
  const opts = options as ErrorHandlerOptions;
  let handler = handlers.get(opts);
  if (!handler) {
    handler = createErrorHandler(opts);
    handlers.set(opts, handler);
  }
  return handler;
}

/**
 * Answers anything thrown while serving a request: `{ status, headers, body }` in the configured format.
 * Options are compiled on first use and remembered per options object.
 * @example
 * const { status, headers, body } = handleError(err, { url: req.url, headers: req.headers }, { catalog });
 */
export function handleError(
  thrown: unknown,
  request?: RequestView,
  options: ErrorHandlerOptions = {},
): ErrorResponse {
  return toErrorHandler(options).handle(thrown, request);
}
