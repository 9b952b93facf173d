import type { ApiError } from '../catalog/api-error.js';

/** A pino-style logger: `error(object, message)`; pino, bunyan-compatible loggers and `console` fit. */
export interface ErrorLogger {
  error(record: Record<string, unknown>, message?: string): void;
}

type Bag = Record<string, unknown>;

function read(value: unknown, key: string): unknown {
  try {
    return (value as Bag)[key];
  } catch {
    return undefined;
  }
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
    if (logger) logger.error({ ...record, err: thrown }, 'unexpected error answered 500');
    else console.error(JSON.stringify({ level: 'error', msg: 'unexpected error answered 500', ...record }));
  } catch {
    // Logging must never change the answer.
  }
}
