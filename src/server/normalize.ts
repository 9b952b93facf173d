import { type ApiError, type FieldError, isApiError } from '../catalog/api-error.js';
import { FaultlineConfigError } from '../catalog/config-error.js';
import { RoleError, roleError } from '../catalog/role-error.js';
import { roleHeaders, roleOfStatus, standardDefinitions } from '../catalog/standard.js';
import { isErrorStatus, isStatusName } from '../catalog/status.js';
import { toApiError } from '../catalog/to-api-error.js';
import type { Catalog, CatalogEntry } from '../catalog/types.js';
import { toPointer } from '../format/json.js';
import { fromRole } from './from-role.js';
import { isSendableHeader } from './render.js';
import { read } from './safe-read.js';

/** At most this many field errors are answered; a huge invalid array must not become a huge error body. */
export const maxFieldErrors = 100;

function issuesOf(thrown: unknown): readonly unknown[] | undefined {
  const issues = read(thrown, 'issues');
  if (Array.isArray(issues)) return issues;
  const ark = read(thrown, 'arkErrors');
  if (Array.isArray(ark)) return ark;
  return undefined;
}

/** Field errors from Standard Schema issues (zod, valibot, arktype), or `undefined` if these are not issues. */
export function fieldErrorsOf(issues: readonly unknown[]): FieldError[] | undefined {
  if (issues.length === 0) return undefined;
  const errors: FieldError[] = [];
  for (const issue of issues.slice(0, maxFieldErrors)) {
    const message = read(issue, 'message');
    if (typeof message !== 'string') return undefined;
    const path = read(issue, 'path');
    errors.push({ pointer: Array.isArray(path) ? toPointer(path) : '', detail: message });
  }
  return errors;
}

function headersOf(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const headers: Record<string, string> = {};
  let keys: string[];
  try {
    keys = Object.keys(value);
  } catch {
    return undefined;
  }
  for (const key of keys) {
    const v = read(value, key);
    const text = typeof v === 'number' ? String(v) : v;
    if (isSendableHeader(key, text)) headers[key.toLowerCase()] = text;
  }
  return headers;
}

// The headers an error status's protocol gives meaning (RFC 9110: `Allow` of a 405, the challenge of a 401,
// what a 415 or 426 accepts), kept on any error; caching, framing and a server's own are not among them.
const protocolHeaders: ReadonlySet<string> = new Set([
  'allow',
  'www-authenticate',
  'proxy-authenticate',
  'accept',
  'accept-encoding',
  'accept-patch',
  'accept-post',
  'retry-after',
  'upgrade',
  'sec-websocket-version',
]);

// Per entry, the headers its answers are documented with: its roles' (`RateLimit`), its own, the protocol's.
const documented = new WeakMap<CatalogEntry, ReadonlySet<string>>();

function documentedHeaders(entry: CatalogEntry | undefined): ReadonlySet<string> {
  if (entry === undefined) return protocolHeaders;
  let names = documented.get(entry);
  if (names === undefined) {
    const all = [
      ...entry.roles.flatMap((role) => Object.keys(roleHeaders[role] ?? {})),
      ...Object.keys(entry.headers),
    ];
    names = new Set([...protocolHeaders, ...all.map((name) => name.toLowerCase())]);
    documented.set(entry, names);
  }
  return names;
}

/**
 * The headers a received error (read by faultline's client from another API's response, which carries
 * that response's headers) keeps when this API answers it as `entry`: those the entry documents, never the
 * upstream's caching, server or internal ones. Another error's headers are its own.
 */
function headersToAnswer(error: ApiError, entry: CatalogEntry | undefined): Readonly<Record<string, string>> {
  if (error.rawBody === undefined) return error.headers;
  const keep = documentedHeaders(entry);
  const headers: Record<string, string> = {};
  for (const name in error.headers) {
    if (keep.has(name.toLowerCase())) headers[name] = error.headers[name]!;
  }
  return headers;
}

/**
 * A received error answered by this API under its own code: its documented headers only, and without the
 * upstream's request id, which names that request, not this one. Defined, not assigned: a frozen error's
 * read-only members would refuse an assignment on an object over it.
 */
function asAnswered(received: ApiError, entry: CatalogEntry): ApiError {
  return Object.create(received, {
    headers: { value: headersToAnswer(received, entry), enumerable: true, writable: true },
    correlationId: { value: undefined, enumerable: true, writable: true },
  }) as ApiError;
}

function statusOf(thrown: unknown): number | undefined {
  if (read(thrown, 'isBoom') === true) {
    const status = read(read(thrown, 'output'), 'statusCode');
    return isErrorStatus(status) ? status : undefined;
  }
  const status = read(thrown, 'status') ?? read(thrown, 'statusCode');
  return isErrorStatus(status) ? status : undefined;
}

