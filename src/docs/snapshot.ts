import { inputJsonSchema } from '../catalog/json-schema.js';
import type { Catalog, CatalogEntry } from '../catalog/types.js';
import { fieldList } from '../format/fields.js';

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
  /** The details fields, when the schema can be introspected (Standard JSON Schema). */
  details?: { properties: string[]; required: string[] } | 'opaque';
  /** The members the code adds at the top level of its body, sorted. */
  members?: string[];
}

/** The fields a snapshot records, from the field table: those whose change a diff can class. */
const recorded = fieldList.filter((f) => f.change !== undefined && f.ofEntry !== undefined);

/** A stable JSON lock of a catalog's contract: what clients may branch on. */
export interface Snapshot {
  faultline: 1;
  codes: Record<string, CodeContract>;
  retired: { codes: string[]; ids: number[] };
}

function detailsOf(entry: CatalogEntry): CodeContract['details'] {
  if (!entry.details) return undefined;
  const schema = inputJsonSchema(entry.details);
  if (!schema) return 'opaque';
  const properties = Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {}).sort();
  const required = [...((schema.required as string[] | undefined) ?? [])].sort();
  return { properties, required };
}

/**
 * Records a catalog's contract as stable JSON (sorted codes, no volatile fields), for `diffSnapshots` in CI.
 * @example
 * writeFileSync('errors.lock.json', JSON.stringify(snapshot(errors), null, 2));
 */
export function snapshot(catalog: Catalog<any>): Snapshot {
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
    codes,
    retired: {
      codes: [...catalog.retired.codes].sort(),
      ids: [...catalog.retired.ids].sort((a, b) => a - b),
    },
  };
}

/** One change between two snapshots. */
export interface Change {
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

function shown(value: unknown): string {
  return value === undefined ? 'none' : String(value);
}

/**
 * Sorts the changes between two snapshots: breaking (a code removed; status, id or category changed; a
 * details field or a member removed, a details field made required or added as required), additive (codes,
 * members and optional details fields added, retry or deprecation changes) and cosmetic (messages).
 */
export function diffSnapshots(before: Snapshot, after: Snapshot): SnapshotDiff {
  const diff: SnapshotDiff = { breaking: [], additive: [], cosmetic: [] };
  const add = (kind: Change['kind'], code: string, change: string) => diff[kind].push({ code, kind, change });
  // A field added as required breaks every raise that did not give it, as making one required does.
  const added = (code: string, field: string, fields: { required: string[] }) =>
    fields.required.includes(field)
      ? add('breaking', code, `details.${field} added as required`)
      : add('additive', code, `details.${field} added`);
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
      add(
        kind,
        code,
        kind === 'cosmetic' ? `${field.name} changed` : `${field.name} ${shown(was)} → ${shown(is)}`,
      );
    }
    if (old.deprecated !== now.deprecated)
      add('additive', code, `deprecated ${old.deprecated ?? false} → ${now.deprecated ?? false}`);
    const was = old.details;
    const is = now.details;
    if (typeof was === 'object') {
      const fields = typeof is === 'object' ? is : { properties: [], required: [] };
      for (const field of was.properties) {
        if (!fields.properties.includes(field)) add('breaking', code, `details.${field} removed`);
        else if (!was.required.includes(field) && fields.required.includes(field))
          add('breaking', code, `details.${field} made required`);
      }
      for (const field of fields.properties) if (!was.properties.includes(field)) added(code, field, fields);
    } else if (typeof is === 'object' && was === undefined) {
      for (const field of is.properties) added(code, field, is);
    } else if (typeof is === 'object') {
      // Opaque before: which fields it had is unknown, so none is called breaking.
      for (const field of is.properties) add('additive', code, `details.${field} added`);
    }
    for (const member of old.members ?? [])
      if (!now.members?.includes(member)) add('breaking', code, `member ${member} removed`);
    for (const member of now.members ?? [])
      if (!old.members?.includes(member)) add('additive', code, `member ${member} added`);
  }
  for (const code of Object.keys(after.codes)) if (!before.codes[code]) add('additive', code, 'code added');
  return diff;
}
