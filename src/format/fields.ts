import type { FieldError } from '../catalog/api-error.js';
import { FaultlineConfigError } from '../catalog/config-error.js';
import { reasonPhrase } from '../catalog/status.js';
import type { CatalogEntry } from '../catalog/types.js';
import { dotPathToPointer, pointerToDotPath, quote, quoteCached, safeStringify } from './json.js';
import type { ErrorView } from './types.js';

/** A JSON Schema, as OpenAPI 3.1 embeds it. */
export type JsonSchema = Record<string, unknown>;

/** How field errors are written: RFC 9457 `[{pointer, detail}]`, `[{path, message}]` with dotted paths, or `{ path: message }`. */
export type FieldErrorStyle = 'pointer' | 'path' | 'map';

/** What a reference to a field may say besides the field's name. */
export interface FieldOptions {
  /** What to write when the error has no value for the field. @default 'omit' */
  readonly missing?: 'omit' | 'null';
  /** For `errors`: how field errors are written. @default 'pointer' */
  readonly style?: FieldErrorStyle;
}

/** What a reader returns for a value of the wrong type: the body then does not fit the format. */
export const invalid: unique symbol = Symbol('invalid');

/** How a change of a field's per-code value reads to a client that branches on it. */
export type ChangeKind = 'breaking' | 'additive' | 'cosmetic';

/** One row of the field table: everything faultline knows about one field of an error. */
export interface FieldDefinition<Key extends string = string, Value = unknown> {
  /** The property holding the value on an `ErrorView` and on a `ParsedError`. */
  readonly key: Key;
  /** `code`: fixed per catalog code (the serializer computes its JSON once per code); `occurrence`: per error. */
  readonly scope: 'code' | 'occurrence';
  /** Every error has a value: a format that places the field always writes it, and OpenAPI requires it. */
  readonly always: boolean;
  /** Whether an `ApiError` holds the field under `key` (RFC 9457 `title` and `instance` are wire-only). */
  readonly onApiError: boolean;
  /** What the field means, for reference pages. */
  readonly description: string;
  /** JSON Schema of the value as written. */
  schema(options: FieldOptions): JsonSchema;
  /** Compiles the writer: the value's JSON for an error, or `undefined` when the error has none. */
  writer(options: FieldOptions): (view: ErrorView) => string | undefined;
  /** Compiles the reader of a body member: its value, or `invalid` when it has the wrong type. */
  reader(options: FieldOptions): (value: unknown) => Value | typeof invalid;
  /** Rejects options the field does not take; throws `FAULTLINE_INVALID_FORMAT` naming `path`. */
  check?(options: FieldOptions, path: string): void;
  /** The value a catalog entry gives the field: examples, and what a parsed body leaves out. */
  ofEntry?(entry: CatalogEntry): Value | undefined;
  /** How a snapshot diff classes a change of the entry's value; fields without it are not recorded. */
  readonly change?: ChangeKind;
  /** Response headers that may carry the value too, tried in order when the body has none. */
  readonly headers?: readonly string[];
}

function row<const Key extends string, Value>(
  definition: FieldDefinition<Key, Value>,
): FieldDefinition<Key, Value> {
  return Object.freeze(definition);
}

const string = (value: unknown): string | typeof invalid => (typeof value === 'string' ? value : invalid);
const stringSchema = (): JsonSchema => ({ type: 'string' });
/** A writer of an optional string the view holds under `key`. */
const optionalString =
  <K extends 'correlationId' | 'instance'>(key: K) =>
  () =>
  (view: ErrorView) => {
    const value = view[key];
    return value === undefined ? undefined : quote(value);
  };

function readFieldErrors(value: unknown, style: FieldErrorStyle): FieldError[] | typeof invalid {
  const isRecord = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  const errors: FieldError[] = [];
  if (style === 'map') {
    if (!isRecord(value)) return invalid;
    for (const [path, message] of Object.entries(value)) {
      const detail = Array.isArray(message) ? message[0] : message;
      if (typeof detail !== 'string') return invalid;
      errors.push({ pointer: dotPathToPointer(path), detail });
    }
    return errors;
  }
  if (!Array.isArray(value)) return invalid;
  for (const item of value) {
    if (!isRecord(item)) return invalid;
    if (style === 'pointer') {
      const pointer = item.pointer ?? '';
      if (typeof pointer !== 'string' || typeof item.detail !== 'string') return invalid;
      errors.push({ pointer, detail: item.detail });
    } else {
      const path = Array.isArray(item.path) ? item.path.join('.') : item.path;
      if (typeof path !== 'string' || typeof item.message !== 'string') return invalid;
      errors.push({ pointer: dotPathToPointer(path), detail: item.message });
    }
  }
  return errors;
}

