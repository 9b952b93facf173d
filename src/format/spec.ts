import { FaultlineConfigError } from '../catalog/config-error.js';
import { type ErrorField, errorFields, type FieldDefinition, type FieldOptions } from './fields.js';
import { type Node, specNode } from './spec-node.js';

/** A reference to a field of the error, placed in the body. Plain data: `{ "$field": "code" }`. */
export interface FieldRef extends FieldOptions {
  readonly $field: ErrorField;
}

/** The first alternative that has a value: `{ "$first": [...] }`. */
export interface FirstOf {
  readonly $first: readonly EnvelopeNode[];
}

/** A literal value written as is, for values that would otherwise read as a declaration. */
export interface Literal {
  readonly $literal: unknown;
}

/** A node of an envelope declaration: a literal, a field reference, an alternative or a nested object. */
export type EnvelopeNode =
  | string
  | number
  | boolean
  | null
  | FieldRef
  | FirstOf
  | Literal
  | readonly (string | number | boolean | null)[]
  | { readonly [key: string]: EnvelopeNode };

/** An envelope declaration: an object whose leaves are literals and field references. */
export type EnvelopeSpec = { readonly [key: string]: EnvelopeNode };

/** Details referenced inside an alternative: another alternative may stand in their place. */
type InAlternative<R> = R extends 'details' ? 'details?' : R;

/** The fields a declaration references, as a union (every field when the declaration's type is widened). */
type RefsOf<N> = N extends { readonly $field: infer F }
  ? F
  : N extends { readonly $first: infer A extends readonly unknown[] }
    ? readonly EnvelopeNode[] extends A
      ? ErrorField
      : InAlternative<RefsOf<A[number]>>
    : N extends { readonly $literal: unknown }
      ? never
      : N extends readonly unknown[]
        ? never
        : N extends object
          ? string extends keyof N
            ? ErrorField
            : { [K in keyof N]: RefsOf<N[K]> }[keyof N]
          : never;

/**
 * Whether a declaration carries details: `always` when it references them outside alternatives, `never`
 * when nowhere, `maybe` when only in alternatives (or when its type is too wide to tell).
 */
export type SpecCarriageOf<S> =
  ErrorField extends RefsOf<S>
    ? 'maybe'
    : 'details' extends RefsOf<S>
      ? 'always'
      : 'details?' extends RefsOf<S>
        ? 'maybe'
        : 'never';

/** `field.code`, `field.message`, …: a reference to each field of the field table, without options. */
type FieldShorthands = { readonly [F in ErrorField]: { readonly $field: F } };

/**
 * References to the fields of an error, for envelope declarations: `field.code` for a field as it is,
 * `field(name, options)` for one with options. A declaration is plain data, so the same can be written
 * as JSON: `{ "$field": "errors", "style": "path" }`, alternatives as `{ "$first": [...] }`, and a value
 * that would read as a declaration as `{ "$literal": ... }`.
 * @example
 * envelope({ success: false, code: field.code, error: field.message });
 * envelope({ error_id: field('correlationId', { missing: 'null' }), code: field.code }); // null when absent
 * envelope({ code: field.code, details: { $first: [field('errors', { style: 'path' }), field.details] } });
 * envelope({ type: 'error', at: field('timestamp', { unit: 'ms' }), meta: field('echo', { path: 'metadata' }) });
 */
export interface Field extends FieldShorthands {
  <const F extends ErrorField, const O extends FieldOptions = {}>(
    name: F,
    options?: O,
  ): { readonly $field: F } & O;
}

export const field: Field = Object.freeze(
  Object.assign(
    (name: ErrorField, options?: FieldOptions) => ({ ...options, $field: name }),
    Object.fromEntries(Object.keys(errorFields).map((name) => [name, Object.freeze({ $field: name })])),
  ),
) as never;

