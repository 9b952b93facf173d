import { ApiError } from './api-error.js';
import { FaultlineConfigError } from './config-error.js';
import { inputJsonSchema } from './json-schema.js';
import { compileMessage } from './message.js';
import { type BuiltinRole, type StandardCode, standardDefinitions } from './standard.js';
import { categoryOf, isCatalogStatus, reasonPhrase, retryableByDefault } from './status.js';
import { toApiError } from './to-api-error.js';
import type {
  Catalog,
  CatalogDefinitions,
  CatalogEntry,
  CatalogEntryJSON,
  CatalogJSON,
  CatalogOptions,
  CreateOptions,
  Definitions,
  ErrorDefinition,
  GroupInfo,
  Renames,
  StackPolicy,
} from './types.js';
import { checkCloseConflicts, checkWsBehaviour, resolveCloseCodes } from './ws-codes.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: codes must not hold control characters
const invalidCode = /[\s\u0000-\u001f\u007f]/;
const standardGroup = 'http';

interface RawEntry extends ErrorDefinition {
  role?: BuiltinRole;
}

/**
 * Defines an API's error catalog on top of the standard one, and checks it: a wrong catalog fails here,
 * naming the code, never at request time.
 * @example
 * const errors = defineErrors({
 *   SESSION_NOT_FOUND: { status: 404, id: 4001, message: 'Session {sessionId} not found', details: z.object({ sessionId: z.string() }) },
 * }, { rename: { VALIDATION_FAILED: 'SCHEMA_VALIDATION_FAILED' } });
 */
export function defineErrors<const E extends Definitions, const R extends Renames = {}>(
  entries: E,
  options: CatalogOptions<R> = {},
): Catalog<CatalogDefinitions<E, R>> {
  const raw = new Map<string, RawEntry>();
  const renames: Record<string, string> = { ...(options.rename as Record<string, string> | undefined) };
  const renamedTo = new Set(Object.values(renames));
  for (const [from, to] of Object.entries(renames)) {
    if (!(from in standardDefinitions) || typeof to !== 'string' || invalidCode.test(to) || to === '') {
      throw new FaultlineConfigError('FAULTLINE_INVALID_RENAME', `${from} → ${String(to)}`);
    }
    if (to in standardDefinitions && !(to in renames) && to !== from) {
      throw new FaultlineConfigError('FAULTLINE_INVALID_RENAME', `${from} → ${to} (already a standard code)`);
    }
  }
  if (renamedTo.size !== Object.keys(renames).length) {
    throw new FaultlineConfigError('FAULTLINE_INVALID_RENAME', 'two standard codes renamed to one name');
  }
  for (const [code, definition] of Object.entries(standardDefinitions) as [StandardCode, RawEntry][]) {
    raw.set(renames[code] ?? code, { ...definition, group: standardGroup });
  }
  for (const [code, definition] of Object.entries(entries)) {
    const base = raw.get(code);
    raw.set(code, base ? { ...base, ...definition, role: base.role } : { ...definition });
  }
  return buildCatalog(raw, options) as unknown as Catalog<CatalogDefinitions<E, R>>;
}

