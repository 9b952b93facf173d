import { matchMessage } from '../format/match-message.js';
import { ApiError } from './api-error.js';
import type { BuiltinCodes } from './builtin-codes.js';
import { catalogJSON } from './catalog-json.js';
import { checkCollapse, checkEntry, checkPlaceholders, membersOfEntry } from './check-entry.js';
import { FaultlineConfigError } from './config-error.js';
import { requiredDetailsOf } from './json-schema.js';
import { compileMessage } from './message.js';
import { detailsFit } from './required-details.js';
import { checkRoles, wsRoles, wsTwins } from './roles.js';
import { type BuiltinRole, roleOfStatus, type StandardCode, standardDefinitions } from './standard.js';
import { type RawEntry, standardEntries, standardGroup, withRoles } from './standard-entries.js';
import { categoryOf, reasonPhrase, retryableByDefault } from './status.js';
import { type ToApiErrorOptions, toApiError } from './to-api-error.js';
import type {
  Catalog,
  CatalogDefinitions,
  CatalogEntry,
  CatalogOptions,
  CheckedMembers,
  CreateOptions,
  Definitions,
  GroupInfo,
  Renames,
  StackPolicy,
} from './types.js';
import { checkCloseConflicts, resolveCloseCodes } from './ws-codes.js';

type Options = CatalogOptions<Renames, readonly StandardCode[]>;

/**
 * The catalog `defineErrors` returns for entries `E`, renames `R` and omitted codes `O`. It is a named
 * interface so that a project emitting declarations can export its catalog
 * (`export const errors = defineErrors(...)`): its inferred type names `DefinedCatalog`, a public type, not
 * the internal module the codes of the built-in mechanisms are computed in.
 */
export interface DefinedCatalog<E extends Definitions, R extends Renames, O extends readonly StandardCode[]>
  extends Catalog<
    CatalogDefinitions<E, R, O>,
    BuiltinCodes<E, R, O[number], keyof CatalogDefinitions<E, R, O> & string>
  > {}

/**
 * Defines an API's error catalog on top of the standard one, and checks it: a wrong catalog fails here,
 * naming the code, never at request time.
 * @example
 * const errors = defineErrors({
 *   SESSION_NOT_FOUND: { status: 404, id: 4001, message: 'Session {sessionId} not found', details: z.object({ sessionId: z.string() }) },
 * }, { rename: { VALIDATION_FAILED: 'SCHEMA_VALIDATION_FAILED' } });
 */
export function defineErrors<
  const E extends Definitions,
  const R extends Renames = {},
  const O extends readonly StandardCode[] = [],
>(entries: E & CheckedMembers<E>, options: CatalogOptions<R, O> = {}): DefinedCatalog<E, R, O> {
  // Roles the API's entries claim: their standard codes may be omitted, the API's own answering for them.
  const claimed = new Set<string>();
  for (const definition of Object.values(entries as Record<string, RawEntry>)) {
    if (Array.isArray(definition?.roles)) for (const role of definition.roles) claimed.add(role);
  }
  const raw = standardEntries(options.rename as Record<string, string> | undefined, options.omit, claimed);
  const omitted = new Set<string>(options.omit ?? []);
  for (const [code, { roles, ...definition }] of Object.entries(entries as Record<string, RawEntry>)) {
    if (omitted.has(code)) {
      throw new FaultlineConfigError(
        'FAULTLINE_INVALID_OMIT',
        `${code} is omitted, yet the catalog defines it`,
      );
    }
    const claimed = roles === undefined ? [] : checkRoles(code, roles);
    // A claim takes the role from the entry that had it: one code answers for each role.
    // Only an entry with roles scans the others: without the guard, n entries cost n² steps.
    for (const [other, entry] of claimed.length > 0 ? raw : []) {
      if (other !== code && entry.roles?.some((role) => claimed.includes(role))) {
        raw.set(
          other,
          withRoles(
            entry,
            entry.roles.filter((role) => !claimed.includes(role)),
          ),
        );
      }
    }
    const base = raw.get(code);
    const own = [...(base?.roles ?? []), ...claimed.filter((role) => !base?.roles?.includes(role))];
    raw.set(code, base ? { ...withRoles(base, own), ...definition } : { ...definition, roles: own });
  }
  return buildCatalog(raw, options as Options) as unknown as DefinedCatalog<E, R, O>;
}

