import type { StandardSchemaV1 } from '@standard-schema/spec';

type WithJsonSchema = { jsonSchema?: { input(options: { target: string }): Record<string, unknown> } };

/**
 * The JSON Schema of a details schema's input, when its library exposes one (Standard JSON Schema:
 * zod 4, arktype); `undefined` for a library that does not, or a schema it cannot convert.
 */
export function inputJsonSchema(schema: StandardSchemaV1 | undefined): Record<string, unknown> | undefined {
  const standard = schema?.['~standard'] as WithJsonSchema | undefined;
  try {
    return standard?.jsonSchema?.input({ target: 'draft-2020-12' });
  } catch {
    return undefined;
  }
}

/**
 * The `requiredDetails` of an entry: `undefined` when its schema takes `undefined` (details may be left out),
 * else the fields its JSON Schema requires. A schema that validates asynchronously cannot tell at definition,
 * and counts as taking `undefined`.
 */
export function requiredDetailsOf(schema: StandardSchemaV1 | undefined): readonly string[] | undefined {
  if (!schema) return undefined;
  let result: ReturnType<StandardSchemaV1['~standard']['validate']>;
  try {
    result = schema['~standard'].validate(undefined);
  } catch {
    return undefined;
  }
  if (result instanceof Promise) {
    result.catch(() => undefined);
    return undefined;
  }
  if (result.issues === undefined) return undefined;
  const required = inputJsonSchema(schema)?.required;
  return Object.freeze(Array.isArray(required) ? required.filter((f) => typeof f === 'string') : []);
}
