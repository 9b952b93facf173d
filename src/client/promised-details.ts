import type { StandardSchemaV1 } from '../catalog/types.js';
import type { ErrorFormat } from '../format/types.js';

const placing = new WeakMap<Pick<ErrorFormat, 'spec'>, boolean>();
const requiring = new WeakMap<StandardSchemaV1, boolean>();

/** Whether a declaration references details outside alternatives (`$first`), walked as the data it is. */
function placesDetails(node: unknown): boolean {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return false;
  if ('$field' in node) return node.$field === 'details';
  // Details inside alternatives are carried by some bodies only; a literal carries nothing.
  if ('$first' in node || '$literal' in node) return false;
  return Object.values(node).some(placesDetails);
}

/**
 * Whether a format places details outside alternatives: the runtime side of `DetailsCarriageOf`'s
 * `'always'`, under which a client types a code's details as its schema does.
 */
export function carriesDetails(format: Pick<ErrorFormat, 'spec'>): boolean {
  let known = placing.get(format);
  if (known === undefined) {
    known = placesDetails(format.spec);
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