function groupsOf(options: CatalogOptions<Renames>): GroupInfo[] | undefined {
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

function docsUrlOf(options: CatalogOptions<Renames>): (code: string, id: number | undefined) => string {
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

function placeholderFields(entry: RawEntry): Set<string> | undefined {
  const properties = inputJsonSchema(entry.details)?.properties;
  return properties && typeof properties === 'object' ? new Set(Object.keys(properties)) : undefined;
}

function checkEntry(code: string, entry: RawEntry, groups: GroupInfo[] | undefined): void {
  if (code === '' || invalidCode.test(code))
    throw new FaultlineConfigError('FAULTLINE_INVALID_CODE', JSON.stringify(code));
  if (!isCatalogStatus(entry.status)) {
    throw new FaultlineConfigError('FAULTLINE_INVALID_STATUS', `${code} has status ${String(entry.status)}`);
  }
  if (typeof entry.message !== 'string' || entry.message === '') {
    throw new FaultlineConfigError('FAULTLINE_INVALID_MESSAGE', code);
  }
  if (entry.id !== undefined && !(Number.isSafeInteger(entry.id) && entry.id >= 0)) {
    throw new FaultlineConfigError('FAULTLINE_INVALID_ID', `${code} has id ${String(entry.id)}`);
  }
  checkWsBehaviour(code, entry.ws);
  if (groups && entry.group !== undefined && !groups.some((g) => g.name === entry.group)) {
    throw new FaultlineConfigError('FAULTLINE_UNKNOWN_GROUP', `${code} is in group "${entry.group}"`);
  }
}

function checkPlaceholders(code: string, entry: RawEntry, placeholders: readonly string[]): void {
  if (placeholders.length === 0) return;
  if (!entry.details) {
    throw new FaultlineConfigError(
      'FAULTLINE_PLACEHOLDER_WITHOUT_FIELD',
      `${code} uses {${placeholders[0]}}`,
    );
  }
  const fields = placeholderFields(entry);
  if (!fields) return;
  for (const placeholder of placeholders) {
    const field = placeholder.split('.')[0]!;
    if (!fields.has(field)) {
      throw new FaultlineConfigError('FAULTLINE_PLACEHOLDER_WITHOUT_FIELD', `${code} uses {${placeholder}}`);
    }
  }
}

function checkCollapse(code: string, entry: RawEntry, placeholders: readonly string[]): void {
  const reasons = entry.collapses;
  if (reasons === undefined) return;
  const valid =
    Array.isArray(reasons) &&
    reasons.length > 0 &&
    reasons.every((r) => typeof r === 'string' && r !== '') &&
    new Set(reasons).size === reasons.length;
  if (!valid || entry.details !== undefined || placeholders.length > 0)
    throw new FaultlineConfigError('FAULTLINE_INVALID_COLLAPSE', code);
}

function stackFor(policy: StackPolicy, status: number): boolean {
  return policy === 'always' || (policy === 'server-errors' && status >= 500);
}

function buildCatalog(raw: Map<string, RawEntry>, options: CatalogOptions<Renames>): Catalog {
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
      role: entry.role,
      template,
      ws: entry.ws === undefined ? undefined : Object.freeze({ ...entry.ws }),
    });
    entries[code] = resolved;
    if (entry.role) builtins[entry.role] = code;
    byMessage.set(entry.message, byMessage.has(entry.message) ? null : resolved);
  }
  checkCloseConflicts(Object.values(entries));

  function make(entry: CatalogEntry, details: unknown, options: CreateOptions | undefined): ApiError {
    return toApiError(entry, details, { ...options, stack: stackFor(policy, entry.status) });
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
      return make(entries[builtins[role]!]!, details, createOptions);
    },
    is(value: unknown, code?: string): boolean {
      if (!(value instanceof ApiError)) return false;
      return code === undefined ? value.code in entries : value.code === code;
    },
    toJSON: () => {
      const json = catalogJSON(Object.values(entries), groups ?? [], options.name, retiredCodes, retiredIds);
      if (closeCodes.length > 0) json.closeCodes = closeCodes.map((c) => ({ ...c }));
      return json;
    },
    get: (code: string) => entries[code],
    byMessage: (message: string) => byMessage.get(message) ?? undefined,
    resolve(error: ApiError) {
      const role = error.role;
      if (role === undefined) return error;
      const entry = entries[builtins[role]!]!;
      if (entry.code === error.code && entry.message === error.message && entry.type === error.type)
        return error;
      // The built-in's message is replaced by the catalog's only when it was the standard text.
      const standard = (standardDefinitions as Record<string, { message: string }>)[error.code];
      const message =
        standard && standard.message !== error.message ? error.message : entry.template.render(error.details);
      return toApiError(entry, error.details, {
        message,
        headers: error.headers,
        correlationId: error.correlationId,
        fieldErrors: error.fieldErrors,
        cause: error.cause,
        reason: error.reason,
        stack: false,
      });
    },
  } satisfies Record<Exclude<keyof Catalog, '~definitions'>, unknown> as unknown as Catalog;
  return Object.freeze(catalog);
}

function catalogJSON(
  entries: readonly CatalogEntry[],
  groups: readonly GroupInfo[],
  name: string | undefined,
  retiredCodes: ReadonlySet<string>,
  retiredIds: ReadonlySet<number>,
): CatalogJSON {
  const json: CatalogJSON = {
    groups: groups.map((g) => ({ ...g })),
    entries: entries.map((e) => {
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
      if (e.role !== undefined) entry.builtin = e.role;
      if (e.ws !== undefined) entry.ws = { ...e.ws };
      return entry;
    }),
    retired: { codes: [...retiredCodes], ids: [...retiredIds] },
  };
  if (name !== undefined) json.name = name;
  return json;
}
