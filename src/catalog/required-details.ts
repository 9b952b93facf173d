// Apart from json-schema.ts, whose schema code a client that only reads errors never loads.
/**
 * Whether `details` hold what an entry's `requiredDetails` ask for: anything when they may be left out,
 * else details that are there, with each required field.
 */
export function holdsRequiredDetails(details: unknown, required: readonly string[] | undefined): boolean {
  if (required === undefined) return true;
  if (details === undefined) return false;
  if (required.length === 0) return true;
  return (
    typeof details === 'object' &&
    details !== null &&
    required.every((field) => Object.hasOwn(details, field))
  );
}
