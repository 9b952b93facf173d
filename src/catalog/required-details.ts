// Apart from json-schema.ts, whose schema code a client that only reads errors never loads.
import type { StandardSchemaV1 } from '@standard-schema/spec';

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

/** What `detailsFit` reads of a catalog entry. */
export interface DetailsContract {
  readonly requiredDetails: readonly string[] | undefined;
  /** The entry's schema: there in a catalog defined in this process, absent in one read from JSON. */
  readonly details?: StandardSchemaV1 | undefined;
}

/**
 * Whether `details` are what an entry promises: its required fields, and where the entry carries its
 * schema, details the schema takes (`{ sessionId: 5 }` is no `{ sessionId: string }`). A schema that
 * answers only asynchronously, or throws, cannot vouch for them here: the required fields decide, and a
 * throw is no fit. Runs only when asked (`is`, or reading an answer whose entry has a schema).
 */
export function detailsFit(details: unknown, entry: DetailsContract): boolean {
  const schema = entry.details;
  if (!holdsRequiredDetails(details, entry.requiredDetails)) return false;
  if (details === undefined || !schema) return true;
  try {
    const result = schema['~standard'].validate(details) as Partial<PromiseLike<unknown>> & {
      issues?: unknown;
    };
    if (result.then === undefined) return !result.issues;
    // A promise is never awaited here: its failure must not surface as an unhandled rejection.
    result.then(undefined, () => {});
    return true;
  } catch {
    return false;
  }
}
