import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { MessageMatch } from '../format/match-message.js';
import type { ApiError, FieldError } from './api-error.js';
import type { MembersOf } from './member-types.js';
import type { MessageTemplate } from './message.js';
import type { BuiltinRole, StandardCode, StandardDefinitions } from './standard.js';
import type { Category } from './status.js';
import type { CloseCodeDefinition, CloseCodeInfo, WsBehaviour } from './ws-types.js';

export type { CheckedMembers, MembersOf } from './member-types.js';
export type { StandardSchemaV1 };

/** One entry of a catalog, as written by its author. */
export interface ErrorDefinition {
  /** The HTTP status (400–599). */
  status: number;
  /** Human-readable text; may interpolate `{field}` from details; may change between releases. */
  message: string;
  /** A stable numeric id, for APIs that publish one. */
  id?: number;
  /** @default derived from `status` (400 VALIDATION, 401 AUTH, 404 NOT_FOUND, 429 RATE_LIMIT, …) */
  category?: Category | (string & {});
  /** The section of the reference page the code is listed in. */
  group?: string;
  /** A short summary of the problem type (RFC 9457 `title`). @default the status reason phrase */
  title?: string;
  description?: string;
  cause?: string;
  fix?: string;
  /** Whether a client may retry. @default true for 408, 429 and 5xx but 501 */
  retryable?: boolean;
  /** The schema of the details the error carries: any Standard Schema (zod, valibot, arktype). */
  details?: StandardSchemaV1;
  /** Response headers sent with this error. */
  headers?: Readonly<Record<string, string>>;
  /**
   * Members the code adds at the top level of its body, each a field of its details: `['room_id']`, or
   * `{ roomId: 'room_id' }` to name a member apart from its field. Every format writes them beside its own
   * members (never over one); the reference page and OpenAPI list them; the client reads them back.
   */
  members?: readonly string[] | Readonly<Record<string, string>>;
  /** Marks a code that is still emitted but should no longer be relied on; a string says what to use. */
  deprecated?: boolean | string;
  /** The version that introduced the code. */
  since?: string;
  /**
   * The internal reasons this one public code stands for, deliberately collapsed so that the API is no
   * existence oracle (an unknown id and a wrong token answer alike). Each occurrence names its reason with
   * `create(code, undefined, { reason })`; the reason reaches `onError` (`error.reason`) and never the wire,
   * and such a code takes no details, field errors or message of its own, so every answer is the same bytes
   * apart from the correlation id.
   */
  collapses?: readonly string[];
  /** How the error behaves on a WebSocket: close code, notify, reconnect advice (see `faultline/ws`). */
  ws?: WsBehaviour;
  /**
   * The mechanisms this code answers for, HTTP or WebSocket (`['rateLimited']`, `['messageMalformed']`):
   * a claim takes the role from the code that had it, and the last entry to claim a role answers for it.
   */
  roles?: readonly BuiltinRole[];
}

/** A catalog's definitions, keyed by code. */
export type Definitions = { readonly [code: string]: ErrorDefinition };

/** A catalog entry with everything derived: code, category, retryable, docs URL, compiled message. */
export interface CatalogEntry<Code extends string = string> {
  readonly code: Code;
  readonly status: number;
  readonly message: string;
  readonly id: number | undefined;
  readonly category: string;
  readonly group: string | undefined;
  readonly title: string;
  readonly description: string | undefined;
  readonly cause: string | undefined;
  readonly fix: string | undefined;
  readonly retryable: boolean;
  readonly details: StandardSchemaV1 | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly deprecated: boolean | string | undefined;
  readonly since: string | undefined;
  /** The internal reasons a collapsed code stands for (server side only), or `undefined`. */
  readonly collapses: readonly string[] | undefined;
  /** The docs URL of the code; also its RFC 9457 `type`. */
  readonly type: string;
  /** The built-in mechanism the code answers for, if any (the first, when it answers for several). */
  readonly role: BuiltinRole | undefined;
  /** Every built-in mechanism the code answers for: several when renames give them one code. */
  readonly roles: readonly BuiltinRole[];
  /** The members the code adds at the top level of its body: member name → details field. */
  readonly members: Readonly<Record<string, string>> | undefined;
  /**
   * What every error of the code carries as details: the fields its schema requires (empty when the schema
   * cannot tell), or `undefined` when its details may be left out. Worked out once, at definition, so that
   * reading an error never runs a schema.
   */
  readonly requiredDetails: readonly string[] | undefined;
  readonly template: MessageTemplate;
  /** The entry's WebSocket block as declared (`wsBehaviourOf` derives the rest). */
  readonly ws: WsBehaviour | undefined;
}

