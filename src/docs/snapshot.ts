import { inputJsonSchema } from '../catalog/json-schema.js';
import type { Catalog, CatalogEntry } from '../catalog/types.js';
import { fieldList } from '../format/fields.js';
import { problemJson } from '../format/problem-json.js';
import { compileSpec } from '../format/spec.js';
import type { Node } from '../format/spec-node.js';
import type { ErrorFormat } from '../format/types.js';

/**
 * The contract of one code, as a snapshot records it: the per-code fields the field table marks with how
 * a change reads to clients, then deprecation and the details fields.
 */
export interface CodeContract {
  message: string;
  status: number;
  id?: number;
  category: string;
  retryable: boolean;
  /** The docs URL (RFC 9457 `type`); absent from locks written before it was recorded. */
  type?: string;
  /** RFC 9457 `title`; absent from locks written before it was recorded. */
  title?: string;
  deprecated?: boolean | string;
  /**
   * The details fields, when the schema can be introspected (Standard JSON Schema), with the JSON Schema
   * `type` of each field that has one (`types` is absent from locks written before it was recorded).
   */
  details?: { properties: string[]; required: string[]; types?: Record<string, string> } | 'opaque';
  /** The members the code adds at the top level of its body, sorted. */
  members?: string[];
}

/** The fields a snapshot records, from the field table: those whose change a diff can class. */
const recorded = fieldList.filter((f) => f.change !== undefined && f.ofEntry !== undefined);

/**
 * The wire format as a snapshot records it: each member its bodies may hold, by JSON Pointer, with what
 * the member holds: the names of the fields (several where alternatives share the member; a field's
 * options follow its name as JSON), or `=` and the JSON of a literal.
 * @example
 * { "contentType": "application/json", "members": { "/code": ["code"], "/success": ["=false"] } }
 */
export interface WireContract {
  contentType: string;
  members: Record<string, string[]>;
}

/** A stable JSON lock of a catalog's contract: what clients may branch on. */
export interface Snapshot {
  faultline: 1;
  /** The wire format; absent from locks written before it was recorded. */
  format?: WireContract;
  codes: Record<string, CodeContract>;
  retired: { codes: string[]; ids: number[] };
}

/** Options of `snapshot`. */
export interface SnapshotOptions {
  /**
   * The wire format the API answers in: the members it writes are recorded.
   * @default commonFormats.problemJson (RFC 9457)
   */
  format?: ErrorFormat;
}

const pointerKey = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