function groupsOf(options: Options): GroupInfo[] | undefined {
  const { groups } = options;
  if (groups === undefined) return undefined;
  const list: GroupInfo[] = Array.isArray(groups)
    ? (groups as readonly string[]).map((name) => ({ name, title: name, description: undefined }))
    : Object.entries(groups as Record<string, { title?: string; description?: string }>).map(([name, g]) => ({
        name,
        title: g.title ?? name,
        description: g.description,
      }));
  if (!list.some((g) => g.name === standardGroup)) {
    list.push({ name: standardGroup, title: 'HTTP', description: 'Standard errors of any endpoint.' });
  }
  return list;
}

function docsUrlOf(options: Options): (code: string, id: number | undefined) => string {
  const { docsUrl } = options;
  if (typeof docsUrl === 'function') return (code, id) => docsUrl({ code, id });
  if (typeof docsUrl === 'string') {
    return (code, id) =>
      docsUrl
        .replaceAll('{code}', encodeURIComponent(code))
        .replaceAll('{id}', id === undefined ? '' : String(id));
  }
  return (code) => `urn:problem-type:${encodeURIComponent(code)}`;
}

/**
 * Gives each role whose code the catalog omits the code that answers for it: that of its status's generic
 * role when the catalog holds it, else its class's (bad request or internal). Returns the status each such
 * role keeps, for the class codes, as faultline answers any status the catalog has no code for.
 */
function answerOmittedRoles(
  builtins: Partial<Record<BuiltinRole, string>>,
  entries: Readonly<Record<string, CatalogEntry>>,
): Map<BuiltinRole, number> {
  const kept = new Map<BuiltinRole, number>();
  for (const { role, status } of Object.values(standardDefinitions)) {
    if (builtins[role] !== undefined) continue;
    const generic = builtins[roleOfStatus[status]!];
    if (generic !== undefined && entries[generic]!.status === status) {
      builtins[role] = generic;
      continue;
    }
    builtins[role] = builtins[status >= 500 ? 'internalError' : 'badRequest'];
    kept.set(role, status);
  }
  return kept;
}

function stackFor(policy: StackPolicy, status: number): boolean {
  return policy === 'always' || (policy === 'server-errors' && status >= 500);
}

