import { FaultlineConfigError } from '../catalog/config-error.js';
import type { Awaitable } from '../stores/types.js';
import { toMs } from './duration.js';
import type { Duration, GuardContext, GuardRequest, PerRequest } from './types.js';

/** The value of a per-request option for one request: the option itself, or its function's answer. */
export function valueFor<T>(option: PerRequest<T>, request: GuardRequest): Awaitable<T> {
  return typeof option === 'function' ? (option as (request: GuardRequest) => Awaitable<T>)(request) : option;
}

// A value given per request is the application's answer, not the caller's: one that is not a limit is a
// configuration error, answered as the catalog's 500 and logged, never an admission.
function invalid(what: string, value: unknown, takes: string): FaultlineConfigError {
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 64)) : String(value);
  return new FaultlineConfigError('FAULTLINE_INVALID_OPTION', `${what} gave ${shown}; it takes ${takes}`);
}

/** A limit given per request: a positive safe integer, else the configuration error. */
export function countOf(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  throw invalid(what, value, 'a whole number above 0');
}

/** A duration given per request, in ms: positive and finite, else the configuration error. */
export function durationOf(value: unknown, what: string): number {
  if (typeof value === 'number' || typeof value === 'string') {
    try {
      return toMs(value as Duration, what);
    } catch {
      // Reported below, as the configuration error of a value given per request.
    }
  }
  throw invalid(what, value, "ms above 0 or a duration such as '1m'");
}

/**
 * Spends only on success: gives back what an admission took when its response fails (status 400 and
 * above). Without a status (the connection closed before the answer, a WebSocket message) the handler
 * may have run, so the spend stays: a caller cannot dodge a cooldown by hanging up.
 */
export function refundOnFailure(context: GuardContext, refund: () => void): void {
  context.onFinish((status) => {
    if (status !== undefined && status >= 400) refund();
  });
}

/** Runs a refund whose failure only costs the caller one unit: never a throw or an unhandled rejection. */
export function quietly(run: () => unknown): void {
  try {
    const result = run();
    if (result instanceof Promise) result.catch(() => undefined);
  } catch {
    // A failed refund only costs the caller one unit.
  }
}
