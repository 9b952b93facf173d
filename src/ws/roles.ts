import { ApiError } from '../catalog/api-error.js';
import { RoleError, withField } from '../catalog/role-error.js';
import type { Catalog, CatalogEntry, CreateOptions } from '../catalog/types.js';
import type { WsRole } from '../catalog/ws-types.js';
import type { ErrorHandler } from '../server/handle-error.js';

/**
 * The code a catalog answers a WebSocket mechanism with: the entry that claims the role, else the HTTP
 * built-in of the same meaning (see `wsTwins`), so that every code a client sees is in the catalog.
 */
export function wsRoleCode(catalog: Catalog<any>, role: WsRole): string {
  return catalog.builtins[role];
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
  const code = wsRoleCode(catalog, role);
  return catalog.builtin(role, detailsFor(catalog.get(code), details), options);
}

/** The entry of an error's code in the catalog. */
export function entryOf(catalog: Catalog<any>, code: string): CatalogEntry | undefined {
  return catalog.get(code);
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
  // Even the identity checks read the thrown value: a revoked Proxy or a throwing trap fails them, and
  // a throw out of here would escape the socket's 'data' listener and end the process.
  try {
    if (thrown instanceof ApiError && entryOf(catalog, thrown.code)) return withId(thrown, correlationId);
    if (thrown instanceof RoleError) {
      // A guard's denial of a message: the catalog's error for its role, without answering an HTTP request.
      return withId(handler.normalize(thrown), correlationId);
    }
  } catch {
    // Falls through: `handle` answers what cannot even be inspected, and logs it.
  }
  return handler.handle(thrown, { method: 'GET', url }).error;
}

// The error with the connection's correlation id, unless it carries one. A frozen error (a prebuilt one)
// refuses the write: the id then goes on an object over it, and the error stays as it was thrown.
function withId(error: ApiError, correlationId: string): ApiError {
  return error.correlationId === undefined ? withField(error, 'correlationId', correlationId) : error;
}
