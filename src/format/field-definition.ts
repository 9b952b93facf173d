import type { CatalogEntry } from '../catalog/types.js';
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
  /** For `timestamp`: ISO 8601 text or epoch milliseconds/seconds; for `retryAfter`: seconds or milliseconds. */
  readonly unit?: 'iso' | 'ms' | 's';
  /** For `echo`: the dotted path of the value copied from the client's event, e.g. `metadata`. */
  readonly path?: string;
}

/** What a reader returns for a value of the wrong type: the body then does not fit the format. */
export const invalid: unique symbol = Symbol('invalid');

/** How a change of a field's per-code value reads to a client that branches on it. */
export type ChangeKind = 'breaking' | 'additive' | 'cosmetic';

/** One row of the field table: everything faultline knows about one field of an error. */
export interface FieldDefinition<Key extends string = string, Value = unknown> {
  /** The property holding the value on a `ParsedError` and (but for `echo`, which copies from `event`) on an `ErrorView`. */
  readonly key: Key;
  /** `code`: fixed per catalog code (the serializer computes its JSON once per code); `occurrence`: per error. */
  readonly scope: 'code' | 'occurrence';
  /** The field's value on a view (the property `key`, read by name: faster than a keyed load on a hot path). */
  value(view: ErrorView): unknown;
  /** Other fields the written value derives from when the view has none (`title` from `status`). */
  readonly dependsOn?: readonly string[];
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

/** Declares one row of the field table (frozen, with its literal key). */
export function row<const Key extends string, Value>(
  definition: FieldDefinition<Key, Value>,
): FieldDefinition<Key, Value> {
  return Object.freeze(definition);
}
