import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { RoleError } from '../../catalog/role-error.js';
import { announcesBody, type BodyLimits, bodyAborted, bodyTooLarge, readWebBody } from '../../server/body.js';
import { headerOf } from '../../server/request.js';
import { RawHeaders } from '../kit/node-request.js';
import { markUnread, readNodeBody } from '../kit/read-body.js';
import { incomingOf } from './request.js';

type RawBodyIncoming = IncomingMessage & { rawBody?: unknown };
type BodyCache = Record<string, Promise<unknown> | undefined>;

/**
 * Under `@hono/node-server`, reads the body from node's request as the other adapters do (413 and 408,
 * lingering close) instead of through a Web stream, and leaves the bytes as `incoming.rawBody`, which
 * the server's `Request` serves to any later reader (`c.req.raw.arrayBuffer()`, `.body`). Bytes an
 * earlier reader left there are held to `limits` too: every reader applies its own limit.
 */
export function readIncoming(incoming: RawBodyIncoming, limits: BodyLimits): Promise<Uint8Array> {
  const kept = incoming.rawBody;
  if (kept instanceof Uint8Array)
    return kept.length > limits.limit ? Promise.reject(bodyTooLarge()) : Promise.resolve(kept);
  // No async layer of its own: each costs a promise and a turn of the microtask queue per request.
  return readNodeBody(incoming, limits).then((bytes) => {
    incoming.rawBody = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return bytes;
  });
}

/**
 * A Web request body read under `limits`. A stream that fails midway (its client went away, an upstream
 * reset) is the aborted request node's reader answers, not the server's fault.
 */
export async function readStream(body: ReadableStream<Uint8Array>, limits: BodyLimits): Promise<Uint8Array> {
  try {
    return await readWebBody(body, limits);
  } catch (error) {
    throw error instanceof RoleError ? error : bodyAborted();
  }
}

/**
 * The body of a request under `@hono/node-server`: from node's request, unless a Web reader before this
 * one (`hono/body-limit`) drained it through `c.req.raw` and left its bytes in the `Request` it put there
 * instead; those are read, under `limits`, and cached where the next reader finds them.
 */
export function readNodeRequest(
  c: Context,
  incoming: RawBodyIncoming,
  limits: BodyLimits,
): Promise<Uint8Array> {
  // `c.req.raw.body` is asked only then: asking builds the Web stream, which starts draining node's request.
  if (incoming.rawBody instanceof Uint8Array || !incoming.readableDidRead)
    return readIncoming(incoming, limits);
  const body = c.req.raw.body;
  if (body === null) return readIncoming(incoming, limits);
  return readStream(body, limits).then((bytes) => {
    (c.req.bodyCache as BodyCache).arrayBuffer = Promise.resolve(copyOf(bytes));
    return bytes;
  });
}

/** The bytes as an ArrayBuffer of their own, as Hono's body cache holds them. */
export function copyOf(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/**
 * The bytes that a reader before this one left in Hono's body cache (a guard, or the app's own
 * `c.req.text()`, `json()`, `blob()`: any cached form converts), held to `limits`: the reader that answers
 * applies its own limit, whatever read the bytes first. Undefined when nothing read the body yet. A read
 * that failed (the client went away mid-body) is the aborted request, as `readStream` answers it.
 */
export function cachedBytes(c: Context, limits: BodyLimits): Promise<Uint8Array> | undefined {
  const cache = c.req.bodyCache as BodyCache;
  let cached = cache.arrayBuffer;
  if (cached === undefined) {
    for (const key in cache) {
      if (cache[key] !== undefined) {
        cached = c.req.arrayBuffer();
        break;
      }
    }
  }
  return cached?.then(
    (buffer) => {
      const bytes = new Uint8Array(buffer as ArrayBuffer);
      if (bytes.length > limits.limit) throw bodyTooLarge();
      return bytes;
    },
    (error: unknown) => {
      throw error instanceof RoleError ? error : bodyAborted();
    },
  );
}

/**
 * The payload for an idempotency fingerprint, read at most up to `limits` (the adapter's body limits):
 * a declared length over it is refused at once and a streamed body at the first byte past it, so a guard
 * never buffers more than the adapter allows. What a faultline reader or the app already read is taken
 * from Hono's cache; bytes read here are cached where the route's reader finds them and applies its own
 * (smaller) limit.
 */
export async function fingerprintBody(c: Context, limits: BodyLimits): Promise<unknown> {
  const cache = c.req.bodyCache as BodyCache;
  // `json()` ran first: its checked text, read under the route's limit.
  if (cache.text) return cache.text;
  // Read by the app through Hono: any cached form converts to bytes.
  const cached = cachedBytes(c, limits);
  if (cached !== undefined) return cached;
  const incoming = incomingOf(c);
  if (incoming) {
    const headers = new RawHeaders(incoming.rawHeaders);
    if (!announcesBody({ headers })) return undefined;
    if (Number(headerOf(headers, 'content-length')) > limits.limit) {
      markUnread(incoming);
      throw bodyTooLarge();
    }
    return readNodeRequest(c, incoming, limits);
  }
  const body = c.req.raw.body;
  if (body === null) return undefined;
  if (Number(c.req.raw.headers.get('content-length')) > limits.limit) {
    body.cancel().catch(() => {});
    throw bodyTooLarge();
  }
  const bytes = await readStream(body, limits);
  cache.arrayBuffer = Promise.resolve(copyOf(bytes));
  return bytes;
}
