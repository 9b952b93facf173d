import { isApiError } from '../catalog/api-error.js';
import { compileMessage } from '../catalog/message.js';
import type { ReadableCatalog } from '../catalog/readable.js';
import { roleOfStatus } from '../catalog/role-tables.js';
import type { BuiltinRole } from '../catalog/standard.js';
import type { CatalogEntry, CatalogJSON, Definitions } from '../catalog/types.js';
import { wsRoles, wsTwins } from '../catalog/ws-roles.js';
import { matchMessage } from '../format/match-message.js';

/** The definitions of a catalog type, for `clientCatalog<typeof errors>(json)`. */
type DefinitionsOf<C> = C extends { readonly '~definitions'?: infer D } ? NonNullable<D> : Definitions;

/** The fields of an entry a client reads; prose, headers and schemas stay on the server. */
function entryOf(json: CatalogJSON['entries'][number]): CatalogEntry {
  const roles = (json.builtins ?? (json.builtin ? [json.builtin] : [])) as BuiltinRole[];
  return {
    code: json.code,
    status: json.status,
    message: json.message,
    id: json.id,
    category: json.category,
    group: json.group,
    title: json.title,
    description: undefined,
    cause: undefined,
    fix: undefined,
    retryable: json.retryable,
    details: undefined,
    headers: {},
    deprecated: json.deprecated,
    since: json.since,
    collapses: undefined,
    type: json.type,
    role: roles[0],
    roles,
    members: json.members,
    requiredDetails: undefined,
    template: compileMessage(json.message),
    ws: json.ws,
  };
}

/**
 * The part of a catalog's JSON a client reads: codes, statuses, messages, members, built-in roles and
 * WebSocket behaviour, without the prose (descriptions, causes, fixes) and headers. Run it where the
 * catalog is built, and ship its result to the browser for `clientCatalog`.
 * @example
 * writeFileSync('errors.client.json', JSON.stringify(clientCatalogJSON(errors.toJSON())));
 */
export function clientCatalogJSON(json: CatalogJSON): CatalogJSON {
  const keep = ['code', 'status', 'id', 'category', 'title', 'message', 'retryable', 'type'] as const;
  const entries = json.entries.map((entry) => {
    const lean: Record<string, unknown> = {};
    for (const key of [...keep, 'builtin', 'builtins', 'members', 'ws'] as const)
      if (entry[key] !== undefined) lean[key] = entry[key];
    return lean as unknown as CatalogJSON['entries'][number];
  });
  return { groups: [], entries, retired: { codes: [], ids: [] } };
}

/**
 * A catalog for the browser, built from a catalog's JSON (`errors.toJSON()`, what `GET /errors` of an API
 * answers, or the `clientCatalogJSON` of it a build step writes): codes, statuses, messages, members and built-in roles, without
 * schemas, prose or server code. A client types and narrows errors by it as by the catalog itself; details
 * are read as the body holds them, unchecked (no schema comes along).
 * @example
 * import type { errors } from '../server/errors.js'; // types only: nothing of the server is bundled
 * const catalog = clientCatalog<typeof errors>(await (await fetch('/errors')).json());
 * const api = createClient({ baseUrl: '/', catalog });
 */
export function clientCatalog<C = ReadableCatalog>(json: CatalogJSON): ReadableCatalog<DefinitionsOf<C>> {
  const entries: Record<string, CatalogEntry> = Object.create(null);
  const builtins: Partial<Record<BuiltinRole, string>> = {};
  const byMessage = new Map<string, CatalogEntry | null>();
  for (const item of json.entries) {
    const entry = entryOf(item);
    entries[entry.code] = entry;
    for (const role of entry.roles) builtins[role] ??= entry.code;
    byMessage.set(entry.message, byMessage.has(entry.message) ? null : entry);
  }
  // A role no entry answers falls to the code of its status's role, as `defineErrors` answers it.
  builtins.internalError ??= 'INTERNAL_ERROR';
  builtins.badRequest ??= 'BAD_REQUEST';
  for (const [status, role] of Object.entries(roleOfStatus)) {
    builtins[role] ??= builtins[Number(status) >= 500 ? 'internalError' : 'badRequest'];
  }
  builtins.idempotencyInFlight ??= builtins.conflict;
  // A WebSocket mechanism no entry claims is answered by its HTTP twin.
  for (const role of wsRoles) builtins[role] ??= builtins[wsTwins[role]];
  const catalog: ReadableCatalog = {
    entries,
    codes: Object.freeze(Object.keys(entries)),
    builtins: Object.freeze(builtins) as Record<BuiltinRole, string>,
    is: ((value: unknown, code?: string) =>
      isApiError(value) &&
      (code === undefined ? Object.hasOwn(entries, value.code) : value.code === code)) as never,
    get: (code: string) => (Object.hasOwn(entries, code) ? entries[code] : undefined),
    byMessage: (message: string) => byMessage.get(message) ?? undefined,
    match: (message: string) => matchMessage(catalog, message),
  };
  return Object.freeze(catalog) as ReadableCatalog<DefinitionsOf<C>>;
}
