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
