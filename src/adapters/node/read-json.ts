import type { IncomingMessage } from 'node:http';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { type BodyLimits, type BodyOptions, toBodyLimits } from '../../server/body.js';
import { validate } from '../../server/validate.js';
import { readJsonBody } from '../kit/read-json.js';

/** Options of `readJson`: the body limits, and a schema. */
export interface ReadJsonOptions<S extends StandardSchemaV1 | undefined = undefined> extends BodyOptions {
  /** A Standard Schema the body must match; its output is returned. */
  schema?: S;
}

const compiled = new WeakMap<object, BodyLimits>();
const defaultLimits = toBodyLimits();

/**
 * Reads a JSON request body with a size limit, raising the catalog's built-in errors: 413 at once when
 * `Content-Length` is over the limit and while reading otherwise, 415 (with `Accept`) for a body that is
 * not UTF-8 JSON or (with `Accept-Encoding: identity`) is sent in a content coding, the malformed-JSON code for bad JSON, invalid UTF-8, an empty body, nesting past
 * `maxDepth` or a prototype-poisoning key (`__proto__`, `constructor.prototype`), and 408 when the
 * body stalls past `readTimeout`. With `schema`, the body is validated and the schema's output returned.
 * @example
 * const body = await readJson(req, { limit: '64kb', schema: z.object({ email: z.string() }) });
 */
export async function readJson<S extends StandardSchemaV1 | undefined = undefined>(
  req: IncomingMessage,
  options: ReadJsonOptions<S> = {},
): Promise<S extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<S> : unknown> {
  let limits = compiled.get(options);
  if (!limits) {
    limits =
      options.limit === undefined && options.maxDepth === undefined && options.readTimeout === undefined
        ? defaultLimits
        : toBodyLimits(options);
    compiled.set(options, limits);
  }
  const value = await readJsonBody(req, limits);
  if (options.schema === undefined) return value as never;
  return (await validate(options.schema, value)) as never;
}
