import type { ApiError } from '../catalog/api-error.js';
import { read } from './safe-read.js';

/** A pino-style logger: `error(object, message)`; pino, bunyan-compatible loggers and `console` fit. */
export interface ErrorLogger {
  error(record: Record<string, unknown>, message?: string): void;
}

/** A pino-style logger for store outages: `error` for an outage, `info` (when it has one) for a recovery. */
export interface StoreLogger extends ErrorLogger {
  info?(record: Record<string, unknown>, message?: string): void;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  try {
    return value === undefined ? undefined : String(value);
  } catch {
    return undefined;
  }
}

/**
 * Logs one unexpected error as one record: correlation id, the code answered, and the original message
 * and stack (server side only). A logger's own failure is swallowed.
 */
export function logUnexpected(logger: ErrorLogger | undefined, error: ApiError, thrown: unknown): void {
  try {
    const isObject = typeof thrown === 'object' && thrown !== null;
    const record = {
      correlationId: error.correlationId,
      code: error.code,
      status: error.status,
      message: isObject ? text(read(thrown, 'message')) : text(thrown),
      stack: isObject ? text(read(thrown, 'stack')) : undefined,
    };
    const msg = `unexpected error answered ${error.status}`;
    if (logger) logger.error({ ...record, err: thrown }, msg);
    else console.error(JSON.stringify({ level: 'error', msg, ...record }));
  } catch {
    // Logging must never change the answer.
  }
}

/** The record of a store outage: the store's kind and what failed first. */
export interface StoreOutage {
  readonly store: string;
  readonly cause: unknown;
}

/**
 * Logs the start of a store outage, once per outage, with the failure that began it. Without a logger:
 * one JSON line on stderr, like an unexpected error. A logger's own failure is swallowed.
 */
export function logStoreOutage(logger: StoreLogger | undefined, { store, cause }: StoreOutage): void {
  try {
    const isObject = typeof cause === 'object' && cause !== null;
    const record = { store, cause: isObject ? text(read(cause, 'message')) : text(cause) };
    const message = 'store unavailable: guards answer by their failure policy';
    if (logger) logger.error({ ...record, err: cause }, message);
    else console.error(JSON.stringify({ level: 'error', msg: message, ...record }));
  } catch {
    // Logging must never change the answer.
  }
}

/**
 * Logs the end of a store outage: how many decisions failed, and for how long (ms: from the first failure
 * to the first answer after the last one).
 */
export function logStoreRecovery(
  logger: StoreLogger | undefined,
  record: { readonly store: string; readonly failures: number; readonly downMs: number },
): void {
  try {
    const message = 'store recovered';
    if (logger) {
      if (typeof logger.info === 'function') logger.info({ ...record }, message);
      else logger.error({ ...record }, message);
    } else console.error(JSON.stringify({ level: 'info', msg: message, ...record }));
  } catch {
    // Logging must never change the answer.
  }
}
