import { RoleError, raise } from '../catalog/role-error.js';
import type { BuiltinRole } from '../catalog/standard.js';

export { raise };

/**
 * A prebuilt descriptor of a role with fixed details, for a guard that denies often: each call gives one
 * descriptor per denial carrying only its own headers; the handler answers every denial of one template
 * from one prebuilt error of its catalog. `code` names the catalog code that answers instead of the role's.
 */
export function denialOf(
  role: BuiltinRole,
  details: unknown,
  code?: string,
): (headers: Record<string, string>) => RoleError {
  const template = new RoleError(role, { details, code });
  return (headers) => template.withHeaders(headers);
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

/** Adds a limit's `RateLimit-Policy` and `RateLimit` items to the admitted response's fields. */
export function addRateFields(headers: Map<string, string>, policy: string, rate: string): void {
  // The first guard of a request meets no fields: nothing to look up or join.
  if (headers.size === 0) {
    headers.set('ratelimit-policy', policy);
    headers.set('ratelimit', rate);
    return;
  }
  addHeader(headers, 'ratelimit-policy', policy);
  addHeader(headers, 'ratelimit', rate);
}

/** A policy name as an RFC 8941 sf-string. */
export function sfString(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}