export type { Node } from './spec-node.js';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks a declaration; a wrong one fails here, naming the path. */
// The JSON of a value, or `undefined` for one that has none (a function, a cycle, a BigInt).
function jsonOf(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

// Deeper than any envelope an API writes; a declaration past it (or one that refers to itself) is refused
// here rather than overflowing the stack.
const maxDepth = 32;

function checkSpec(spec: unknown, path: string, depth = 0): void {
  if (spec === null || typeof spec === 'string' || typeof spec === 'number' || typeof spec === 'boolean')
    return;
  if (depth > maxDepth)
    throw new FaultlineConfigError(
      'FAULTLINE_INVALID_FORMAT',
      `${path.slice(0, 200)}: nested deeper than ${maxDepth}`,
    );
  if (Array.isArray(spec)) {
    const json = jsonOf(spec);
    if (json === undefined)
      throw new FaultlineConfigError('FAULTLINE_INVALID_FORMAT', `${path}: an array that has no JSON`);
    if (json.includes('"$field"') || json.includes('"$first"')) {
      throw new FaultlineConfigError(
        'FAULTLINE_INVALID_FORMAT',
        `${path}: arrays cannot hold field references`,
      );
    }
    return;
  }
  if (!isPlainObject(spec))
    throw new FaultlineConfigError('FAULTLINE_INVALID_FORMAT', `${path}: ${typeof spec}`);
  if ('$literal' in spec) {
    if (jsonOf(spec.$literal) === undefined)
      throw new FaultlineConfigError('FAULTLINE_INVALID_FORMAT', `${path}: literal has no JSON`);
    return;
  }
  if ('$field' in spec) {
    const name = spec.$field;
    if (typeof name !== 'string' || !Object.hasOwn(errorFields, name)) {
      throw new FaultlineConfigError(
        'FAULTLINE_INVALID_FORMAT',
        `${path}: unknown field ${JSON.stringify(name)}`,
      );
    }
    const { $field: _, ...options } = spec as unknown as FieldRef;
    if (options.missing !== undefined && options.missing !== 'omit' && options.missing !== 'null') {
      throw new FaultlineConfigError(
        'FAULTLINE_INVALID_FORMAT',
        `${path}: missing must be 'omit' or 'null', not ${JSON.stringify(options.missing)}`,
      );
    }
    const definition: FieldDefinition = errorFields[name as ErrorField];
    definition.check?.(options, path);
    return;
  }
  if ('$first' in spec) {
    if (!Array.isArray(spec.$first) || spec.$first.length === 0) {
      throw new FaultlineConfigError('FAULTLINE_INVALID_FORMAT', `${path}: $first needs alternatives`);
    }
    for (const [i, alt] of spec.$first.entries()) checkSpec(alt, `${path}.$first[${i}]`, depth + 1);
    return;
  }
  for (const [key, value] of Object.entries(spec)) checkSpec(value, `${path}.${key}`, depth + 1);
}

/** Checks a declaration and turns it into nodes; a wrong declaration fails here, naming the path. */
export function compileSpec(spec: unknown, path = '$'): Node {
  checkSpec(spec, path);
  return specNode(spec);
}

/** Whether a node always yields a value, whatever the error holds. */
export function isAlwaysPresent(node: Node): boolean {
  switch (node.kind) {
    case 'literal':
      return true;
    case 'field':
      return node.missing === 'null' || errorFields[node.field].always;
    case 'first':
      return node.alternatives.some(isAlwaysPresent);
    case 'object':
      return node.members.some((m) => isAlwaysPresent(m.node));
  }
}

/** One place a declaration puts a field: its path in the body, and whether the body always holds it there. */
export interface FieldPlacement {
  readonly field: ErrorField;
  /** Keys from the body's root, e.g. `['error', 'code']`. */
  readonly path: readonly string[];
  /** The member is written for every error (a field every error has, or one declared `missing: 'null'`) and is not an alternative. */
  readonly always: boolean;
  readonly options: FieldOptions;
}

/**
 * Where a declaration places each field, in body order; a field inside `{ $first: [...] }` is listed with
 * `always: false`, since another alternative may stand in its place.
 * @example
 * fieldsOf(commonFormats.problemJson.spec).find((p) => p.field === 'correlationId'); // { path: ['correlation_id'], always: false, … }
 */
export function fieldsOf(spec: EnvelopeSpec): FieldPlacement[] {
  const placements: FieldPlacement[] = [];
  const walk = (node: Node, path: string[], certain: boolean): void => {
    switch (node.kind) {
      case 'literal':
        return;
      case 'field':
        placements.push({
          field: node.field,
          path,
          always: certain && isAlwaysPresent(node),
          options: node.options,
        });
        return;
      case 'first':
        for (const alternative of node.alternatives) walk(alternative, path, false);
        return;
      case 'object':
        for (const member of node.members) walk(member.node, [...path, member.key], certain);
    }
  };
  walk(compileSpec(spec), [], true);
  return placements;
}
