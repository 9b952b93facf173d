import type { StandardSchemaV1 } from '../catalog/types.js';
import { compileSpec, type Node } from '../format/spec.js';
import type { ErrorFormat } from '../format/types.js';

const placing = new WeakMap<ErrorFormat, boolean>();
const requiring = new WeakMap<StandardSchemaV1, boolean>();

function placesDetails(node: Node): boolean {
  if (node.kind === 'field') return node.field === 'details';
  // Details inside alternatives (`first`) are carried by some bodies only.
  return node.kind === 'object' && node.members.some((member) => placesDetails(member.node));
}

/**
 * Whether a format places details outside alternatives: the runtime side of `DetailsCarriageOf`'s
 * `'always'`, under which a client types a code's details as its schema does.
 */
export function carriesDetails(format: ErrorFormat): boolean {
  let known = placing.get(format);
  if (known === undefined) {
    try {
      known = placesDetails(compileSpec(format.spec));
    } catch {
      known = false;
    }
    placing.set(format, known);
  }
  return known;
}

/** Whether a details schema refuses `undefined`: a code whose every error carries details. */
export async function requiresDetails(schema: StandardSchemaV1): Promise<boolean> {
  let known = requiring.get(schema);
  if (known === undefined) {
    try {
      known = (await schema['~standard'].validate(undefined)).issues !== undefined;
    } catch {
      known = false;
    }
    requiring.set(schema, known);
  }
  return known;
}
