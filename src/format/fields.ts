import { reasonPhrase } from '../catalog/status.js';
import { eventFields } from './event-fields.js';
import { type FieldDefinition, type invalid, type JsonSchema, row } from './field-definition.js';
import { checkStyle, fieldErrorsSchema, fieldErrorsWriter } from './field-errors.js';
import { correlationHeaders, fieldReaders } from './field-readers.js';
import { quote, quoteCached, safeStringify } from './json.js';
import type { ErrorView } from './types.js';

export {
  type ChangeKind,
  type FieldDefinition,
  type FieldErrorStyle,
  type FieldOptions,
  invalid,
  type JsonSchema,
} from './field-definition.js';

const stringSchema = (): JsonSchema => ({ type: 'string' });
/** A writer of an optional string the view holds under `key`. */
const optionalString =
  <K extends 'correlationId' | 'instance'>(key: K) =>
  () =>
  (view: ErrorView) => {
    const value = view[key];
    return value === undefined ? undefined : quote(value);
  };

/** The stable URI of a code without a docs URL: its RFC 9457 `type`. */
export function defaultType(code: string): string {
  return `urn:problem-type:${encodeURIComponent(code)}`;
}

/**
 * The field table: every field of an error a format can place in a body, in canonical order. The
 * formats' serializers and parsers, OpenAPI, the reference pages, lint, snapshots and the client's parser
 * all read it; a field is added by adding a row (and, for a new value, a property of `ErrorView`).
 * The rows of WebSocket events (`eventId`, `replyTo`, `timestamp`, `echo`, `retryAfter`) come last.
 * @example
 * errorFields.status.always; // true: every format that places `status` writes it
 */
export const errorFields = Object.freeze({
  code: row({
    key: 'code',
    value: (view) => view.code,
    scope: 'code',
    always: true,
    onApiError: true,
    description: 'The stable, machine-readable error code clients branch on.',
    schema: stringSchema,
    writer: () => (view) => quoteCached(view.code),
    reader: fieldReaders.code,
    ofEntry: (entry) => entry.code,
  }),
  message: row({
    key: 'message',
    value: (view) => view.message,
    scope: 'occurrence',
    always: true,
    onApiError: true,
    description: 'Human-readable text; may change between releases and per locale.',
    schema: stringSchema,
    writer: () => (view) => quote(view.message),
    reader: fieldReaders.message,
    ofEntry: (entry) => entry.message,
    change: 'cosmetic',
  }),
  status: row({
    key: 'status',
    value: (view) => view.status,
    scope: 'code',
    always: true,
    onApiError: true,
    description: 'The HTTP status of the response.',
    schema: () => ({ type: 'integer', minimum: 200, maximum: 599 }),
    writer: () => (view) => String(view.status),
    reader: fieldReaders.status,
    ofEntry: (entry) => entry.status,
    change: 'breaking',
  }),
  id: row({
    key: 'id',
    value: (view) => view.id,
    scope: 'code',
    always: false,
    onApiError: true,
    description: 'The stable numeric id of the code, for APIs that publish one.',
    schema: () => ({ type: 'integer', minimum: 0 }),
    writer: () => (view) => (view.id === undefined ? undefined : String(view.id)),
    reader: fieldReaders.id,
    ofEntry: (entry) => entry.id,
    change: 'breaking',
  }),
  category: row({
    key: 'category',
    value: (view) => view.category,
    scope: 'code',
    always: true,
    onApiError: true,
    description: 'The broad kind of error (VALIDATION, AUTH, RATE_LIMIT, …).',
    schema: stringSchema,
    writer: () => (view) => quoteCached(view.category),
    reader: fieldReaders.category,
    ofEntry: (entry) => entry.category,
    change: 'breaking',
  }),
  retryable: row({
    key: 'retryable',
    value: (view) => view.retryable,
    scope: 'code',
    always: true,
    onApiError: true,
    description: 'Whether the same request may succeed if sent again later.',
    schema: () => ({ type: 'boolean' }),
    writer: () => (view) => (view.retryable ? 'true' : 'false'),
    reader: fieldReaders.retryable,
    ofEntry: (entry) => entry.retryable,
    change: 'additive',
  }),
  details: row({
    key: 'details',
    value: (view) => view.details,
    scope: 'occurrence',
    always: false,
    onApiError: true,
    description: 'Structured data of this occurrence, shaped by the code’s details schema.',
    schema: () => ({}),
    writer: () => (view) => safeStringify(view.details),
    reader: fieldReaders.details,
  }),
  errors: row({
    key: 'fieldErrors',
    value: (view) => view.fieldErrors,
    scope: 'occurrence',
    always: false,
    onApiError: true,
    description: 'The fields of the request that failed validation, each with what is wrong with it.',
    schema: (options) => fieldErrorsSchema(options.style ?? 'pointer'),
    writer: (options) => fieldErrorsWriter(options.style ?? 'pointer'),
    reader: fieldReaders.errors,
    check: checkStyle,
  }),
  correlationId: row({
    key: 'correlationId',
    value: (view) => view.correlationId,
    scope: 'occurrence',
    always: false,
    onApiError: true,
    description: 'The id of the failed request, to quote to support and find in the server’s logs.',
    schema: stringSchema,
    writer: optionalString('correlationId'),
    reader: fieldReaders.correlationId,
    headers: correlationHeaders,
  }),
  type: row({
    key: 'type',
    value: (view) => view.type,
    dependsOn: ['code'],
    scope: 'code',
    always: true,
    onApiError: true,
    description: 'The docs URL of the code (RFC 9457 `type`), or a stable URI built from it.',
    schema: () => ({ type: 'string', format: 'uri-reference' }),
    writer: () => (view) => quoteCached(view.type ?? defaultType(view.code)),
    reader: fieldReaders.type,
    ofEntry: (entry) => entry.type,
    change: 'breaking',
  }),
  title: row({
    key: 'title',
    value: (view) => view.title,
    dependsOn: ['status'],
    scope: 'code',
    always: true,
    onApiError: false,
    description: 'A short summary of the problem type (RFC 9457 `title`).',
    schema: stringSchema,
    writer: () => (view) => quoteCached(view.title ?? reasonPhrase(view.status)),
    reader: fieldReaders.title,
    ofEntry: (entry) => entry.title,
    change: 'cosmetic',
  }),
  instance: row({
    key: 'instance',
    value: (view) => view.instance,
    scope: 'occurrence',
    always: false,
    onApiError: false,
    description: 'The occurrence (RFC 9457 `instance`), usually the request path.',
    schema: () => ({ type: 'string', format: 'uri-reference' }),
    writer: optionalString('instance'),
    reader: fieldReaders.instance,
  }),
  // The fields of WebSocket error events: values that travel with the event, not with the error.
  ...eventFields,
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