function buildCatalog(raw: Map<string, RawEntry>, options: Options): Catalog {
  const groups = groupsOf(options);
  // The WebSocket codes of `faultline/ws` bring their own group into a catalog that declares groups.
  if (
    groups &&
    !groups.some((g) => g.name === 'websocket') &&
    [...raw.values()].some((e) => e.group === 'websocket')
  ) {
    groups.push({ name: 'websocket', title: 'WebSocket', description: 'Errors of the WebSocket endpoints.' });
  }
  const closeCodes = resolveCloseCodes(options.closeCodes);
  const docsUrl = docsUrlOf(options);
  const retiredCodes = new Set(options.retired?.codes ?? []);
  const retiredIds = new Set(options.retired?.ids ?? []);
  const policy: StackPolicy = options.stack ?? 'server-errors';
  const entries: Record<string, CatalogEntry> = Object.create(null);
  const builtins: Partial<Record<BuiltinRole, string>> = {};
  const byId = new Map<number, string>();
  const byMessage = new Map<string, CatalogEntry | null>();

  for (const [code, entry] of raw) {
    checkEntry(code, entry, groups);
    if (retiredCodes.has(code)) throw new FaultlineConfigError('FAULTLINE_RETIRED_CODE', `code ${code}`);
    if (entry.id !== undefined) {
      if (retiredIds.has(entry.id))
        throw new FaultlineConfigError('FAULTLINE_RETIRED_CODE', `${code} reuses id ${entry.id}`);
      const other = byId.get(entry.id);
      if (other)
        throw new FaultlineConfigError(
          'FAULTLINE_DUPLICATE_ID',
          `${other} and ${code} both have id ${entry.id}`,
        );
      byId.set(entry.id, code);
    }
    const template = compileMessage(entry.message);
    checkPlaceholders(code, entry, template.placeholders);
    checkCollapse(code, entry, template.placeholders);
    const roles = Object.freeze([...(entry.roles ?? [])]);
    const resolved: CatalogEntry = Object.freeze({
      code,
      status: entry.status,
      message: entry.message,
      id: entry.id,
      category: entry.category ?? categoryOf(entry.status),
      group: entry.group,
      title: entry.title ?? reasonPhrase(entry.status),
      description: entry.description,
      cause: entry.cause,
      fix: entry.fix,
      retryable: entry.retryable ?? retryableByDefault(entry.status),
      details: entry.details,
      headers: Object.freeze({ ...entry.headers }),
      deprecated: entry.deprecated,
      since: entry.since,
      collapses: entry.collapses ? Object.freeze([...entry.collapses]) : undefined,
      type: docsUrl(code, entry.id),
      role: roles[0],
      roles,
      members: membersOfEntry(code, entry),
      requiredDetails: requiredDetailsOf(entry.details),
      template,
      ws: entry.ws === undefined ? undefined : Object.freeze({ ...entry.ws }),
    });
    entries[code] = resolved;
    for (const role of roles) builtins[role] = code;
    byMessage.set(entry.message, byMessage.has(entry.message) ? null : resolved);
  }
  checkCloseConflicts(Object.values(entries));
  const claimed = new Set(Object.keys(builtins));
  const kept = answerOmittedRoles(builtins, entries);
  // The HTTP mechanisms answered by another code because their own was omitted: the JSON form lists them
  // on that code (a client derives the WebSocket twins itself).
  const fallbacks = Object.fromEntries(
    Object.entries(builtins).filter(([role]) => !claimed.has(role)),
  ) as Partial<Record<BuiltinRole, string>>;
  // A WebSocket mechanism no entry claims is answered by its HTTP twin, a code the catalog holds.
  for (const role of wsRoles) {
    if (builtins[role] !== undefined) continue;
    builtins[role] = builtins[wsTwins[role]];
    const status = kept.get(wsTwins[role]);
    if (status !== undefined) kept.set(role, status);
  }

  function make(
    entry: CatalogEntry,
    details: unknown,
    options: ToApiErrorOptions | undefined,
    status: number = options?.status ?? entry.status,
  ): ApiError {
    return toApiError(entry, details, options, status, stackFor(policy, status));
  }

  const catalog = {
    entries,
    codes: Object.freeze(Object.keys(entries)),
    builtins: Object.freeze(builtins) as Record<BuiltinRole, string>,
    groups: Object.freeze(groups ?? []),
    name: options.name,
    retired: { codes: [...retiredCodes], ids: [...retiredIds] },
    closeCodes,
    create(code: string, details?: unknown, createOptions?: CreateOptions) {
      const entry = entries[code];
      if (!entry) throw new FaultlineConfigError('FAULTLINE_UNKNOWN_CODE', code);
      return make(entry, details, createOptions);
    },
    builtin(role: BuiltinRole, details?: unknown, createOptions?: CreateOptions) {
      return make(entries[builtins[role]!]!, details, createOptions, kept.get(role));
    },
    is(value: unknown, code?: string): boolean {
      // A caught value may be anything, a Proxy or getters that throw among them: `is` answers, never throws.
      try {
        if (!(value instanceof ApiError) || (code !== undefined && value.code !== code)) return false;
        const entry = typeof value.code === 'string' ? entries[value.code] : undefined;
        // It narrows to the code's typed details: an error of the code without them, or with details its
        // schema refuses (read by a client from a body that has none, or others), is not one.
        return entry !== undefined && detailsFit(value.details, entry);
      } catch {
        return false;
      }
    },
    toJSON: () => {
      const json = catalogJSON(
        Object.values(entries),
        fallbacks,
        groups ?? [],
        options.name,
        retiredCodes,
        retiredIds,
      );
      if (closeCodes.length > 0) json.closeCodes = closeCodes.map((c) => ({ ...c }));
      return json;
    },
    get: (code: string) => entries[code],
    byMessage: (message: string) => byMessage.get(message) ?? undefined,
    match: (message: string) => matchMessage(catalog as unknown as Catalog, message),
  } satisfies Record<Exclude<keyof Catalog, '~definitions'>, unknown> as unknown as Catalog;
  return Object.freeze(catalog);
}
