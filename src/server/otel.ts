import type { ApiError } from '../catalog/api-error.js';

// The little of `@opentelemetry/api` faultline calls, typed here so that faultline neither imports nor
// requires the package: the application passes the API object it already has.

/** A span, as `@opentelemetry/api` gives it. */
export interface OtelSpan {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  recordException(exception: Error | string): unknown;
}

/** A meter, as `@opentelemetry/api` gives it. */
export interface OtelMeter {
  createCounter(
    name: string,
    options?: { description?: string; unit?: string },
  ): { add(value: number, attributes?: Record<string, string | number>): void };
}

/** The parts of `@opentelemetry/api` faultline uses: `import * as api from '@opentelemetry/api'` fits. */
export interface OtelApi {
  readonly trace: { getActiveSpan(): OtelSpan | undefined };
  readonly metrics?: { getMeter(name: string, version?: string): OtelMeter };
  readonly SpanStatusCode?: { readonly ERROR: number };
}

/** OpenTelemetry options: the API object, and optionally the meter to count on. */
export interface OtelOptions {
  /** `import * as api from '@opentelemetry/api'`: the active span is read from it. */
  api: OtelApi;
  /**
   * The meter of the `faultline.errors` counter.
   * @default api.metrics.getMeter('faultline')
   */
  meter?: OtelMeter;
}

/** Records one answered error: on the active span, and in the `faultline.errors` counter. */
export type ErrorRecorder = (error: ApiError, thrown: unknown) => void;

// SpanStatusCode.ERROR of every release of the API.
const statusError = 2;

/**
 * Compiles the OpenTelemetry recorder once. Every answered error sets `error.type` to its code on the
 * active span; a 5xx also sets the span's status to ERROR and records the exception (a 4xx leaves the
 * status unset, as the HTTP semantic conventions ask of servers). The counter `faultline.errors` counts
 * answers by `error.type` and `http.response.status_code`. Telemetry's own failures are swallowed.
 */
export function createRecorder(options: OtelOptions | undefined): ErrorRecorder | undefined {
  if (!options) return undefined;
  const { api } = options;
  const meter = options.meter ?? api.metrics?.getMeter('faultline');
  const counter = meter?.createCounter('faultline.errors', {
    description: 'Errors answered, by code and HTTP status',
    unit: '{error}',
  });
  const errorCode = api.SpanStatusCode?.ERROR ?? statusError;
  return (error, thrown) => {
    try {
      const span = api.trace.getActiveSpan();
      if (span) {
        span.setAttribute('error.type', error.code);
        if (error.status >= 500) {
          span.setStatus({ code: errorCode, message: error.code });
          span.recordException(thrown instanceof Error ? thrown : String(thrown));
        }
      }
    } catch {
      // Telemetry must never change the answer.
    }
    try {
      counter?.add(1, { 'error.type': error.code, 'http.response.status_code': error.status });
    } catch {
      // Telemetry must never change the answer.
    }
  };
}
