import type { FieldOptions } from './field-definition.js';
import type { eventFieldReaders, fieldReaders } from './field-readers.js';

/** A field of the error a declaration can place: one per row of the field table. */
type FieldName = keyof typeof fieldReaders | keyof typeof eventFieldReaders;

/** Compiled form of a declaration node. */
export type Node =
  | { kind: 'literal'; value: unknown; json: string }
  | { kind: 'field'; field: FieldName; missing: 'omit' | 'null'; options: FieldOptions }
  | { kind: 'first'; alternatives: Node[] }
  | { kind: 'object'; members: { key: string; keyJson: string; node: Node }[] };

/**
 * The nodes of a declaration, without checking it: `compileSpec` checks a declaration where it is made
 * (and names what is wrong); a reader walks declarations that were checked, or that it ships.
 */
export function specNode(spec: unknown): Node {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    return { kind: 'literal', value: spec, json: JSON.stringify(spec) };
  }
  const declared = spec as Record<string, unknown>;
  if ('$literal' in declared) {
    return { kind: 'literal', value: declared.$literal, json: JSON.stringify(declared.$literal) };
  }
  if ('$field' in declared) {
    const { $field, ...options } = declared as unknown as FieldOptions & { $field: FieldName };
    return { kind: 'field', field: $field, missing: options.missing === 'null' ? 'null' : 'omit', options };
  }
  if ('$first' in declared) {
    return { kind: 'first', alternatives: (declared.$first as unknown[]).map(specNode) };
  }
  return {
    kind: 'object',
    members: Object.entries(declared).map(([key, value]) => ({
      key,
      keyJson: `${JSON.stringify(key)}:`,
      node: specNode(value),
    })),
  };
}
