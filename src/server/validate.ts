import type { StandardSchemaV1 } from '@standard-schema/spec';
import { roleError } from '../catalog/role-error.js';
import { fieldErrorsOf } from './normalize.js';
import { isThenable } from './thenable.js';

type Result = StandardSchemaV1.Result<unknown>;

/**
 * Validates a value with any Standard Schema (zod, valibot, arktype) and returns its output; on failure
 * rejects with the validation error, one field error per issue, which the catalog answers under its own
 * code. A schema that throws rejects with what it threw.
 * @example
 * const body = await validate(z.object({ email: z.email() }), await readJson(req));
 */
export function validate<S extends StandardSchemaV1>(
  schema: S,
  value: unknown,
): Promise<StandardSchemaV1.InferOutput<S>> {
  try {
    const result: Result | PromiseLike<Result> = schema['~standard'].validate(value);
    // Any thenable is awaited: a schema's promise of another realm or library has no `issues` of its own.
    if (isThenable(result))
      return Promise.resolve(result).then(outcome) as Promise<StandardSchemaV1.InferOutput<S>>;
    // A failure is a rejected promise, not a throw: unwinding a throw costs more than the rest of the
    // validation (about a microsecond in V8).
    return result.issues ? Promise.reject(validationFailure(result.issues)) : Promise.resolve(result.value);
  } catch (thrown) {
    return Promise.reject(thrown);
  }
}

/** The validation error of Standard Schema issues: one field error per issue, at most `maxFieldErrors`. */
export function validationFailure(issues: readonly StandardSchemaV1.Issue[]) {
  return roleError('validationFailed', { fieldErrors: fieldErrorsOf(issues) ?? [] });
}

function outcome(result: Result): unknown {
  if (result.issues) throw validationFailure(result.issues);
  return result.value;
}
