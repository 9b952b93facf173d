import { isStatusName } from '../../catalog/status.js';
import { read, safely } from '../kit/safe.js';
import { issuesOfMessages, NestValidationError } from './validation.js';

/** Calls a method of a thrown value, which is foreign code: any failure reads as `undefined`. */
function call(value: unknown, key: string): unknown {
  const method = read(value, key);
  if (typeof method !== 'function') return undefined;
  try {
    return (method as () => unknown).call(value);
  } catch {
    return undefined;
  }
}

/** An `HttpException` of any copy of `@nestjs/common`: its status and response, read by duck typing. */
export function isHttpException(thrown: unknown): boolean {
  return (
    thrown instanceof Error &&
    typeof read(thrown, 'getStatus') === 'function' &&
    typeof read(thrown, 'getResponse') === 'function'
  );
}

/**
 * True for the error of a framework under Nest that its adapter wrapped in an `HttpException`: a
 * body-parser error (`type`), a Fastify one (`FST_*`) or Express's undecodable path parameter. faultline's Express and Fastify adapters
 * translate those themselves (malformed JSON, body too large, unsupported media type).
 */
function isFrameworkError(cause: unknown): boolean {
  if (typeof cause !== 'object' || cause === null) return false;
  const type = read(cause, 'type');
  const code = read(cause, 'code');
  if (typeof type === 'string' && type.includes('.')) return true;
  if (typeof code === 'string' && code.startsWith('FST_')) return true;
  // Express's router failing to decode a path parameter (`%zz`).
  return cause instanceof URIError && read(cause, 'status') === 400;
}

/** An http-errors-style value that the core's `normalize` answers by its status, with no role named here. */
class NestHttpError extends Error {
  readonly status: number;
  readonly expose: boolean;
  constructor(status: number, message: string | undefined, cause: unknown) {
    super(message ?? '', { cause });
    this.name = 'NestHttpError';
    this.status = status;
    this.expose = message !== undefined && status < 500;
  }
}

/** The message a 4xx `HttpException` was given, when it is not Nest's default (the status text). */
function exposedMessage(exception: unknown, status: number): string | undefined {
  if (status >= 500) return undefined;
  const response = call(exception, 'getResponse');
  const message = typeof response === 'string' ? response : read(response, 'message');
  if (typeof message !== 'string' || message === '' || message.length > 1000) return undefined;
  return isStatusName(status, message) ? undefined : message;
}

/**
 * The message of Nest's own 404 for a path no route takes: `Cannot GET /path`. Never throws: a thrown
 * value that cannot be asked (a revoked Proxy fails even `instanceof`) is no such 404.
 */
export function isUnmatchedRoute(thrown: unknown, method: unknown, urls: readonly unknown[]): boolean {
  try {
    if (!isHttpException(thrown) || call(thrown, 'getStatus') !== 404) return false;
  } catch {
    return false;
  }
  const message = read(thrown, 'message');
  return urls.some((url) => typeof url === 'string' && message === `Cannot ${method} ${url}`);
}

function translateThrown(thrown: unknown): unknown {
  if (!isHttpException(thrown)) return thrown;
  const cause = read(thrown, 'cause');
  if (isFrameworkError(cause)) return cause;
  const status = call(thrown, 'getStatus');
  if (typeof status !== 'number') return thrown;
  if (status === 400) {
    const issues = issuesOfMessages(read(call(thrown, 'getResponse'), 'message'));
    if (issues) return new NestValidationError(issues, thrown);
  }
  // A 5xx keeps no message, so the core answers the exception itself by its `status`: `onError` and the
  // log then get the controller's exception, its message and stack, not a wrapper of it.
  if (status >= 500 && read(thrown, 'status') === status) return thrown;
  return new NestHttpError(status, exposedMessage(thrown, status), thrown);
}

/**
 * Translates Nest's `HttpException` family into what the core answers by status: the catalog's code
 * for that status (`NotFoundException` → the not-found code), the exception's own message kept on a
 * 4xx and dropped on a 5xx, and a `ValidationPipe` 400 (`message: string[]`) as field errors. A
 * framework error Nest's adapter wrapped is unwrapped for faultline's Express or Fastify adapter.
 * Anything else is returned untouched. Never throws (see `safely`).
 */
export const translate = safely(translateThrown);
