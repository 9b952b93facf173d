import { FaultlineConfigError } from '../catalog/config-error.js';
import { parseNode } from './parse.js';
import { compileSerializer } from './serialize.js';
import { compileSpec, type DetailsCarriageOf, type EnvelopeSpec } from './spec.js';
import type { ErrorFormat, ParsedError } from './types.js';

/** Options of a declared format. */
export interface EnvelopeOptions {
  /** @default 'envelope' */
  name?: string;
  /** @default 'application/json' */
  contentType?: string;
}

/**
 * Declares a wire format as data: an object whose leaves are literals and references to the error's
 * fields. Its serializer and its parser are both compiled from this one declaration.
 * @example
 * const format = envelope({ success: false, code: field.code, error: field.message, details: field.details });
 */
export function envelope<const S extends EnvelopeSpec>(
  spec: S,
  options: EnvelopeOptions = {},
): ErrorFormat<DetailsCarriageOf<S>> {
  const root = compileSpec(spec);
  if (root.kind !== 'object')
    throw new FaultlineConfigError('FAULTLINE_INVALID_FORMAT', 'the envelope must be an object');
  const serialize = compileSerializer(root);
  const read = (body: unknown): { score: number; parsed: ParsedError } => {
    const parsed: ParsedError = {};
    const score = parseNode(root, body, parsed);
    // A body fits only if it holds a code, a message or a title where the declaration puts them.
    if (
      score <= 0 ||
      (parsed.code === undefined && parsed.message === undefined && parsed.title === undefined)
    ) {
      return { score: 0, parsed };
    }
    return { score, parsed };
  };
  return Object.freeze({
    name: options.name ?? 'envelope',
    contentType: options.contentType ?? 'application/json',
    spec,
    serialize,
    parse(body: unknown) {
      const { score, parsed } = read(body);
      return score > 0 ? parsed : undefined;
    },
    match: (body: unknown) => read(body).score,
  });
}
