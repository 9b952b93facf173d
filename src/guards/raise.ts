import type { ApiError } from '../catalog/api-error.js';
import type { BuiltinRole } from '../catalog/standard.js';
import { standardErrors } from '../catalog/standard-errors.js';

/** The error of a built-in role, which the user's catalog renames when the adapter resolves it. */
export function raise(
  role: BuiltinRole,
  details?: unknown,
  headers?: Record<string, string>,
  message?: string,
): ApiError {
  const options: { headers?: Record<string, string>; message?: string } = {};
  if (headers) options.headers = headers;
  if (message !== undefined) options.message = message;
  return standardErrors.builtin(role, details, options);
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
