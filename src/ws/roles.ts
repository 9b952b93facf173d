import { ApiError } from '../catalog/api-error.js';
import { defineErrors } from '../catalog/define-errors.js';
import { RoleError } from '../catalog/role-error.js';
import type { BuiltinRole } from '../catalog/standard.js';
import type { Catalog, CatalogEntry, CreateOptions } from '../catalog/types.js';
import { wsDefinitions } from '../catalog/ws-standard.js';
import type { WsRole } from '../catalog/ws-types.js';
import type { ErrorHandler } from '../server/handle-error.js';

// The WebSocket codes for a catalog that does not hold them: the layer still answers with a stable code.
let fallback: Catalog<any> | undefined;
const codesOf = new WeakMap<Catalog<any>, Partial<Record<WsRole, string>>>();

function roleCodes(catalog: Catalog<any>): Partial<Record<WsRole, string>> {
  let codes = codesOf.get(catalog);
  if (codes) return codes;
  codes = {};
  for (const code of catalog.codes) {
    const entry = catalog.entries[code] as CatalogEntry;
    // The last entry that claims a role answers for it: a catalog's own entry overrides a spread built-in.
    for (const role of entry.ws?.roles ?? []) codes[role] = code;
  }
  codesOf.set(catalog, codes);
  return codes;
}

// Mechanisms answered with an event have an HTTP twin every catalog holds: a catalog without WebSocket codes
// answers with it, so that every code a client sees is in its catalog and on its page.
const httpTwin: Partial<Record<WsRole, BuiltinRole>> = {
  messageMalformed: 'malformedJson',
  messageTypeUnknown: 'badRequest',
  messageTypeNotAllowed: 'badRequest',
  messageTooLarge: 'bodyTooLarge',
  messageUnsupported: 'unsupportedMediaType',
  messageRateLimited: 'rateLimited',
  connectionLimit: 'concurrencyLimited',
};

/**
 * The code a catalog answers a WebSocket mechanism with: its own entry for the role, else the HTTP built-in of
 * the same meaning, else the built-in WebSocket code (closes: idle, duration, shutdown, slow reader).
 */
export function wsRoleCode(catalog: Catalog<any>, role: WsRole): { catalog: Catalog<any>; code: string } {
  const code = roleCodes(catalog)[role];
  if (code !== undefined) return { catalog, code };
  const twin = httpTwin[role];
  const twinCode = twin === undefined ? undefined : catalog.builtins[twin];
  if (twinCode !== undefined && catalog.get(twinCode)) return { catalog, code: twinCode };
  fallback ??= defineErrors({ ...wsDefinitions });
  return { catalog: fallback, code: roleCodes(fallback)[role]! };
}

/**
 * A mechanism gives one value (`{ type }`); an entry whose message names it otherwise (`Event type not allowed:
 * {eventType}`) gets it under that one placeholder's name.
 */
function detailsFor(entry: CatalogEntry | undefined, details: unknown): unknown {
  if (entry === undefined || typeof details !== 'object' || details === null) return details;
  const placeholders = entry.template.placeholders;
  const keys = Object.keys(details);
  if (placeholders.length !== 1 || keys.length !== 1 || placeholders[0] === keys[0]) return details;
  if (placeholders[0]!.includes('.')) return details;
  return { [placeholders[0]!]: (details as Record<string, unknown>)[keys[0]!] };
}

/** The error a catalog raises for a WebSocket mechanism. */
export function wsRoleError(
  catalog: Catalog<any>,
  role: WsRole,
  details?: unknown,
  options?: CreateOptions,
): ApiError {
  const { catalog: owner, code } = wsRoleCode(catalog, role);
  return (owner.create as (code: string, details?: unknown, options?: CreateOptions) => ApiError)(
    code,
    detailsFor(owner.get(code), details),
    options,
  );
}

/** The entry of an error's code in the catalog, or in the built-in WebSocket codes. */
export function entryOf(catalog: Catalog<any>, code: string): CatalogEntry | undefined {
  if (catalog.get(code)) return catalog.get(code);
  fallback ??= defineErrors({ ...wsDefinitions });
  return fallback.get(code);
}

/**
 * The catalog error for anything thrown on a connection: a catalog error keeps its identity (a role is
 * resolved to the catalog's code) and gets the connection's correlation id; anything else goes through
 * `handle()`, which normalizes it, gives an unexpected failure its own correlation id and logs it once.
 */
export function catalogError(
  catalog: Catalog<any>,
  handler: ErrorHandler,
  thrown: unknown,
  correlationId: string,
  url: string | undefined,
): ApiError {
  if (thrown instanceof ApiError && entryOf(catalog, thrown.code)) {
    thrown.correlationId ??= correlationId;
    return thrown;
  }
  if (thrown instanceof RoleError) {
    // A guard's denial of a message: the catalog's error for its role, without answering an HTTP request.
    const error = handler.normalize(thrown);
    error.correlationId ??= correlationId;
    return error;
  }
  try {
    return handler.handle(thrown, { method: 'GET', url }).error;
  } catch {
    return catalog.builtin('internalError', undefined, { correlationId });
  }
}
