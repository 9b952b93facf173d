import { builtinProse, hasBuiltinProse, problemJsonPaths } from './builtin-prose.js';
import { FaultlineConfigError } from './config-error.js';
import { type BuiltinRole, type StandardCode, standardDefinitions } from './standard.js';
import type { ErrorDefinition } from './types.js';

/** A catalog entry before it is checked and derived: a definition and the built-in roles it answers for. */
export interface RawEntry extends ErrorDefinition {
  roles?: readonly BuiltinRole[];
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: codes must not hold control characters
export const invalidCode = /[\s\u0000-\u001f\u007f]/;
export const standardGroup = 'http';

/**
 * The roles the server core raises for every API, whatever it mounts: a catalog cannot omit their codes,
 * since every request could be answered with one, unless an entry of its own claims the role.
 */
export const coreRoles: ReadonlySet<BuiltinRole> = new Set<BuiltinRole>([
  'badRequest',
  'validationFailed',
  'malformedJson',
  'notFound',
  'methodNotAllowed',
  'requestTimeout',
  'bodyTooLarge',
  'unsupportedMediaType',
  'internalError',
]);

/**
 * The entry answering for `roles` instead of its own: a description or fix that is faultline's text for
 * its old roles is reworded for the new ones, so that a claim which moves a role keeps no stale prose;
 * an author's text is kept as written. An entry left with no HTTP role keeps its text.
 */
export function withRoles(entry: RawEntry, roles: readonly BuiltinRole[]): RawEntry {
  // WebSocket roles have no prose of their own: the HTTP ones word the text.
  const was = (entry.roles ?? []).filter(hasBuiltinProse);
  const worded = roles.filter(hasBuiltinProse);
  if (worded.length === 0 || was.length === 0) return { ...entry, roles };
  const old = builtinProse(was, problemJsonPaths);
  const now = builtinProse(worded, problemJsonPaths);
  return {
    ...entry,
    roles,
    description: entry.description === old.description ? now.description : entry.description,
    fix: entry.fix === old.fix ? now.fix : entry.fix,
  };
}

type StandardDefinition = (typeof standardDefinitions)[StandardCode] & { retryable?: boolean };

function checkRenames(renames: Readonly<Record<string, unknown>>): void {
  for (const [from, to] of Object.entries(renames)) {
    if (
      !Object.hasOwn(standardDefinitions, from) ||
      typeof to !== 'string' ||
      to === '' ||
      invalidCode.test(to)
    ) {
      throw new FaultlineConfigError('FAULTLINE_INVALID_RENAME', `${from} → ${String(to)}`);
    }
  }
}

function checkOmit(
  omit: readonly unknown[],
  renames: Readonly<Record<string, string>>,
  claimed: ReadonlySet<string>,
): Set<string> {
  const targets = new Set(Object.values(renames));
  for (const code of omit) {
    if (typeof code !== 'string' || !Object.hasOwn(standardDefinitions, code)) {
      throw new FaultlineConfigError('FAULTLINE_INVALID_OMIT', `${String(code)} is not a standard code`);
    }
    if (code in renames || targets.has(code)) {
      throw new FaultlineConfigError('FAULTLINE_INVALID_OMIT', `${code} is renamed, so the API sends it`);
    }
    const role = standardDefinitions[code as StandardCode].role;
    // A core role an entry of the API claims is answered by that entry: its standard code may go.
    if (coreRoles.has(role) && !claimed.has(role)) {
      throw new FaultlineConfigError(
        'FAULTLINE_INVALID_OMIT',
        `${code} answers for ${role}, which the server core raises for every API`,
      );
    }
  }
  return new Set(omit as string[]);
}

/**
 * The standard entries of a catalog, under their new names, without the omitted ones. Codes renamed to one
 * name become one entry that answers for each of their roles, when they share a status.
 */
export function standardEntries(
  rename: Readonly<Record<string, string>> | undefined,
  omit: readonly unknown[] | undefined,
  claimed: ReadonlySet<string> = new Set(),
): Map<string, RawEntry> {
  const renames: Record<string, string> = { ...rename };
  checkRenames(renames);
  const omitted = checkOmit(omit ?? [], renames, claimed);
  const raw = new Map<string, RawEntry>();
  const sources = new Map<string, StandardCode[]>();
  for (const [code, definition] of Object.entries(standardDefinitions) as [
    StandardCode,
    StandardDefinition,
  ][]) {
    if (omitted.has(code)) continue;
    const name = renames[code] ?? code;
    const { role, ...rest } = definition;
    const entry = raw.get(name);
    if (entry === undefined) {
      raw.set(name, { ...rest, group: standardGroup, roles: [role] });
      sources.set(name, [code]);
      continue;
    }
    const first = sources.get(name)![0]!;
    if (entry.status !== definition.status) {
      const firstRole = standardDefinitions[first].role;
      throw new FaultlineConfigError(
        'FAULTLINE_INVALID_RENAME',
        `${first} (${firstRole}, ${entry.status}) and ${code} (${role}, ${definition.status}) → ${name}: one code answers with one status`,
      );
    }
    const roles = [...entry.roles!, role];
    raw.set(name, { ...entry, roles, ...builtinProse(roles, problemJsonPaths) });
    sources.get(name)!.push(code);
  }
  return raw;
}
