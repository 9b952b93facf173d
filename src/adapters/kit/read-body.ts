import type { IncomingMessage } from 'node:http';
import { isApiError } from '../../catalog/api-error.js';
import { FaultlineConfigError } from '../../catalog/config-error.js';
import { RoleError } from '../../catalog/role-error.js';

// The error a request was destroyed with, when it is one to answer (a framing failure's 400).
const answerable = (error: unknown): error is Error => isApiError(error) || error instanceof RoleError;

import { type BodyLimits, bodyAborted, bodyTooLarge, concatBytes, readTimedOut } from '../../server/body.js';
import { headerOf } from '../../server/request.js';
import { RawHeaders } from './node-request.js';

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
    let timer: ReturnType<typeof setTimeout> | undefined;
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
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(readTimedOut()), limits.readTimeout);
    };
    const onData = (chunk: Uint8Array) => {
      size += chunk.length;
      if (size > limits.limit) finish(bodyTooLarge());
      else {
        chunks.push(chunk);
        arm();
      }
    };
    const onEnd = () => finish(undefined, concatBytes(chunks, size));
    // A body failed by the framing check carries its own catalog error; anything else is an abort.
    const onAbort = (error?: unknown) => finish(answerable(error) ? error : bodyAborted());
    arm();
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
 * route's reader then finds the bytes and applies its own limit to them.
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
  return readNodeBody(req, limits).then((bytes) => {
    (req as unknown as Record<symbol, Uint8Array>)[bodyBytes] = bytes;
    return bytes;
  });
}

/**
 * The body an idempotency fingerprint reads where a framework's parser leaves it on the request (Express
 * `req.body`, Koa `ctx.request.body`): the parsed value; or, when the request announces a body that no
 * parser has read (a guard mounted before the body reader), its bytes, read under `limits` and kept for the
 * route's reader. Never "no body" for a body not read yet: that fingerprint would replay one request's
 * answer to another with the same key and a different body.
 */
export function parsedOrKeptBody(
  req: IncomingMessage,
  announced: boolean,
  parsed: unknown,
  limits: Pick<BodyLimits, 'limit' | 'readTimeout'>,
): unknown {
  if (parsed !== undefined || !announced) return parsed;
  const kept = (req as unknown as Record<symbol, Uint8Array | undefined>)[bodyBytes];
  // A stream another reader consumed without leaving a value or bytes cannot be read again.
  if (kept === undefined && req.readableDidRead) {
    throw new FaultlineConfigError(
      'FAULTLINE_BODY_NOT_PARSED',
      'the body was read by a parser that left no value on the request',
    );
  }
  return readAndKeepBody(req, limits);
}
