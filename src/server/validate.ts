import type { StandardSchemaV1 } from '@standard-schema/spec';
import { roleError } from '../catalog/role-error.js';
import { fieldErrorsOf } from './normalize.js';

/**
 * Validates a value with any Standard Schema (zod, valibot, arktype) and returns its output; on failure
 * throws the validation error with one field error per issue, which the catalog answers under its own code.
 * @example
 * const body = await validate(z.object({ email: z.email() }), await readJson(req));
 */
export async function validate<S extends StandardSchemaV1>(
  schema: S,
  value: unknown,
): Promise<StandardSchemaV1.InferOutput<S>> {
  let result = schema['~standard'].validate(value);
  if (result instanceof Promise) result = await result;
  if (result.issues) {
    throw roleError('validationFailed', { fieldErrors: fieldErrorsOf(result.issues) ?? [] });
  }
  return result.value as StandardSchemaV1.InferOutput<S>;
}
