/**
 * The subset of JSON Schema the real-time configuration accepts: `type`, `properties`, `required`,
 * `enum`, `items`. A schema using anything else is refused as invalid, values are checked against it.
 *
 * Both checks stay linear in what they read: a check stops at `maxProblems`, an enum is looked up in a
 * set built once per schema, and an object's properties are found from its own keys. Otherwise a schema
 * stored once (a large `enum`, many `properties`) times a small body of many values costs their product.
 */
type Schema = {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: unknown[];
  items?: Schema;
};

/** A field error of a value: where (a JSON Pointer) and why. */
export interface FieldProblem {
  readonly pointer: string;
  readonly detail: string;
}

/** The most problems one check reports; it stops at the next, and says more were left out. */
export const maxProblems = 20;
/** An enum of at most this many values is spelled out in its field error; a longer one is counted. */
const listedEnum = 5;

const types = new Set(['object', 'string', 'number', 'integer', 'boolean', 'array', 'null']);
const keywords = new Set(['type', 'properties', 'required', 'enum', 'items', 'description', 'title']);

/** Problems found so far, and whether the check has reached the cap and must stop. */
class Problems<T> {
  readonly list: T[] = [];
  #truncated = false;

  constructor(private readonly more: T) {}

  get full(): boolean {
    return this.#truncated;
  }

  add(problem: T): void {
    if (this.list.length < maxProblems) this.list.push(problem);
    else this.#truncated = true;
  }

  /** The problems, ending with the note that more were left out when the cap was hit. */
  result(): T[] {
    return this.#truncated ? [...this.list, this.more] : this.list;
  }
}

const more = `more problems follow; the first ${maxProblems} are listed`;

/** The problems of a schema definition (at most `maxProblems`, then a note); empty when it is usable. */
export function schemaProblems(schema: unknown): string[] {
  const problems = new Problems<string>(more);
  checkSchema(schema, '', problems);
  return problems.result();
}

function checkSchema(schema: unknown, path: string, problems: Problems<string>): void {
  if (problems.full) return;
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    problems.add(`${path || '/'} must be an object`);
    return;
  }
  const s = schema as Record<string, unknown>;
  for (const key of Object.keys(s)) {
    if (problems.full) return;
    if (!keywords.has(key)) problems.add(`${path}/${key} is not supported`);
  }
  if (s.type !== undefined && !(typeof s.type === 'string' && types.has(s.type)))
    problems.add(`${path}/type is not a JSON Schema type`);
  // JSON Schema requires the names to be unique; a repeated one would also be checked again on every value.
  if (
    s.required !== undefined &&
    !(
      Array.isArray(s.required) &&
      s.required.every((r) => typeof r === 'string') &&
      new Set(s.required).size === s.required.length
    )
  )
    problems.add(`${path}/required must list distinct property names`);
  if (s.enum !== undefined && !Array.isArray(s.enum)) problems.add(`${path}/enum must be an array`);
  if (s.properties !== undefined) {
    if (typeof s.properties !== 'object' || s.properties === null)
      problems.add(`${path}/properties must be an object`);
    else
      for (const [name, sub] of Object.entries(s.properties)) {
        if (problems.full) return;
        checkSchema(sub, `${path}/properties/${name}`, problems);
      }
  }
  if (s.items !== undefined) checkSchema(s.items, `${path}/items`, problems);
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (Number.isInteger(value)) return 'integer';
  return typeof value;
}

/** Each stored enum as a set, built on its first use; it goes with the schema that holds it. */
const enumSets = new WeakMap<unknown[], ReadonlySet<unknown>>();

function enumSet(values: unknown[]): ReadonlySet<unknown> {
  let set = enumSets.get(values);
  if (!set) {
    // A set's SameValueZero is `===` on JSON values: both take 0 and -0 as equal, and JSON has no NaN.
    set = new Set(values);
    enumSets.set(values, set);
  }
  return set;
}

const enumDetail = (values: unknown[]) =>
  values.length <= listedEnum
    ? `Must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}`
    : `Must be one of the ${values.length} values the schema allows`;

/**
 * Field errors of `value` against a valid schema, as JSON Pointers: at most `maxProblems`, then a note
 * that more were left out.
 */
export function valueProblems(schema: Schema, value: unknown): FieldProblem[] {
  const problems = new Problems<FieldProblem>({ pointer: '', detail: more });
  checkValue(schema, value, '', problems);
  return problems.result();
}

function checkValue(schema: Schema, value: unknown, pointer: string, problems: Problems<FieldProblem>): void {
  if (problems.full) return;
  const actual = typeOf(value);
  if (schema.type && !(schema.type === actual || (schema.type === 'number' && actual === 'integer'))) {
    problems.add({ pointer, detail: `Expected ${schema.type}, received ${actual}` });
    return;
  }
  if (schema.enum && !enumSet(schema.enum).has(value))
    problems.add({ pointer, detail: enumDetail(schema.enum) });
  if (actual === 'object') {
    const object = value as Record<string, unknown>;
    // The names are distinct (checked with the schema), so a name found here is a key of the value's own.
    for (const name of schema.required ?? []) {
      if (problems.full) return;
      if (!Object.hasOwn(object, name)) problems.add({ pointer: `${pointer}/${name}`, detail: 'Required' });
    }
    const properties = schema.properties ?? {};
    for (const [name, item] of Object.entries(object)) {
      if (problems.full) return;
      if (Object.hasOwn(properties, name))
        checkValue(properties[name]!, item, `${pointer}/${name}`, problems);
    }
  }
  if (actual === 'array' && schema.items) {
    const items = value as unknown[];
    for (let i = 0; i < items.length && !problems.full; i++)
      checkValue(schema.items, items[i], `${pointer}/${i}`, problems);
  }
}