/** What each member of a format holds, by JSON Pointer, in the form `WireContract` describes. */
function wireOf(format: ErrorFormat): WireContract {
  const members: Record<string, string[]> = {};
  const put = (path: string, value: string) => {
    // Alternatives stay in declaration order: the first that has a value is written.
    members[path] = [...(members[path] ?? []), value];
  };
  const walk = (node: Node, path: string): void => {
    if (node.kind === 'literal') put(path, `=${node.json}`);
    else if (node.kind === 'first') for (const alternative of node.alternatives) walk(alternative, path);
    else if (node.kind === 'object')
      for (const member of node.members) walk(member.node, `${path}/${pointerKey(member.key)}`);
    else {
      const options = JSON.stringify(node.options, Object.keys(node.options).sort());
      put(path, options === '{}' ? node.field : `${node.field} ${options}`);
    }
  };
  walk(compileSpec(format.spec), '');
  const sorted = Object.fromEntries(Object.entries(members).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { contentType: format.contentType, members: sorted };
}

/** The JSON Schema `type` of a details field (`string | null` for alternatives), or none when it has none. */
function typeOf(schema: unknown): string | undefined {
  const s = (schema ?? {}) as { type?: unknown; anyOf?: unknown; oneOf?: unknown };
  if (typeof s.type === 'string') return s.type;
  if (Array.isArray(s.type)) return [...s.type].sort().join(' | ');
  const alternatives = s.anyOf ?? s.oneOf;
  if (!Array.isArray(alternatives)) return undefined;
  const types = alternatives.map(typeOf);
  if (types.some((t) => t === undefined)) return undefined;
  return [...new Set(types.flatMap((t) => t!.split(' | ')))].sort().join(' | ');
}

function detailsOf(entry: CatalogEntry): CodeContract['details'] {
  if (!entry.details) return undefined;
  const schema = inputJsonSchema(entry.details);
  if (!schema) return 'opaque';
  const shapes = (schema.properties as Record<string, unknown> | undefined) ?? {};
  const properties = Object.keys(shapes).sort();
  const required = [...((schema.required as string[] | undefined) ?? [])].sort();
  const types: Record<string, string> = {};
  for (const name of properties) {
    const type = typeOf(shapes[name]);
    if (type !== undefined) types[name] = type;
  }
  return { properties, required, types };
}

/**
 * Records a catalog's contract and the members of its wire format as stable JSON (sorted codes, no
 * volatile fields), for `diffSnapshots` in CI.
 * @example
 * writeFileSync('errors.lock.json', JSON.stringify(snapshot(errors, { format }), null, 2));
 */
export function snapshot(catalog: Catalog<any>, options: SnapshotOptions = {}): Snapshot {
  const codes: Record<string, CodeContract> = {};
  for (const code of [...catalog.codes].sort()) {
    const entry = catalog.entries[code] as CatalogEntry;
    const contract: Record<string, unknown> = {};
    for (const field of recorded) {
      const value = field.ofEntry!(entry);
      if (value !== undefined) contract[field.key] = value;
    }
    if (entry.deprecated !== undefined) contract.deprecated = entry.deprecated;
    const details = detailsOf(entry);
    if (details !== undefined) contract.details = details;
    if (entry.members !== undefined) contract.members = Object.keys(entry.members).sort();
    codes[code] = contract as unknown as CodeContract;
  }
  return {
    faultline: 1,
    format: wireOf(options.format ?? problemJson),
    codes,
    retired: {
      codes: [...catalog.retired.codes].sort(),
      ids: [...catalog.retired.ids].sort((a, b) => a - b),
    },
  };
}

/** One change between two snapshots. */
export interface Change {
  /** The code changed, or `*` for a change to the wire format, which every code shares. */
  code: string;
  kind: 'breaking' | 'additive' | 'cosmetic';
  change: string;
}

/** Changes sorted by kind. */
export interface SnapshotDiff {
  breaking: Change[];
  additive: Change[];
  cosmetic: Change[];
}

type Add = (kind: Change['kind'], code: string, change: string) => void;

function shown(value: unknown): string {
  return value === undefined ? 'none' : String(value);
}

const same = (a: readonly string[] | undefined, b: readonly string[]) => a?.join('\n') === b.join('\n');

/** A member removed, renamed (what it held now sits under a new pointer) or changed breaks clients. */
function diffWire(was: WireContract | undefined, is: WireContract | undefined, add: Add): void {
  // A lock written before formats were recorded says nothing about the wire: nothing to compare.
  if (!was || !is) return;
  if (was.contentType !== is.contentType)
    add('breaking', '*', `content type ${was.contentType} → ${is.contentType}`);
  const fresh = Object.keys(is.members).filter((path) => !Object.hasOwn(was.members, path));
  const renamed = new Set<string>();
  for (const [path, held] of Object.entries(was.members)) {
    const now = is.members[path];
    if (now !== undefined) {
      if (!same(now, held))
        add('breaking', '*', `format member ${path} ${held.join(', ')} → ${now.join(', ')}`);
      continue;
    }
    const to = fresh.find((p) => !renamed.has(p) && same(is.members[p], held));
    if (to === undefined) add('breaking', '*', `format member ${path} (${held.join(', ')}) removed`);
    else {
      renamed.add(to);
      add('breaking', '*', `format member ${path} renamed to ${to}`);
    }
  }
  for (const path of fresh) if (!renamed.has(path)) add('additive', '*', `format member ${path} added`);
}

/** The fields either snapshot's format writes, or `undefined` when neither recorded its format. */
function writtenFields(before: Snapshot, after: Snapshot): Set<string> | undefined {
  const formats = [before.format, after.format].filter((f) => f !== undefined);
  if (formats.length === 0) return undefined;
  const held = formats.flatMap((f) => Object.values(f.members).flat());
  return new Set(held.filter((v) => !v.startsWith('=')).map((v) => v.split(' ')[0]!));
}

function diffDetails(code: string, old: CodeContract, now: CodeContract, add: Add): void {
  // A field added as required breaks every raise that did not give it, as making one required does.
  const added = (field: string, fields: { required: string[] }) =>
    fields.required.includes(field)
      ? add('breaking', code, `details.${field} added as required`)
      : add('additive', code, `details.${field} added`);
  const was = old.details;
  const is = now.details;
  if (typeof was === 'object') {
    const fields = typeof is === 'object' ? is : { properties: [], required: [], types: {} };
    for (const field of was.properties) {
      // A type missing from either lock (written before types were recorded, or a field without one) is not compared.
      const [from, to] = [was.types?.[field], fields.types?.[field]];
      if (!fields.properties.includes(field)) add('breaking', code, `details.${field} removed`);
      else if (!was.required.includes(field) && fields.required.includes(field))
        add('breaking', code, `details.${field} made required`);
      if (from !== undefined && to !== undefined && from !== to)
        add('breaking', code, `details.${field} type ${from} → ${to}`);
    }
    for (const field of fields.properties) if (!was.properties.includes(field)) added(field, fields);
  } else if (typeof is === 'object' && was === undefined) {
    for (const field of is.properties) added(field, is);
  } else if (typeof is === 'object') {
    // Opaque before: which fields it had is unknown, so none is called breaking.
    for (const field of is.properties) add('additive', code, `details.${field} added`);
  }
}

/**
 * Sorts the changes between two snapshots: breaking (a code removed; status, id or category changed; a
 * details field or a member removed, its type changed, a details field made required or added as required;
 * a member of the wire format removed, renamed or changed), additive (codes, members and optional details
 * fields added, retry or deprecation changes, format members added) and cosmetic (messages, and a change to
 * a field the wire format does not write: the docs URL of a format without `type`).
 */
export function diffSnapshots(before: Snapshot, after: Snapshot): SnapshotDiff {
  const diff: SnapshotDiff = { breaking: [], additive: [], cosmetic: [] };
  const add: Add = (kind, code, change) => diff[kind].push({ code, kind, change });
  diffWire(before.format, after.format, add);
  const written = writtenFields(before, after);
  for (const [code, old] of Object.entries(before.codes)) {
    const now = after.codes[code];
    if (!now) {
      add('breaking', code, 'code removed');
      continue;
    }
    for (const field of recorded) {
      const was = (old as unknown as Record<string, unknown>)[field.key];
      const is = (now as unknown as Record<string, unknown>)[field.key];
      if (was === is) continue;
      // A field every code has is missing only from a lock written before it was recorded: no change to report.
      if (was === undefined && field.always) continue;
      const kind = was === undefined ? 'additive' : field.change!;
      const values = `${field.name} ${shown(was)} → ${shown(is)}`;
      // A field the format does not write never reaches clients; the status does, in the status line.
      if (kind === 'breaking' && written && field.name !== 'status' && !written.has(field.name))
        add('cosmetic', code, `${values} (the format does not write ${field.name})`);
      else add(kind, code, kind === 'cosmetic' ? `${field.name} changed` : values);
    }
    if (old.deprecated !== now.deprecated)
      add('additive', code, `deprecated ${old.deprecated ?? false} → ${now.deprecated ?? false}`);
    diffDetails(code, old, now, add);
    for (const member of old.members ?? [])
      if (!now.members?.includes(member)) add('breaking', code, `member ${member} removed`);
    for (const member of now.members ?? [])
      if (!old.members?.includes(member)) add('additive', code, `member ${member} added`);
  }
  for (const code of Object.keys(after.codes)) if (!before.codes[code]) add('additive', code, 'code added');
  return diff;
}
