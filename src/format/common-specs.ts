import { fieldReaders } from './field-readers.js';
import { type FormatReader, readerOf } from './read-format.js';

/**
 * The declarations of RFC 9457 and of the common envelopes, as plain data: `common.ts` compiles them into
 * formats (serializer and parser), a client only into readers, without the serializers and the checks.
 */

/** RFC 9457 `application/problem+json`. */
export const problemSpec = {
  type: { $field: 'type' },
  title: { $field: 'title' },
  status: { $field: 'status' },
  detail: { $field: 'message' },
  instance: { $field: 'instance' },
  code: { $field: 'code' },
  id: { $field: 'id' },
  correlation_id: { $field: 'correlationId' },
  errors: { $field: 'errors' },
  details: { $field: 'details' },
} as const;

export const flatSpec = {
  success: false,
  error: { $field: 'message' },
  error_id: { $field: 'correlationId', missing: 'null' },
  error_code: { $field: 'code' },
  error_message: { $field: 'message' },
  data: null,
} as const;

export const nestedSpec = {
  error: {
    message: { $field: 'message' },
    statusCode: { $field: 'status' },
    code: { $field: 'code' },
    category: { $field: 'category' },
    details: { $first: [{ $field: 'errors', style: 'path' }, { $field: 'details' }] },
  },
} as const;

export const codeSpec = {
  success: false,
  code: { $field: 'code' },
  error: { $field: 'message' },
  details: { $first: [{ fieldErrors: { $field: 'errors', style: 'map' } }, { $field: 'details' }] },
} as const;

export const messageSpec = { success: false, error: { $field: 'message' } } as const;

export const errorObjectSpec = {
  error: { code: { $field: 'code' }, message: { $field: 'message' }, details: { $field: 'details' } },
} as const;

export const bareSpec = {
  code: { $field: 'code' },
  message: { $field: 'message' },
  details: { $field: 'details' },
} as const;

/**
 * The readers of `commonFormats`, in their order: what a client recognises without configuration. Nameless:
 * a client never says which format it read, and a browser bundle skips the names.
 */
export const commonReaders: readonly FormatReader[] = [
  problemSpec,
  flatSpec,
  nestedSpec,
  codeSpec,
  messageSpec,
  errorObjectSpec,
  bareSpec,
].map((spec) => ({ spec, ...readerOf(spec, fieldReaders) }));
