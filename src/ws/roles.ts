import { ApiError } from '../catalog/api-error.js';
import { RoleError, withField } from '../catalog/role-error.js';
import { standardDefinitions } from '../catalog/standard.js';
import type { Catalog, CatalogEntry, CreateOptions } from '../catalog/types.js';
import { wsDefinitions } from '../catalog/ws-standard.js';
import type { WsRole } from '../catalog/ws-types.js';
import type { ErrorHandler } from '../server/handle-error.js';
import type { EventContext } from './events.js';

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

// The messages faultline ships with its codes: a mechanism's more precise text replaces only these, never a
// catalog's own.
const shippedMessages = new Set<string>(
  [...Object.values(standardDefinitions), ...Object.values(wsDefinitions)].map((entry) => entry.message),
);

/**
 * A mechanism's more precise text for a refused message, or undefined: JSON that is no object with a string
 * type field is told apart from text that is no JSON (a refused message with no `event` in its context).
 */
export function specificOf(role: WsRole, context: EventContext, typeField: string): string | undefined {
  if (role !== 'messageMalformed' || context.event === undefined) return undefined;
  return `The message is not a JSON object with a string ${JSON.stringify(typeField)} field.`;
}

/**
 * The error a catalog raises for a WebSocket mechanism. `specific`, the mechanism's more precise text for this
 * occurrence, is answered only while the answering entry keeps the message faultline ships for it.
 */
export function wsRoleError(
  catalog: Catalog<any>,
  role: WsRole,
  details?: unknown,
  options?: CreateOptions,
  specific?: string,
): ApiError {
  const entry = catalog.get(wsRoleCode(catalog, role));
  const own = specific !== undefined && entry !== undefined && shippedMessages.has(entry.message);
  return catalog.builtin(role, detailsFor(entry, details), own ? { ...options, message: specific } : options);
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