/** One entry of a catalog's JSON form. */
export interface CatalogEntryJSON {
  code: string;
  status: number;
  id?: number;
  category: string;
  group?: string;
  title: string;
  message: string;
  description?: string;
  cause?: string;
  fix?: string;
  retryable: boolean;
  headers?: Record<string, string>;
  deprecated?: boolean | string;
  since?: string;
  type: string;
  /** The built-in mechanism that raises this code, if any (the first, when several do). */
  builtin?: string;
  /** Every built-in mechanism that raises this code, when there are several. */
  builtins?: string[];
  /** The members the code adds at the top level of its body: member name → details field. */
  members?: Record<string, string>;
  ws?: WsBehaviour;
}

/** The JSON form of a catalog. */
export interface CatalogJSON {
  name?: string;
  groups: GroupInfo[];
  entries: CatalogEntryJSON[];
  retired: { codes: string[]; ids: number[] };
  /** Close codes clients may see that no catalog error sends. */
  closeCodes?: CloseCodeInfo[];
}

/** A group of codes, a section of the reference page. */
export interface GroupInfo {
  readonly name: string;
  readonly title: string;
  readonly description: string | undefined;
}

/** What creating an error takes besides its details. */
export interface CreateOptions {
  cause?: unknown;
  /** Headers added to the entry's own (e.g. a computed `Retry-After`). */
  headers?: Readonly<Record<string, string>>;
  fieldErrors?: readonly FieldError[];
  correlationId?: string;
  /** Replaces the catalog message for this occurrence. */
  message?: string;
  /** The internal reason of a collapsed code (one of its `collapses`): logged, never sent. */
  reason?: string;
}

/** The options of a collapsed code: its reason is required, nothing that could change the body is taken. */
export interface CollapsedCreateOptions<Reason extends string> {
  /** Which of the code's internal reasons this occurrence is: reaches `onError`, never the wire. */
  reason: Reason;
  cause?: unknown;
  correlationId?: string;
}

/** The details a code's schema takes, or `undefined` for a code without details. */
export type DetailsOf<D> = D extends { details: infer S extends StandardSchemaV1 }
  ? StandardSchemaV1.InferInput<S>
  : ErrorDefinition extends D
    ? unknown
    : undefined;

/** The arguments after the code: details required exactly when the schema requires them. */
export type CreateArgs<D> = D extends { collapses: readonly (infer Reason extends string)[] }
  ? [details: undefined, options: CollapsedCreateOptions<Reason>]
  : D extends { details: infer S extends StandardSchemaV1 }
    ? undefined extends StandardSchemaV1.InferInput<S>
      ? [details?: StandardSchemaV1.InferInput<S>, options?: CreateOptions]
      : [details: StandardSchemaV1.InferInput<S>, options?: CreateOptions]
    : ErrorDefinition extends D
      ? [details?: unknown, options?: CreateOptions]
      : [details?: undefined, options?: CreateOptions];

/** The error of one code of a catalog, with its typed details (and members, for a code that declares them). */
export type ErrorOf<Defs, Code extends keyof Defs & string> = Defs[Code] extends { members: unknown }
  ? ApiError<Code, DetailsOf<Defs[Code]>, MembersOf<Defs[Code]>>
  : ApiError<Code, DetailsOf<Defs[Code]>>;

/** Any error of a catalog: a union discriminated on `code`. */
export type CatalogError<Defs> = {
  [Code in keyof Defs & string]: ErrorOf<Defs, Code>;
}[keyof Defs & string];

/** A code of a catalog. */
export type CodeOf<C> = C extends Catalog<infer Defs> ? keyof Defs & string : never;

/** Renames of standard codes: `{ VALIDATION_FAILED: 'SCHEMA_VALIDATION_FAILED' }`. */
export type Renames = { readonly [Code in StandardCode]?: string };

type Renamed<S, R, O> = {
  [K in keyof S as K extends O ? never : K extends keyof R ? (R[K] extends string ? R[K] : K) : K]: S[K];
};
type Merged<A, B> = { [K in keyof A | keyof B]: K extends keyof B ? B[K] : K extends keyof A ? A[K] : never };

/** The definitions of a catalog built on the standard one with renames `R`, omitted codes `O` and entries `E`. */
export type CatalogDefinitions<E, R, O extends readonly string[] = []> = Merged<
  Renamed<StandardDefinitions, R, O[number]>,
  E
>;

/** How much of a stack trace catalog errors capture. */
export type StackPolicy = 'always' | 'never' | 'server-errors';

