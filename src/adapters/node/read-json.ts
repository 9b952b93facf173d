import type { IncomingMessage } from 'node:http';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { standardErrors } from '../../catalog/standard-errors.js';
import { assertJsonBody } from '../../server/content-type.js';
import { validate } from '../../server/validate.js';
import { parseSize } from './size.js';

/** Options of `readJson`. */
export interface ReadJsonOptions<S extends StandardSchemaV1 | undefined = undefined> {
  /**
   * The largest body accepted: bytes, or a size such as `'64kb'`.
   * @default '1mb'
   */
  limit?: number | string;
  /**
   * The deepest nesting accepted. JSON.parse survives any depth but JSON.stringify, loggers and
   * recursive validators overflow the stack past a few thousand levels.
   * @default 256
   */
  maxDepth?: number;
  /** A Standard Schema the body must match; its output is returned. */
  schema?: S;
}

const defaultLimit = 1024 * 1024;
const decoder = new TextDecoder('utf-8', { fatal: true });

// Marks a request whose body was left unread, so that the answer closes the connection.
const unread = Symbol.for('faultline.unreadBody');

/** True when faultline stopped reading this request's body: its answer must close the connection. */
export function hasUnreadBody(req: IncomingMessage): boolean {
  return (req as unknown as Record<symbol, unknown>)[unread] === true;
}

function markUnread(req: IncomingMessage): void {
  (req as unknown as Record<symbol, unknown>)[unread] = true;
}

function depthExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 91 || c === 123) {
      if (++depth > maxDepth) return true;
    } else if (c === 93 || c === 125) {
      depth--;
    }
  }
  return false;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  // A body already consumed (or a request already gone) would never emit 'end' again.
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  if (req.destroyed)
    return Promise.reject(
      standardErrors.builtin('badRequest', undefined, { message: 'The request was aborted.' }),
    );
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error: unknown, body?: Buffer) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onAbort);
      if (error) reject(error);
      else resolve(body!);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop reading but keep the socket: the 413 must still reach the client.
        req.pause();
        markUnread(req);
        finish(standardErrors.builtin('bodyTooLarge'));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish(undefined, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    const onAbort = () =>
      finish(standardErrors.builtin('badRequest', undefined, { message: 'The request was aborted.' }));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onAbort);
    req.once('close', onAbort);
  });
}

/**
 * Raises the catalog's 413 when the declared `Content-Length` exceeds `limit`, before any byte of the
 * body is read, and marks the request so that the answer closes the connection.
 */
export function assertDeclaredLength(req: IncomingMessage, limit: number): void {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    markUnread(req);
    throw standardErrors.builtin('bodyTooLarge');
  }
}

/**
 * Reads a JSON request body with a size limit, raising the catalog's built-in errors: 413 at once when
 * `Content-Length` is over the limit and while streaming otherwise, 415 for a body that is not UTF-8 JSON
 * (with `Accept` saying what is), and the malformed-JSON code for bad JSON. With `schema`, the body is
 * validated and the schema's output returned.
 * @example
 * const body = await readJson(req, { limit: '64kb', schema: z.object({ email: z.string() }) });
 */
export async function readJson<S extends StandardSchemaV1 | undefined = undefined>(
  req: IncomingMessage,
  options: ReadJsonOptions<S> = {},
): Promise<S extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<S> : unknown> {
  const limit = options.limit === undefined ? defaultLimit : parseSize(options.limit);
  assertDeclaredLength(req, limit);
  try {
    assertJsonBody(req.headers);
  } catch (error) {
    markUnread(req);
    throw error;
  }
  const buffer = await readBody(req, limit);
  let text: string;
  try {
    text = decoder.decode(buffer);
  } catch {
    throw standardErrors.builtin('malformedJson');
  }
  if (text.trim() === '' || depthExceeds(text, options.maxDepth ?? 256))
    throw standardErrors.builtin('malformedJson');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw standardErrors.builtin('malformedJson', undefined, { cause: error });
  }
  if (options.schema === undefined) return value as never;
  return (await validate(options.schema, value)) as never;
}
