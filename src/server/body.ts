import { parse as parsePoisonSafe } from 'secure-json-parse';
import { FaultlineConfigError } from '../catalog/config-error.js';
import { raise, roleError } from '../catalog/role-error.js';
import { defaultMaxDepth, nestsDeeperThan } from '../format/json-depth.js';
import { isJsonContentType, refuseContentCoding } from './content-type.js';
import { headerOf, type RequestView } from './request.js';
import { parseSize } from './size.js';

/** Limits of a JSON request body, the same on every adapter. */
export interface BodyOptions {
  /**
   * The largest body accepted: bytes, or a size such as `'64kb'` (1024-based). Over it: 413, at once
   * when `Content-Length` says so, while reading otherwise.
   * @default '1mb'
   */
  limit?: number | string;
  /**
   * The deepest nesting of arrays and objects accepted. `JSON.parse` survives any depth, but
   * `JSON.stringify`, loggers and recursive validators overflow the stack past a few thousand levels.
   * @default 256
   */
  maxDepth?: number;
  /**
   * The longest wait, in milliseconds, for the next bytes of a body that has started: past it the
   * request is answered 408 with the catalog's timeout code and the connection is closed.
   * @default 10000
   */
  readTimeout?: number;
}

/** Body limits with every default applied. */
export interface BodyLimits {
  readonly limit: number;
  readonly maxDepth: number;
  readonly readTimeout: number;
}

const defaults: BodyLimits = { limit: 1024 * 1024, maxDepth: defaultMaxDepth, readTimeout: 10_000 };

// Node's timers take at most 2^31 − 1 ms; a longer wait would fire at once.
const maxTimer = 2_147_483_647;

function positive(
  name: string,
  value: number | undefined,
  fallback: number,
  unit: string,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0 || value > max) {
    throw new FaultlineConfigError(
      'FAULTLINE_INVALID_OPTION',
      `body option ${name} is ${JSON.stringify(value) ?? String(value)}; it takes a whole number of ${unit} from 1 to ${max} (default ${fallback})`,
    );
  }
  return value;
}

/** Applies the defaults to body options and checks them once. */
export function toBodyLimits(options: BodyOptions = {}, base: BodyLimits = defaults): BodyLimits {
  return {
    limit: options.limit === undefined ? base.limit : parseSize(options.limit),
    maxDepth: positive('maxDepth', options.maxDepth, base.maxDepth, 'levels', 100_000),
    readTimeout: positive('readTimeout', options.readTimeout, base.readTimeout, 'milliseconds', maxTimer),
  };
}

/** True when the request announces a body (`Content-Length` above 0, or `Transfer-Encoding`). */
export function announcesBody(request: RequestView): boolean {
  const length = headerOf(request.headers, 'content-length');
  return (
    headerOf(request.headers, 'transfer-encoding') !== undefined || (length !== undefined && length !== '0')
  );
}

/**
 * Checks what can be refused before reading a JSON body: a declared `Content-Length` over the limit
 * (413), a body that is not UTF-8 JSON (415 with `Accept`), including a charset other than UTF-8, and one
 * sent in a content coding (415 with `Accept-Encoding: identity`). Returns whether there is a body to
 * read: a request with neither a body nor a `Content-Type` has none (its body is `undefined`, for the
 * schema to judge); a JSON type with an empty body is read, and is malformed. A type that is not JSON is
 * refused even without a body, as Fastify's router refuses it, so that every adapter answers alike.
 */
export function checkJsonRequest(
  request: RequestView,
  limits: BodyLimits,
  hasBody = announcesBody(request),
): boolean {
  const type = headerOf(request.headers, 'content-type');
  if (!hasBody && type === undefined) return false;
  const declared = Number(headerOf(request.headers, 'content-length'));
  if (declared > limits.limit) throw raise('bodyTooLarge');
  refuseContentCoding(request.headers);
  if (!isJsonContentType(type)) {
    throw raise('unsupportedMediaType', undefined, { accept: 'application/json' });
  }
  return true;
}

/** The built-in error of a body that stalled past `readTimeout`. */
export function readTimedOut(): Error {
  return raise('requestTimeout');
}

/** The built-in error of a body over the limit. */
export function bodyTooLarge(): Error {
  return raise('bodyTooLarge');
}

/** The built-in error of a client that went away mid-body. */
export function bodyAborted(): Error {
  return roleError('badRequest', { specific: 'The request was aborted.' });
}

// Strict: a byte sequence that is not UTF-8 is malformed JSON, never U+FFFD in the data. A leading BOM
// is ignored, as RFC 8259 allows.
const decoder = new TextDecoder('utf-8', { fatal: true });

