import {
  builtinProse,
  hasBuiltinProse,
  type ProsePaths,
  problemJsonPaths,
} from '../catalog/builtin-prose.js';
import { inputJsonSchema } from '../catalog/json-schema.js';
import type { CatalogEntry } from '../catalog/types.js';
import { fieldsOf } from '../format/spec.js';
import type { ErrorFormat } from '../format/types.js';

/** Where a format puts the members built-in prose names (field errors, details). */
export function prosePathsOf(format: ErrorFormat): ProsePaths {
  const placements = fieldsOf(format.spec);
  const pathOf = (field: 'errors' | 'details') => placements.find((p) => p.field === field)?.path.join('.');
  return { errors: pathOf('errors'), details: pathOf('details') };
}

/**
 * An entry's description and fix as a page in a format shows them: faultline's own text for a built-in
 * (one it did not replace) is worded for where the format puts the members it names, or says nothing of
 * a member the format does not carry; an author's text is shown as written.
 */
export function entryProse(
  entry: CatalogEntry,
  paths: ProsePaths,
): { description: string | undefined; fix: string | undefined } {
  const roles = entry.roles.filter(hasBuiltinProse);
  if (roles.length === 0) return { description: entry.description, fix: entry.fix };
  const standard = builtinProse(roles, problemJsonPaths);
  const adapted = builtinProse(roles, paths);
  return {
    description: entry.description === standard.description ? adapted.description : entry.description,
    fix: entry.fix === standard.fix ? adapted.fix : entry.fix,
  };
}

/** One member a code adds at the top level of its body, for reference pages and OpenAPI. */
export interface DocMember {
  /** The member's name in the body. */
  name: string;
  /** The details field it holds. */
  field: string;
  /** The JSON Schema of its value, from the details schema (`{}` when it cannot be introspected). */
  schema: Record<string, unknown>;
  /** Whether every body of the code holds it (a required field of required details). */
  required: boolean;
}

/**
 * The members an entry adds to its body in a format, described from its details schema; a member the format
 * declares itself is never written, so it is not listed.
 */
export function docMembers(entry: CatalogEntry, format: ErrorFormat): DocMember[] {
  if (entry.members === undefined) return [];
  const schema = inputJsonSchema(entry.details);
  const properties = (schema?.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set(
    schema?.type === 'object' && Array.isArray(schema.required) ? (schema.required as string[]) : [],
  );
  const written = Object.entries(entry.members).filter(([name]) => !Object.hasOwn(format.spec, name));
  return written.map(([name, field]) => {
    const { $schema: _, ...own } = properties[field] ?? {};
    return { name, field, schema: own, required: required.has(field) };
  });
}

/** A short name of a member's type: `string`, `integer | null`, or nothing when the schema does not say. */
function typeLabel(schema: Record<string, unknown>): string | undefined {
  const type = schema.type;
  if (typeof type === 'string') return type;
  if (Array.isArray(type) && type.every((t) => typeof t === 'string')) return type.join(' | ');
  return undefined;
}

/** The sentence a reference page adds to the description of a code with members. */
export function membersSentence(members: readonly DocMember[]): string | undefined {
  if (members.length === 0) return undefined;
  const names = members.map((m) => {
    const type = typeLabel(m.schema);
    return `\`${m.name}\`${type ? ` (${type})` : ''}`;
  });
  const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  return `The body also carries ${list}.`;
}

/** A value of a member's schema for example bodies: its own example or default, else one of its type. */
export function sampleValue(schema: Record<string, unknown>, name: string): unknown {
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'integer':
    case 'number':
      return 0;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'object':
      return {};
    case 'null':
      return null;
    default:
      return `<${name}>`;
  }
}
