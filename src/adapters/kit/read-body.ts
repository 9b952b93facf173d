import type { IncomingMessage } from 'node:http';
import { isApiError } from '../../catalog/api-error.js';
import { FaultlineConfigError } from '../../catalog/config-error.js';
import { RoleError, raise } from '../../catalog/role-error.js';

// The error a request was destroyed with, when it is one to answer (a framing failure's 400).
const answerable = (error: unknown): error is Error => isApiError(error) || error instanceof RoleError;

import type { Guard } from '../../guards/types.js';
import {
  announcesBody,
  type BodyLimits,
  type BodyOptions,
  bodyAborted,
  bodyTooLarge,
  concatBytes,
  parseJsonBytes,
  parseJsonText,
  readTimedOut,
  toBodyLimits,
} from '../../server/body.js';
import { isJsonContentType, refuseContentCoding } from '../../server/content-type.js';
import { type HeadersLike, headerOf, type RequestView } from '../../server/request.js';
import { RawHeaders } from './node-request.js';
import { readAndPutBack } from './put-back.js';

// Marks a request whose body was left unread, so that the answer closes the connection after a linger.
const unread = Symbol.for('faultline.unreadBody');
// Where a reader that consumed the body first (a guard) leaves its bytes for the next.
const bodyBytes = Symbol.for('faultline.bodyBytes');

/** True when faultline stopped reading this request's body: its answer must close the connection. */
export function hasUnreadBody(req: IncomingMessage): boolean {
  return (req as unknown as Record<symbol, unknown>)[unread] === true;
}

/** Marks the body of `req` as left unread. */
export function markUnread(req: IncomingMessage): void {
  (req as unknown as Record<symbol, unknown>)[unread] = true;
}

/**
 * Reads a node request body under the limits: 413 past `limit` and 408 when no byte comes for
 * `readTimeout`, each leaving the rest unread (and the request marked) so that the answer still
 * reaches the client. Bytes an earlier reader kept (`readAndKeepBody`) are the body, held to `limit`
 * again: every reader applies its own limit, whichever read first.
 */
export function readNodeBody(
  req: IncomingMessage,
  limits: Pick<BodyLimits, 'limit' | 'readTimeout'>,
): Promise<Uint8Array> {
  const kept = (req as unknown as Record<symbol, Uint8Array | undefined>)[bodyBytes];
  if (kept) return kept.length > limits.limit ? Promise.reject(bodyTooLarge()) : Promise.resolve(kept);
  // A body already consumed (or a request already gone) would never emit 'end' again.
  if (req.readableEnded) return Promise.resolve(new Uint8Array(0));
  if (req.destroyed) return Promise.reject(answerable(req.errored) ? req.errored : bodyAborted());
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    let done = false;
    const finish = (error: unknown, body?: Uint8Array) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onAbort);
      if (error) {
        // Stop reading but keep the socket: the answer must still reach the client.
        req.pause();
        markUnread(req);
        reject(error);
      } else resolve(body!);
    };
    const onData = (chunk: Uint8Array) => {
      size += chunk.length;
      if (size > limits.limit) finish(bodyTooLarge());
      else {
        chunks.push(chunk);
        // Each chunk restarts the wait for the next; the timer is moved, not made anew.
        timer.refresh();
      }
    };
    const onEnd = () => finish(undefined, concatBytes(chunks, size));
    // A body failed by the framing check carries its own catalog error; anything else is an abort.
    const onAbort = (error?: unknown) => finish(answerable(error) ? error : bodyAborted());
    const timer = setTimeout(() => finish(readTimedOut()), limits.readTimeout);
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onAbort);
    req.once('close', onAbort);
    // A stream paused by someone before (a server wrapper) would never flow to the listener.
    req.resume();
  });
}

/**
 * Reads a body for a reader that runs before the route's (the idempotency fingerprint) and keeps the
 * bytes for it: at most `limits.limit`, a declared length over it refused before any byte is read. The
 * route's reader then finds the bytes and applies its own limit to them, and any other reader (a
 * framework's parser) reads them from the stream, where they are put back unread.
 */
export function readAndKeepBody(
  req: IncomingMessage,
  limits: Pick<BodyLimits, 'limit' | 'readTimeout'>,
): Promise<Uint8Array> {
  const kept = (req as unknown as Record<symbol, Uint8Array | undefined>)[bodyBytes];
  if (kept) return readNodeBody(req, limits);
  if (Number(headerOf(new RawHeaders(req.rawHeaders), 'content-length')) > limits.limit) {
    markUnread(req);
    return Promise.reject(bodyTooLarge());
  }
  if (req.readableEnded) return Promise.resolve(new Uint8Array(0));
  if (req.destroyed) return Promise.reject(answerable(req.errored) ? req.errored : bodyAborted());
  // A stream someone already taps ('data' listeners, a logger's) would get bytes put back a second time:
  // it is read through, as they read it, and no later parser can read it again.
  if (req.listenerCount('data') > 0) return readNodeBody(req, limits).then((bytes) => keepBytes(req, bytes));
  const aborted = (error: unknown) => (answerable(error) ? error : bodyAborted());
  return readAndPutBack(req, limits, markUnread, aborted).then((bytes) => keepBytes(req, bytes));
}

