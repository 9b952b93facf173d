/**
 * Whether a format's declaration places details outside alternatives (`$first`): the runtime side of
 * `DetailsCarriageOf`'s `'always'`, under which a client types a code's details as its schema does. The
 * declaration is walked as the data it is, on the error path only: no cache to ship.
 */
export function carriesDetails(node: unknown): boolean {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return false;
  if ('$field' in node) return node.$field === 'details';
  // Details inside alternatives are carried by some bodies only; a literal carries nothing.
  if ('$first' in node || '$literal' in node) return false;
  return Object.values(node).some(carriesDetails);
}