/** A parsed JSON body and its text. */
export interface JsonBody {
  readonly text: string;
  readonly value: unknown;
}

/**
 * What a JSON reader does with a prototype-poisoning key, as Fastify's `onProtoPoisoning` and
 * `onConstructorPoisoning`: `'error'` refuses the body, `'remove'` deletes the key, `'ignore'` keeps it.
 */
export type PoisoningAction = 'error' | 'remove' | 'ignore';

/** The actions on a `__proto__` key and on a `constructor` key holding a `prototype`. */
export interface Poisoning {
  readonly protoAction: PoisoningAction;
  readonly constructorAction: PoisoningAction;
}

/** Fastify's default: a body with either key is refused. */
export const refusePoisoning: Poisoning = Object.freeze({ protoAction: 'error', constructorAction: 'error' });

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Decodes and parses the bytes of a JSON body: strict UTF-8, nesting up to `maxDepth`, and an empty
 * body is malformed. A `__proto__` key, or a `constructor` key holding a `prototype`, is refused by
 * default: `JSON.parse` keeps it as an own key, which a later merge or `Object.assign` turns into a
 * polluted prototype. Any failure is the catalog's malformed-JSON error.
 */
export function decodeJson(
  bytes: Uint8Array,
  maxDepth: number,
  poisoning: Poisoning = refusePoisoning,
): JsonBody {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw raise('malformedJson');
  }
  return { text, value: parseJsonText(text, maxDepth, poisoning) };
}

/**
 * The value of a JSON text already decoded (a WebSocket text frame, whose UTF-8 `ws` has checked): nesting
 * up to `maxDepth`, the poisoning keys as `poisoning` says, blank text malformed (see `decodeJson`).
 */
export function parseJsonText(
  text: string,
  maxDepth: number,
  poisoning: Poisoning = refusePoisoning,
): unknown {
  // Text that opens more brackets than `maxDepth` is refused before it is parsed, valid JSON or not: its
  // message says so, rather than that it is malformed.
  if (nestsDeeperThan(text, maxDepth)) throw roleError('malformedJson', { specific: tooDeep(maxDepth) });
  try {
    // An empty or blank text does not parse either: it is malformed like any other. A text that spells
    // neither key, even with escapes, is read by JSON.parse alone: the poisoning scan costs two more passes
    // over it. A BOM left in the text (a second one, after the decoder took the first) is malformed, as
    // JSON.parse and so every framework's own parser hold it: secure-json-parse would strip it.
    if (text.charCodeAt(0) === 0xfeff) throw new SyntaxError('A byte order mark is not JSON');
    if (mayHoldPoison(text)) return parsePoisonSafe(text, null, poisoning);
    return JSON.parse(text);
  } catch (error) {
    // The parser throws a SyntaxError for both; a text that JSON itself accepts was refused for its keys.
    throw roleError('malformedJson', { specific: isJson(text) ? forbiddenKey : undefined, cause: error });
  }
}

// A JSON key spells a letter only as itself or as a `\u` escape: every spelling of `__proto__`, and of the
// `prototype` a poisoning `constructor` key must hold, has `proto` or `\u` in it.
function mayHoldPoison(text: string): boolean {
  return text.includes('\\u') || text.includes('proto');
}

const forbiddenKey = 'The request body contains a forbidden key (__proto__, or constructor.prototype).';
const tooDeep = (maxDepth: number) =>
  `The request body nests arrays and objects more than ${maxDepth} levels deep.`;

/** The value of a JSON body's bytes (see `decodeJson`). */
export function parseJsonBytes(
  bytes: Uint8Array,
  maxDepth: number,
  poisoning: Poisoning = refusePoisoning,
): unknown {
  return decodeJson(bytes, maxDepth, poisoning).value;
}

/** Joins chunks into one byte array. */
export function concatBytes(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/**
 * Reads a Web `ReadableStream` body under the limits (413 past `limit`, 408 when it stalls), for
 * runtimes without node's sockets. On refusal the stream is cancelled, or with `cancel` off only
 * released, for a server that discards the rest itself.
 */
export async function readWebBody(
  stream: ReadableStream<Uint8Array>,
  limits: BodyLimits,
  cancel = true,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stall: (error: unknown) => void = () => {};
  const stalled = new Promise<never>((_, reject) => {
    stall = reject;
  });
  stalled.catch(() => {});
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => stall(readTimedOut()), limits.readTimeout);
  };
  arm();
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), stalled]);
      if (done) return concatBytes(chunks, size);
      size += value.length;
      if (size > limits.limit) throw bodyTooLarge();
      chunks.push(value);
      arm();
    }
  } catch (error) {
    if (cancel) reader.cancel().catch(() => {});
    else reader.releaseLock();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