/**
 * True when an answered 5xx comes from something the API did not raise on purpose, to be logged: a thrown
 * value that is no catalog error, an error of another catalog that stands for no role, or a mechanism's
 * descriptor the catalog could not answer (a guard naming a code the catalog does not hold).
 */
export function isUnexpected(thrown: unknown, error: ApiError, catalog: Catalog<any>): boolean {
  if (thrown instanceof RoleError) return error.cause instanceof FaultlineConfigError;
  if (isApiError(thrown)) return thrown.role === undefined && catalog.get(thrown.code) === undefined;
  return true;
}

// An ApiError of another catalog that stands for a role: its facts, under the role, with its message only
// when it was not the standard text of its code (someone chose it).
function asRoleError(error: ApiError, catalog: Catalog<any>): RoleError {
  const standard = (standardDefinitions as Record<string, { message: string } | undefined>)[error.code];
  return roleError(error.role!, {
    details: error.details,
    headers: headersToAnswer(error, catalog.get(catalog.builtins[error.role!])),
    fieldErrors: error.fieldErrors,
    message: standard !== undefined && standard.message === error.message ? undefined : error.message,
    cause: error,
  });
}

/**
 * Turns anything thrown into an ApiError of the catalog. Catalog errors (an ApiError whose code the
 * catalog does not know is answered as the internal error), schema failures and http-errors/Boom-style
 * errors (a status, maybe headers) keep their meaning; a framework's own errors are translated by its
 * adapter first; everything else becomes the internal error, whose message is the catalog's generic one:
 * the original never reaches the wire. A bare `SyntaxError` is the internal error too: only a failure of
 * a request-body parser (faultline's reader, or a framework's parser whose error says so) is the
 * client's fault, and a server's own `JSON.parse` of a token or a stored value is not.
 */
export function normalizeError(thrown: unknown, catalog: Catalog<any>): ApiError {
  try {
    if (thrown instanceof RoleError) {
      try {
        return fromRole(catalog, thrown);
      } catch (failure) {
        return catalog.builtin('internalError', undefined, { cause: failure });
      }
    }
    if (isApiError(thrown)) {
      const entry = catalog.get(thrown.code);
      if (entry !== undefined && (thrown.role === undefined || entry.type === thrown.type))
        return thrown.rawBody === undefined ? thrown : asAnswered(thrown, entry);
      // Another catalog's error of a mechanism (the standard one's) is answered by the code that claims
      // its role here, with this catalog's text and docs URL.
      if (thrown.role !== undefined) return fromRole(catalog, asRoleError(thrown, catalog));
      // An error of another catalog is not this API's contract: a generic 500, never its own text.
      return catalog.builtin('internalError', undefined, { cause: thrown });
    }
    const issues = issuesOf(thrown);
    const fieldErrors = issues && fieldErrorsOf(issues);
    if (fieldErrors) return catalog.builtin('validationFailed', undefined, { fieldErrors, cause: thrown });
    const status = statusOf(thrown);
    if (status !== undefined) return fromHttpError(thrown, status, catalog);
  } catch {
    // Falls through: an error that cannot even be inspected is an internal error.
  }
  return catalog.builtin('internalError', undefined, { cause: thrown });
}

function fromHttpError(thrown: unknown, status: number, catalog: Catalog<any>): ApiError {
  const role = roleOfStatus[status];
  const isBoom = read(thrown, 'isBoom') === true;
  const headers = headersOf(isBoom ? read(read(thrown, 'output'), 'headers') : read(thrown, 'headers'));
  // A 4xx message is meant for the client when its library says so (http-errors `expose`, Boom 4xx), and
  // when it is more than the status's name, which the library writes when given none (`ctx.throw(401)`):
  // the catalog's own message says more.
  const exposed = status < 500 && (isBoom || read(thrown, 'expose') === true);
  const text = exposed ? read(thrown, 'message') : undefined;
  const message = typeof text === 'string' && text !== '' && !isStatusName(status, text) ? text : undefined;
  const options = { cause: thrown, headers, message };
  if (role !== undefined && catalog.entries[catalog.builtins[role]]!.status === status) {
    return catalog.builtin(role, undefined, options);
  }
  // A status the catalog has no code for keeps its status, under the generic code of its class.
  const generic = catalog.entries[catalog.builtins[status >= 500 ? 'internalError' : 'badRequest']]!;
  return toApiError(generic, undefined, { status, message, headers, cause: thrown, stack: false });
}
