/**
 * The subset of JSON Schema the real-time configuration accepts: `type`, `properties`, `required`,
 * `enum`, `items`. A schema using anything else is refused as invalid, values are checked against it.
 */
type Schema = {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: unknown[];
  items?: Schema;
};

const types = new Set(['object', 'string', 'number', 'integer', 'boolean', 'array', 'null']);
const keywords = new Set(['type', 'properties', 'required', 'enum', 'items', 'description', 'title']);

/** The problems of a schema definition; empty when it is usable. */
export function schemaProblems(schema: unknown, path = ''): string[] {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema))
    return [`${path || '/'} must be an object`];
  const s = schema as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(s)) if (!keywords.has(key)) problems.push(`${path}/${key} is not supported`);
  if (s.type !== undefined && !(typeof s.type === 'string' && types.has(s.type)))
    problems.push(`${path}/type is not a JSON Schema type`);
  if (
    s.required !== undefined &&
    !(Array.isArray(s.required) && s.required.every((r) => typeof r === 'string'))
  )
    problems.push(`${path}/required must list property names`);
  if (s.enum !== undefined && !Array.isArray(s.enum)) problems.push(`${path}/enum must be an array`);
  if (s.properties !== undefined) {
    if (typeof s.properties !== 'object' || s.properties === null)
      problems.push(`${path}/properties must be an object`);
    else
      for (const [name, sub] of Object.entries(s.properties))
        problems.push(...schemaProblems(sub, `${path}/properties/${name}`));
  }
  if (s.items !== undefined) problems.push(...schemaProblems(s.items, `${path}/items`));
  return problems;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (Number.isInteger(value)) return 'integer';
  return typeof value;
}

/** Field errors of `value` against a valid schema, as JSON Pointers. */
export function valueProblems(
  schema: Schema,
  value: unknown,
  pointer = '',
): { pointer: string; detail: string }[] {
  const problems: { pointer: string; detail: string }[] = [];
  const actual = typeOf(value);
  if (schema.type && !(schema.type === actual || (schema.type === 'number' && actual === 'integer')))
    return [{ pointer, detail: `Expected ${schema.type}, received ${actual}` }];
  if (schema.enum && !schema.enum.some((v) => v === value))
    problems.push({
      pointer,
      detail: `Must be one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`,
    });
  if (actual === 'object') {
    const object = value as Record<string, unknown>;
    for (const name of schema.required ?? [])
      if (!Object.hasOwn(object, name)) problems.push({ pointer: `${pointer}/${name}`, detail: 'Required' });
    for (const [name, sub] of Object.entries(schema.properties ?? {}))
      if (Object.hasOwn(object, name))
        problems.push(...valueProblems(sub, object[name], `${pointer}/${name}`));
  }
  if (actual === 'array' && schema.items)
    (value as unknown[]).forEach((item, i) => {
      problems.push(...valueProblems(schema.items!, item, `${pointer}/${i}`));
    });
  return problems;
}
