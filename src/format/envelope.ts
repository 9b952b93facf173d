import { FaultlineConfigError } from '../catalog/config-error.js';
import { eventFieldReaders, fieldReaders } from './field-readers.js';
import { readerOf } from './read-format.js';
import { compileSerializer } from './serialize.js';
import { compileSpec, type EnvelopeSpec, type SpecCarriageOf } from './spec.js';
import type { ErrorFormat } from './types.js';

// A declared format reads every field, those of WebSocket events too.
const readers = { ...fieldReaders, ...eventFieldReaders };

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
): ErrorFormat<SpecCarriageOf<S>> {
  const root = compileSpec(spec);
  if (root.kind !== 'object')
    throw new FaultlineConfigError('FAULTLINE_INVALID_FORMAT', 'the envelope must be an object');
  const serialize = compileSerializer(root);
  return Object.freeze({
    name: options.name ?? 'envelope',
    contentType: options.contentType ?? 'application/json',
    spec,
    serialize,
    ...readerOf(spec, readers),
  });
}