function fieldErrorsWriter(style: FieldErrorStyle): (view: ErrorView) => string | undefined {
  const item =
    style === 'pointer'
      ? (e: FieldError) => `{"pointer":${quote(e.pointer)},"detail":${quote(e.detail)}}`
      : style === 'path'
        ? (e: FieldError) => `{"path":${quote(pointerToDotPath(e.pointer))},"message":${quote(e.detail)}}`
        : (e: FieldError) => `${quote(pointerToDotPath(e.pointer))}:${quote(e.detail)}`;
  const open = style === 'map' ? '{' : '[';
  const close = style === 'map' ? '}' : ']';
  return (view) => {
    const errors = view.fieldErrors;
    if (errors === undefined || errors.length === 0) return undefined;
    let json = open + item(errors[0]!);
    for (let i = 1; i < errors.length; i++) json += `,${item(errors[i]!)}`;
    return json + close;
  };
}

function fieldErrorsSchema(style: FieldErrorStyle): JsonSchema {
  if (style === 'map') return { type: 'object', additionalProperties: { type: 'string' } };
  const [where, what] = style === 'path' ? ['path', 'message'] : ['pointer', 'detail'];
  return {
    type: 'array',
    items: {
      type: 'object',
      properties: { [where]: { type: 'string' }, [what]: { type: 'string' } },
      required: [where, what],
    },
  };
}

const styles: readonly FieldErrorStyle[] = ['pointer', 'path', 'map'];

/** The stable URI of a code without a docs URL: its RFC 9457 `type`. */
export function defaultType(code: string): string {
  return `urn:problem-type:${encodeURIComponent(code)}`;
}

/**
 * The field table: every field of an error a format can place in a body, in canonical order. The
 * formats' serializers and parsers, OpenAPI, the reference pages, lint, snapshots and the client's parser
 * all read it; a field is added by adding a row (and, for a new value, a property of `ErrorView`).
 * @example
 * errorFields.status.always; // true: every format that places `status` writes it
 */
