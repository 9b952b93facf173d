import type { CatalogEntry, CatalogEntryJSON, CatalogJSON, GroupInfo } from './types.js';

function entryJSON(e: CatalogEntry, roles: readonly string[]): CatalogEntryJSON {
  const entry: CatalogEntryJSON = {
    code: e.code,
    status: e.status,
    category: e.category,
    title: e.title,
    message: e.message,
    retryable: e.retryable,
    type: e.type,
  };
  if (e.id !== undefined) entry.id = e.id;
  if (e.group !== undefined) entry.group = e.group;
  if (e.description !== undefined) entry.description = e.description;
  if (e.cause !== undefined) entry.cause = e.cause;
  if (e.fix !== undefined) entry.fix = e.fix;
  if (Object.keys(e.headers).length > 0) entry.headers = { ...e.headers };
  if (e.deprecated !== undefined) entry.deprecated = e.deprecated;
  if (e.since !== undefined) entry.since = e.since;
  if (roles.length > 0) entry.builtin = roles[0];
  if (roles.length > 1) entry.builtins = [...roles];
  if (e.members !== undefined) entry.members = { ...e.members };
  if (e.ws !== undefined) entry.ws = { ...e.ws };
  return entry;
}

/**
 * The JSON form of a catalog: no schemas, no functions. An entry lists the built-in mechanisms it claims,
 * then those it answers for because their own code was omitted (`fallbacks`: role → code), so that a
 * client-side catalog built from the JSON names the same code for every mechanism as the catalog does.
 */
export function catalogJSON(
  entries: readonly CatalogEntry[],
  fallbacks: Readonly<Partial<Record<string, string>>>,
  groups: readonly GroupInfo[],
  name: string | undefined,
  retiredCodes: ReadonlySet<string>,
  retiredIds: ReadonlySet<number>,
): CatalogJSON {
  const json: CatalogJSON = {
    groups: groups.map((g) => ({ ...g })),
    entries: entries.map((entry) => {
      const roles: string[] = [...entry.roles];
      for (const [role, code] of Object.entries(fallbacks)) if (code === entry.code) roles.push(role);
      return entryJSON(entry, roles);
    }),
    retired: { codes: [...retiredCodes], ids: [...retiredIds] },
  };
  if (name !== undefined) json.name = name;
  return json;
}