/** Options of `defineErrors`. */
export interface CatalogOptions<R extends Renames = Renames, O extends readonly StandardCode[] = []> {
  /**
   * Renames standard codes; every built-in mechanism then raises the new name. Several codes of one status
   * may take one name (`{ MALFORMED_JSON: 'INVALID_BODY', VALIDATION_FAILED: 'INVALID_BODY' }`): that code
   * then answers for each of their mechanisms.
   */
  rename?: R;
  /**
   * Standard codes the API never sends: the catalog does not hold them, so the reference page, OpenAPI and
   * the count leave them out. The server core's own codes (bad request, validation, malformed JSON, not
   * found, 405, 408, 413, 415, internal) cannot be omitted. A mechanism that raises an omitted role anyway
   * (a guard the API mounts, an http-errors status) is answered with the code of its status's generic role,
   * or, when that is omitted too, with the catalog's bad-request or internal code.
   * @example
   * defineErrors(entries, { omit: ['GONE', 'PAYMENT_REQUIRED'] });
   */
  omit?: O;
  /** The groups entries may name, in the order the reference page lists them. */
  groups?: readonly string[] | Readonly<Record<string, { title?: string; description?: string }>>;
  /**
   * The docs URL of a code, also its RFC 9457 `type`: a template with `{code}` and `{id}`, or a function.
   * @default `urn:problem-type:{code}`
   */
  docsUrl?: string | ((entry: { code: string; id: number | undefined }) => string);
  /** Codes and ids retired from the contract; reusing one fails at definition. */
  retired?: { codes?: readonly string[]; ids?: readonly number[] };
  /**
   * Which catalog errors capture a stack trace. 4xx errors are expected answers whose stack nobody reads.
   * @default 'server-errors'
   */
  stack?: StackPolicy;
  /** The API's name, for generated docs. */
  name?: string;
  /** WebSocket close codes clients may see that no catalog error sends (1000, 1006, a library's own). */
  closeCodes?: Readonly<Record<number, CloseCodeDefinition>>;
}

/** A catalog: the single source of truth for an API's errors. */
export interface Catalog<
  Defs = Definitions,
  Builtins extends Readonly<Record<BuiltinRole, keyof Defs & string>> = Readonly<
    Record<BuiltinRole, keyof Defs & string>
  >,
> {
  /** Entries by code, with everything derived. */
  readonly entries: { readonly [Code in keyof Defs & string]: CatalogEntry<Code> };
  /** Every code, in definition order (standard codes first). */
  readonly codes: readonly (keyof Defs & string)[];
  /** The code that answers for each built-in mechanism (`builtins.validationFailed`: a renamed code's new name). */
  readonly builtins: Builtins;
  readonly groups: readonly GroupInfo[];
  readonly name: string | undefined;
  /** The retired codes and ids, kept so that docs and diffs can show them. */
  readonly retired: { readonly codes: readonly string[]; readonly ids: readonly number[] };
  /** The documented close codes that no catalog error sends, sorted (see `closeCodes` of `defineErrors`). */
  readonly closeCodes: readonly CloseCodeInfo[];
  /**
   * Creates the error of `code`; details are required exactly when its schema requires them.
   * @example
   * throw errors.create('SESSION_NOT_FOUND', { sessionId });
   */
  create<Code extends keyof Defs & string>(code: Code, ...args: CreateArgs<Defs[Code]>): ErrorOf<Defs, Code>;
  /** The error this catalog raises for a built-in mechanism (validation, not found, …). */
  builtin(role: BuiltinRole, details?: unknown, options?: CreateOptions): ApiError;
  /**
   * Narrows a caught value to an error of this catalog, or of one code, with its typed details: false for
   * one without the details its schema requires (a client's, read from a body that carries none).
   */
  is<Code extends keyof Defs & string>(value: unknown, code: Code): value is ErrorOf<Defs, Code>;
  is(value: unknown): value is CatalogError<Defs>;
  /** The entry of a code, or `undefined` for a code the catalog does not hold. */
  get(code: string): CatalogEntry | undefined;
  /** The entry whose message is exactly `message`, for APIs whose errors are messages only. */
  byMessage(message: string): CatalogEntry | undefined;
  /**
   * The entry a message stands for, with the values its placeholders held: an exact message first, then
   * the templates (`Session {id} not found` matches `Session abc not found` with `details.id`).
   */
  match(message: string): MessageMatch | undefined;
  /** The catalog as plain JSON (no schemas, no functions): what `GET /errors` of an API can return. */
  toJSON(): CatalogJSON;
  /** Type-only: the definitions, for `CodeOf` and friends. */
  readonly '~definitions'?: Defs;
}
