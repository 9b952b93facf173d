import { ApiError } from '../catalog/api-error.js';
import type { BuiltinRole } from '../catalog/standard.js';
import { standardErrors } from '../catalog/standard-errors.js';
import type { CatalogEntry } from '../catalog/types.js';

// The standard entries hold no headers and no placeholders: a denial builds its error directly, without
// the catalog's option merging, as an API under attack answers mostly these.
const entries = new Map<BuiltinRole, CatalogEntry>();

/** The error of a built-in role, which the user's catalog renames when the adapter resolves it. */
export function raise(
  role: BuiltinRole,
  details?: unknown,
  headers?: Record<string, string>,
  message?: string,
): ApiError {
  let entry = entries.get(role);
  if (entry === undefined) {
    entry = standardErrors.get(standardErrors.builtins[role])!;
    entries.set(role, entry);
  }
  return new ApiError(
    {
      code: entry.code,
      status: entry.status,
      message: message ?? entry.message,
      details,
      id: entry.id,
      category: entry.category,
      retryable: entry.retryable,
      headers: headers ?? entry.headers,
      type: entry.type,
      role,
    },
    { stack: entry.status >= 500 },
  );
}

/**
 * A prebuilt error of a built-in role with fixed details, for a guard that denies often: each call gives
 * one error per denial, carrying only its own headers (and correlation id), whose other fields are the
 * template's (its prototype). No Error constructor runs per denial: it costs about a microsecond even
 * without a stack, most of a denial under attack.
 */
export function denialOf(role: BuiltinRole, details: unknown): (headers: Record<string, string>) => ApiError {
  const template = raise(role, details);
  return (headers) => {
    const error = Object.create(template) as { headers: Record<string, string>; correlationId: undefined };
    error.headers = headers;
    error.correlationId = undefined;
    return error as unknown as ApiError;
  };
}

/** Whole seconds for `Retry-After` (RFC 9110 delay-seconds): rounded up, never below 1 for a wait. */
export function seconds(ms: number): number {
  return ms <= 0 ? 0 : Math.max(1, Math.ceil(ms / 1000));
}

/** Appends an item to a list header of the admitted response. */
export function addHeader(headers: Map<string, string>, name: string, value: string): void {
  const current = headers.get(name);
  headers.set(name, current === undefined ? value : `${current}, ${value}`);
}

/** A policy name as an RFC 8941 sf-string. */
export function sfString(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}
