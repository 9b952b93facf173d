import { standardErrors } from '../catalog/standard-errors.js';
import type { Catalog } from '../catalog/types.js';
import { problemJson } from '../format/problem-json.js';
import type { ErrorFormat } from '../format/types.js';
import {
  answer,
  compileCore,
  type ErrorHandlerOptions,
  type ErrorResponse,
  type HandlerCore,
  type Reporter,
  reporterOf,
} from './handle-error.js';
import { createRecorder, type ErrorRecorder, type OtelApi, type OtelOptions } from './otel.js';
import type { RequestView } from './request.js';

// `handleError(err, req, { catalog })` builds a fresh options object on every call, so a cache keyed by
// that object would compile a handler per call (about twenty times the cost of answering). The compiled
// part is kept per catalog and format instead, and per the values of the options it is made of; the
// hooks (`onError`, `logger`, `otel`) are read on every call, so each call's own hooks are the ones run.
const cores = new WeakMap<Catalog<any>, WeakMap<ErrorFormat, Map<string, HandlerCore>>>();
// Options compared by identity (a `generate` or `instance` function, a `locales` object) written inline
// miss every time: the cache of one catalog and format is bounded, and starts over when full.
const maxCores = 64;

const ids = new WeakMap<object, number>();
let nextId = 0;

// One option value as part of a key: primitives and lists of them by value, objects and functions by identity.
function part(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    if (Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object')) {
      return `[${value.map(part).join(',')}]`;
    }
  } else if (typeof value !== 'function') {
    return typeof value === 'string' ? JSON.stringify(value) : String(value);
  }
  let id = ids.get(value as object);
  if (id === undefined) {
    id = ++nextId;
    ids.set(value as object, id);
  }
  return `#${id}`;
}

function keyOf(options: ErrorHandlerOptions<any>): string {
  const c = options.correlation;
  // The common inline form, `{ catalog }` or `{ catalog, format }`, skips building a key.
  if (c === undefined && options.locales === undefined && options.instance === undefined) return '';
  return [
    part(c?.header),
    part(c?.responseHeader),
    part(c?.trustInbound),
    part(c?.from),
    part(c?.generate),
    part(options.locales),
    part(options.instance),
  ].join('\u0000');
}

function coreOf(options: ErrorHandlerOptions<any>): HandlerCore {
  const catalog = options.catalog ?? standardErrors;
  const format = options.format ?? problemJson;
  let byFormat = cores.get(catalog);
  if (!byFormat) {
    byFormat = new WeakMap();
    cores.set(catalog, byFormat);
  }
  let byKey = byFormat.get(format);
  if (!byKey) {
    byKey = new Map();
    byFormat.set(format, byKey);
  }
  const key = keyOf(options);
  let core = byKey.get(key);
  if (!core) {
    core = compileCore(options);
    if (byKey.size >= maxCores) byKey.clear();
    byKey.set(key, core);
  }
  return core;
}

// The recorder of `otel` is kept per API and meter: `{ otel: { api } }` written inline still makes one counter.
const recorders = new WeakMap<OtelApi, Map<object | undefined, ErrorRecorder | undefined>>();

function recorderOf(otel: OtelOptions | undefined): ErrorRecorder | undefined {
  if (!otel) return undefined;
  let byMeter = recorders.get(otel.api);
  if (!byMeter) {
    byMeter = new Map();
    recorders.set(otel.api, byMeter);
  }
  if (!byMeter.has(otel.meter)) byMeter.set(otel.meter, createRecorder(otel));
  return byMeter.get(otel.meter);
}

/**
 * Answers anything thrown while serving a request: `{ status, headers, body }` in the configured format.
 * Options written inline cost what a compiled handler costs: what they compile to is kept per catalog and
 * format (and per the values of `correlation`, and the identity of `locales` and an `instance` function),
 * while `onError`, `logger` and `otel` are those of each call.
 * @example
 * const { status, headers, body } = handleError(err, { url: req.url, headers: req.headers }, { catalog });
 */
export function handleError(
  thrown: unknown,
  request?: RequestView,
  options: ErrorHandlerOptions = {},
): ErrorResponse {
  const core = coreOf(options);
  const hooked = options.onError !== undefined || options.logger !== undefined || options.otel !== undefined;
  return answer(
    core,
    hooked ? reporterOf(options, core.catalog, recorderOf(options.otel)) : plainReporter(core),
    thrown,
    request,
  );
}

// The reporter of a call without hooks (the default log of unexpected errors only), kept per core.
const plainReporters = new WeakMap<HandlerCore, Reporter>();

function plainReporter(core: HandlerCore): Reporter {
  let report = plainReporters.get(core);
  if (!report) {
    report = reporterOf({}, core.catalog, undefined);
    plainReporters.set(core, report);
  }
  return report;
}