/** Keeps the bytes read of `req`'s body on it, for a later reader to hold to its own limit; returns them. */
export function keepBytes(req: IncomingMessage, bytes: Uint8Array): Uint8Array {
  (req as unknown as Record<symbol, Uint8Array>)[bodyBytes] = bytes;
  return bytes;
}

/**
 * The body an idempotency fingerprint reads where a framework's parser leaves it on the request (Express
 * `req.body`, Koa `ctx.request.body`): the parsed value. A JSON body that no parser has read yet (a guard
 * mounted before the body reader) is read here by faultline's reader, under `limits`, and its bytes put
 * back on the stream unread: a later parser (body-parser, `@koa/bodyparser`) reads them under its own limit
 * and checks, and faultline's reader reads the kept bytes. A stream someone else taps is read through
 * instead, and its value given to `assign`, where a parser finds it set (or the request read) and leaves
 * it. A body of another type
 * is its parser's to read: it is fingerprinted as that parser leaves it, never as no body. One that no
 * parser has read before the guard is refused 415 with `Accept: application/json`, as faultline's reader
 * refuses a type it does not take: the guard cannot tell a parser that will come after it from none, and
 * a client chooses the type it sends, so this is never a 500 or a log line. A JSON body in a content
 * coding is refused (415), as faultline's reader refuses it.
 */
export function parsedOrKeptBody(
  req: IncomingMessage,
  view: RequestView,
  parsed: unknown,
  limits: BodyLimits,
  assign: (value: unknown) => void,
): unknown {
  if (parsed !== undefined || !announcesBody(view)) return parsed;
  const kept = (req as unknown as Record<symbol, Uint8Array | undefined>)[bodyBytes];
  // A stream another reader consumed without leaving a value or bytes cannot be read again.
  if (kept === undefined && req.readableDidRead) {
    throw new FaultlineConfigError(
      'FAULTLINE_BODY_NOT_PARSED',
      'the body was read by a parser that left no value on the request',
    );
  }
  // Read here, a form or raw body would leave its parser (body-parser, koa's) a consumed stream; taken as
  // no body, it would replay one payload's answer to another with the same key.
  if (!isJsonContentType(headerOf(view.headers, 'content-type')))
    throw raise('unsupportedMediaType', undefined, { accept: 'application/json' });
  // Read here, a coded body is refused as the route's reader refuses it; a parser that decodes is after us.
  refuseContentCoding(view.headers);
  return readAndKeepBody(req, limits).then((bytes) => {
    // No bytes (a chunked body of none) is no body, as a `Content-Length: 0` one is: the parser after the
    // guard takes it as it takes that one (body-parser's `{}`), and faultline's reader refuses it.
    if (bytes.length === 0) return undefined;
    const value = parseJsonBytes(bytes, limits.maxDepth);
    // Put back, the bytes are the next parser's to read; read through, no parser can read them again.
    if (req.readableEnded) assign(value);
    return value;
  });
}

/**
 * What a guard that read a body's bytes itself (node, Hono) fingerprints: a JSON body's value, as the
 * route's reader will parse it (key order and spacing aside), and any other body, or JSON that does not
 * parse (the route refuses it), as the bytes or text it came as.
 */
export function valueOfRead(
  read: Uint8Array | string | undefined,
  headers: HeadersLike | undefined,
  maxDepth: number,
): unknown {
  if (read === undefined || !isJsonContentType(headerOf(headers, 'content-type'))) return read;
  try {
    return typeof read === 'string' ? parseJsonText(read, maxDepth) : parseJsonBytes(read, maxDepth);
  } catch {
    return read;
  }
}

/** Options of an adapter's `guard(options, ...guards)`. */
export interface GuardOptions {
  /**
   * The limits of the guard's own read of a body (the idempotency fingerprint, before the route's reader):
   * give the route's, so that a stalled or large body is answered (408, 413) as the route answers it.
   * @default the adapter's defaults: `{ limit: '1mb', maxDepth: 256, readTimeout: 10000 }`
   */
  body?: BodyOptions;
}

/** The arguments of an adapter's `guard`: guards, or options then guards. */
export type GuardArguments = [options: GuardOptions, ...guards: Guard[]] | Guard[];

/** The guards and the options of `guard`'s arguments; only the first may be options (it has no `check`). */
export function guardArguments(args: GuardArguments): { guards: Guard[]; options: GuardOptions } {
  const [first, ...rest] = args;
  if (first !== undefined && typeof (first as Partial<Guard>).check !== 'function')
    return { guards: rest as Guard[], options: first as GuardOptions };
  return { guards: args as Guard[], options: {} };
}

/** The limits of a guard's own body read: its options over `base` (the adapter's defaults). */
export function guardLimits(options: GuardOptions, base?: BodyLimits): BodyLimits {
  return options.body === undefined ? (base ?? toBodyLimits()) : toBodyLimits(options.body, base);
}
