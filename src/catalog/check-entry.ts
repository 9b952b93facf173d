import { FaultlineConfigError } from './config-error.js';
import { inputJsonSchema } from './json-schema.js';
import { invalidCode, type RawEntry } from './standard-entries.js';
import { isCatalogStatus } from './status.js';
import type { GroupInfo } from './types.js';
import { checkWsBehaviour } from './ws-codes.js';

function detailsFields(entry: RawEntry): Set<string> | undefined {
  const properties = inputJsonSchema(entry.details)?.properties;
  return properties && typeof properties === 'object' ? new Set(Object.keys(properties)) : undefined;
}

/** Checks what every entry needs: a valid code, status, message, id, WebSocket block and group. */
export function checkEntry(code: string, entry: RawEntry, groups: GroupInfo[] | undefined): void {
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

/** Each `{field}` of a message names a field of the entry's details, when the schema can tell. */
export function checkPlaceholders(code: string, entry: RawEntry, placeholders: readonly string[]): void {
  if (placeholders.length === 0) return;
  if (!entry.details) {
    throw new FaultlineConfigError(
      'FAULTLINE_PLACEHOLDER_WITHOUT_FIELD',
      `${code} uses {${placeholders[0]}}`,
    );
  }
  const fields = detailsFields(entry);
  if (!fields) return;
  for (const placeholder of placeholders) {
    const field = placeholder.split('.')[0]!;
    if (!fields.has(field)) {
      throw new FaultlineConfigError('FAULTLINE_PLACEHOLDER_WITHOUT_FIELD', `${code} uses {${placeholder}}`);
    }
  }
}

/** A collapsed code lists distinct reasons and takes nothing that could change its body. */
export function checkCollapse(code: string, entry: RawEntry, placeholders: readonly string[]): void {
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

const validName = (name: unknown): name is string =>
  typeof name === 'string' && name !== '' && name !== '__proto__' && !invalidCode.test(name);

/**
 * The members of an entry as member name → details field, checked: each names a field of its details (when
 * the schema can tell), under a distinct name. `undefined` for an entry without members.
 */
export function membersOfEntry(code: string, entry: RawEntry): Readonly<Record<string, string>> | undefined {
  const declared: unknown = entry.members;
  if (declared === undefined) return undefined;
  const pairs: [unknown, unknown][] = Array.isArray(declared)
    ? declared.map((field) => [field, field])
    : typeof declared === 'object' && declared !== null
      ? Object.entries(declared)
      : [];
  const fail = (why: string) => new FaultlineConfigError('FAULTLINE_INVALID_MEMBERS', `${code}: ${why}`);
  if (pairs.length === 0) throw fail('members must list at least one details field');
  if (!entry.details) throw fail('members are taken from details, and the entry has no details schema');
  const fields = detailsFields(entry);
  const members: Record<string, string> = {};
  for (const [name, field] of pairs) {
    if (!validName(name) || !validName(field)) throw fail(`invalid member ${JSON.stringify(name)}`);
    if (Object.hasOwn(members, name)) throw fail(`member ${name} is listed twice`);
    if (fields && !fields.has(field))
      throw fail(`member ${name} names ${field}, which is not a details field`);
    members[name] = field;
  }
  return Object.freeze(members);
}
