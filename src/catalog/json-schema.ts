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
