import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { FastifySchemaCompiler, SafePromiseLike } from 'fastify';
import { invalidOption } from '../../catalog/config-error.js';
import { isThenable } from '../../server/thenable.js';
import { validationFailure } from '../../server/validate.js';

type Result = StandardSchemaV1.Result<unknown>;

function isStandardSchema(schema: unknown): schema is StandardSchemaV1 {
  const standard = (schema as { '~standard'?: { validate?: unknown } } | null | undefined)?.['~standard'];
  return typeof standard?.validate === 'function';
}

// What Fastify takes from a synchronous validator: the failure, or the output that replaces the part.
function answer(result: Result): { error: Error } | { value: unknown } {
  return result.issues ? { error: validationFailure(result.issues) } : { value: result.value };
}

/**
 * A schema that threw (or rejected) while validating: the server's fault, the catalog's 500, logged with what
 * it threw as the cause. Its own status and code, so that Fastify's validation keeps them (it would answer
 * an error without a status as the client's 400).
 */
function schemaThrew(thrown: unknown): Error {
  const error = new Error('A route schema threw while validating', { cause: thrown });
  return Object.assign(error, { statusCode: 500, code: 'FAULTLINE_SCHEMA_THREW' });
}

/**
 * Fastify's validator compiler for route schemas that are Standard Schemas (zod, valibot, arktype): a
 * failure is the catalog's validation error, one field error per issue, with no Error built per request
 * (zod's own `safeParse` builds one). A synchronous schema's output replaces the request part, transforms
 * included. An asynchronous one is only passed or failed, as Fastify takes any asynchronous validator: its
 * output is not applied. A schema that is no Standard Schema is refused when its route is compiled.
 * @example
 * app.setValidatorCompiler(faultline.validatorCompiler);
 * app.post('/users', { schema: { body: z.object({ email: z.email() }) } }, async (request) => request.body);
 */
export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, method, url, httpPart }) => {
  if (!isStandardSchema(schema)) {
    throw invalidOption(
      `validatorCompiler takes Standard Schemas (zod, valibot, arktype); the ${String(httpPart)} schema of ${method} ${url} is not one`,
    );
  }
  const standard = schema['~standard'];
  return (data: unknown) => {
    let result: Result | PromiseLike<Result>;
    try {
      // Called as a method: a schema's `validate` may read its own `this`.
      result = standard.validate(data);
      if (!isThenable(result)) return answer(result);
    } catch (thrown) {
      return { error: schemaThrew(thrown) };
    }
    // Fastify handles the rejection itself (it catches and answers it); its type asks for a branded promise.
    // Whatever goes wrong in reading the outcome is the schema's fault, as it is in the synchronous path:
    // Fastify would answer an Error without a status as the client's 400, and a falsy one as a pass.
    const settled = Promise.resolve(result).then(
      (outcome) => {
        let answered: ReturnType<typeof answer>;
        try {
          answered = answer(outcome);
        } catch (thrown) {
          throw schemaThrew(thrown);
        }
        if ('error' in answered) throw answered.error;
        return true;
      },
      (thrown: unknown) => {
        throw schemaThrew(thrown);
      },
    );
    return settled as unknown as SafePromiseLike<boolean>;
  };
};