export const errorFields = Object.freeze({
  code: row({
    key: 'code',
    scope: 'code',
    always: true,
    onApiError: true,
    description: 'The stable, machine-readable error code clients branch on.',
    schema: stringSchema,
    writer: () => (view) => quoteCached(view.code),
    reader: () => string,
    ofEntry: (entry) => entry.code,
  }),
  message: row({
    key: 'message',
    scope: 'occurrence',
    always: true,
    onApiError: true,
    description: 'Human-readable text; may change between releases and per locale.',
    schema: stringSchema,
    writer: () => (view) => quote(view.message),
    reader: () => string,
    ofEntry: (entry) => entry.message,
    change: 'cosmetic',
  }),
  status: row({
    key: 'status',
    scope: 'code',
    always: true,
    onApiError: true,
    description: 'The HTTP status of the response.',
    schema: () => ({ type: 'integer', minimum: 200, maximum: 599 }),
    writer: () => (view) => String(view.status),
    reader: () => (value) => {
      const status = typeof value === 'string' && /^\d{3}$/.test(value) ? Number(value) : value;
      return typeof status === 'number' && Number.isInteger(status) ? status : invalid;
    },
    ofEntry: (entry) => entry.status,
    change: 'breaking',
  }),
  id: row({
    key: 'id',
    scope: 'code',
    always: false,
    onApiError: true,
    description: 'The stable numeric id of the code, for APIs that publish one.',
    schema: () => ({ type: 'integer', minimum: 0 }),
    writer: () => (view) => (view.id === undefined ? undefined : String(view.id)),
    reader: () => (value) => {
      const id = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
      return typeof id === 'number' && Number.isSafeInteger(id) ? id : invalid;
    },
    ofEntry: (entry) => entry.id,
    change: 'breaking',
  }),
  category: row({
    key: 'category',
    scope: 'code',
    always: true,
    onApiError: true,
    description: 'The broad kind of error (VALIDATION, AUTH, RATE_LIMIT, …).',
    schema: stringSchema,
    writer: () => (view) => quoteCached(view.category),
    reader: () => string,
    ofEntry: (entry) => entry.category,
    change: 'breaking',
  }),
  retryable: row({
    key: 'retryable',
    scope: 'code',
    always: true,
    onApiError: true,
    description: 'Whether the same request may succeed if sent again later.',
    schema: () => ({ type: 'boolean' }),
    writer: () => (view) => (view.retryable ? 'true' : 'false'),
    reader: () => (value) => (typeof value === 'boolean' ? value : invalid),
    ofEntry: (entry) => entry.retryable,
    change: 'additive',
  }),
  details: row({
    key: 'details',
    scope: 'occurrence',
    always: false,
    onApiError: true,
    description: 'Structured data of this occurrence, shaped by the code’s details schema.',
    schema: () => ({}),
    writer: () => (view) => safeStringify(view.details),
    reader: () => (value: unknown) => value,
  }),
  errors: row({
    key: 'fieldErrors',
    scope: 'occurrence',
    always: false,
    onApiError: true,
    description: 'The fields of the request that failed validation, each with what is wrong with it.',
    schema: (options) => fieldErrorsSchema(options.style ?? 'pointer'),
    writer: (options) => fieldErrorsWriter(options.style ?? 'pointer'),
    reader: (options) => (value) => readFieldErrors(value, options.style ?? 'pointer'),
    check(options, path) {
      if (options.style !== undefined && !styles.includes(options.style))
        throw new FaultlineConfigError(
          'FAULTLINE_INVALID_FORMAT',
          `${path}: unknown style ${String(options.style)}`,
        );
    },
  }),
  correlationId: row({
    key: 'correlationId',
    scope: 'occurrence',
    always: false,
    onApiError: true,
    description: 'The id of the failed request, to quote to support and find in the server’s logs.',
    schema: stringSchema,
    writer: optionalString('correlationId'),
    // Some APIs number their requests.
    reader: () => (value) =>
      typeof value === 'string' ? value : typeof value === 'number' ? String(value) : invalid,
    headers: ['x-request-id', 'x-correlation-id', 'request-id'],
  }),
  type: row({
    key: 'type',
    scope: 'code',
    always: true,
    onApiError: true,
    description: 'The docs URL of the code (RFC 9457 `type`), or a stable URI built from it.',
    schema: () => ({ type: 'string', format: 'uri-reference' }),
    writer: () => (view) => quoteCached(view.type ?? defaultType(view.code)),
    reader: () => string,
    ofEntry: (entry) => entry.type,
    change: 'breaking',
  }),
  title: row({
    key: 'title',
    scope: 'code',
    always: true,
    onApiError: false,
    description: 'A short summary of the problem type (RFC 9457 `title`).',
    schema: stringSchema,
    writer: () => (view) => quoteCached(view.title ?? reasonPhrase(view.status)),
    reader: () => string,
    ofEntry: (entry) => entry.title,
    change: 'cosmetic',
  }),
  instance: row({
    key: 'instance',
    scope: 'occurrence',
    always: false,
    onApiError: false,
    description: 'The occurrence (RFC 9457 `instance`), usually the request path.',
    schema: () => ({ type: 'string', format: 'uri-reference' }),
    writer: optionalString('instance'),
    reader: () => string,
  }),
});

/** The fields of an error that a format can place in its body. */
export type ErrorField = keyof typeof errorFields;

type Rows = typeof errorFields;
type ValueOf<F extends ErrorField> = Exclude<ReturnType<ReturnType<Rows[F]['reader']>>, typeof invalid>;

/** What a format reads back from a body: the fields it found, under their `ErrorView` names. */
export type ParsedError = { -readonly [F in ErrorField as Rows[F]['key']]?: ValueOf<F> };

/** The rows of the field table, in canonical order. */
export const fieldList: readonly (FieldDefinition & { readonly name: ErrorField })[] = Object.freeze(
  (Object.keys(errorFields) as ErrorField[]).map((name) =>
    Object.freeze({ ...(errorFields[name] as FieldDefinition), name }),
  ),
);

/** The view properties of the fields fixed per code: a compiled body is reused while they are unchanged. */
export const perCodeKeys: readonly string[] = Object.freeze(
  fieldList.filter((f) => f.scope === 'code').map((f) => f.key),
);
