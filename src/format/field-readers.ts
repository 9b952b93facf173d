import type { FieldError } from '../catalog/api-error.js';
import { type FieldErrorStyle, type FieldOptions, invalid } from './field-definition.js';
import { dotPathToPointer } from './json.js';

/**
 * The reading half of the field table: how each field of a body is read back, and what a catalog entry
 * gives it. A client imports this, never the writers, schemas and prose of `errorFields`, which reads its
 * readers from here: one definition of how a field reads.
 */

type Reader<V> = (value: unknown) => V | typeof invalid;

const string: Reader<string> = (value) => (typeof value === 'string' ? value : invalid);
const number: Reader<number> = (value) =>
  typeof value === 'number' && Number.isFinite(value) ? value : invalid;

/** Whether a value is a JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A path given as segments (`['items', 0]`), or undefined when a segment is not a name or an index. */
function dotPathOf(segments: unknown[]): string | undefined {
  // `join` would stringify a nested array by recursing into it, as deep as a hostile body nests it.
  return segments.every((s) => typeof s === 'string' || typeof s === 'number')
    ? segments.join('.')
    : undefined;
}

/** Field errors of a body member in one style, or `invalid` when the member is not in that style. */
export function readFieldErrors(value: unknown, style: FieldErrorStyle): FieldError[] | typeof invalid {
  const map = style === 'map';
  if (map ? !isRecord(value) : !Array.isArray(value)) return invalid;
  const errors: FieldError[] = [];
  for (const item of map ? Object.entries(value as object) : (value as unknown[])) {
    // A map's message may be a list of messages: its first is read.
    let [path, detail]: unknown[] = map
      ? (item as [string, unknown])
      : isRecord(item)
        ? style === 'pointer'
          ? [item.pointer ?? '', item.detail]
          : [Array.isArray(item.path) ? dotPathOf(item.path) : item.path, item.message]
        : [];
    if (map && Array.isArray(detail)) detail = detail[0];
    if (typeof path !== 'string' || typeof detail !== 'string') return invalid;
    errors.push({ pointer: style === 'pointer' ? path : dotPathToPointer(path), detail });
  }
  return errors;
}

// RFC 9457 §3.1.1: a problem type is a URI reference, relative or absolute, in the web's schemes, `urn:`,
// `tag:` (RFC 4151) or `about:blank`. Any other scheme, or a control character (a browser drops tabs and
// newlines, and would read `java\tscript:`), is refused.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what is refused
const unsafeType = /[\u0000-\u001f\u007f]|^\s*(?!(?:https?|urn|tag|about):)[a-z][a-z\d+.-]*:/i;

/** Compilers of the reader of each field, by field name (a reader returns `invalid` for a wrong type). */
export const fieldReaders = {
  code: () => string,
  message: () => string,
  status: () => (value: unknown) => {
    const status = typeof value === 'string' && /^\d{3}$/.test(value) ? Number(value) : value;
    return typeof status === 'number' && Number.isInteger(status) ? status : invalid;
  },
  id: () => (value: unknown) => {
    const id = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
    return typeof id === 'number' && Number.isSafeInteger(id) ? id : invalid;
  },
  category: () => string,
  retryable: () => (value: unknown) => (typeof value === 'boolean' ? value : invalid),
  details: () => (value: unknown) => value,
  errors: (options: FieldOptions) => (value: unknown) => readFieldErrors(value, options.style ?? 'pointer'),
  // Some APIs number their requests.
  correlationId: () => (value: unknown) =>
    typeof value === 'string' ? value : typeof value === 'number' ? String(value) : invalid,
  // A problem type is a link a client may render: one in a scheme no problem type uses (`javascript:`,
  // `data:`) is read as absent, the rest of the answer kept.
  type: () => (value: unknown) =>
    typeof value !== 'string' ? invalid : unsafeType.test(value) ? undefined : value,
  title: () => string,
  instance: () => string,
} as const;

/** Compilers of the readers of the fields of WebSocket error events. */
export const eventFieldReaders = {
  eventId: () => string,
  replyTo: () => (value: unknown) =>
    typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)) ? value : invalid,
  // Read back as epoch milliseconds, whatever the unit on the wire.
  timestamp: (options: FieldOptions): Reader<number> => {
    const unit = options.unit ?? 'iso';
    if (unit === 'iso')
      return (value) => {
        const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
        return Number.isNaN(ms) ? invalid : ms;
      };
    const scale = unit === 's' ? 1000 : 1;
    return (value) => {
      const n = number(value);
      return n === invalid ? invalid : n * scale;
    };
  },
  echo: () => (value: unknown) => value,
  // Read back in seconds, as `ApiError.retryAfter` holds it. A wait the client cannot use (negative, a
  // string, an object) is advice dropped, never the error it came with: the event is still an error.
  retryAfter: (options: FieldOptions): Reader<number | undefined> => {
    const scale = options.unit === 'ms' ? 1 / 1000 : 1;
    return (value) => {
      const n = number(value);
      return n === invalid || n < 0 ? undefined : n * scale;
    };
  },
} as const;

/** Compiles the reader of a field of a declaration, from one of the tables above. */
export type ReaderTable = Readonly<Record<string, (options: FieldOptions) => (value: unknown) => unknown>>;

/** The property of a `ParsedError` (and of an `ErrorView`) each field reads into, where it differs from its name. */
export const fieldKeys: Readonly<Record<string, string>> = {
  errors: 'fieldErrors',
};

/** The fields of an `ApiError` that a catalog entry gives when a body leaves them out. */
export const entryFields = ['code', 'message', 'status', 'id', 'category', 'retryable', 'type'] as const;

/** The fields of an `ApiError` that only a body (or a header) gives. */
export const bodyFields = ['details', 'fieldErrors', 'correlationId', 'retryAfter'] as const;

/** Response headers that may carry the correlation id, tried in order when the body has none. */
export const correlationHeaders: readonly string[] = ['x-request-id', 'x-correlation-id', 'request-id'];
