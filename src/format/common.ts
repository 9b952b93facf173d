import { bareSpec, codeSpec, errorObjectSpec, flatSpec, messageSpec, nestedSpec } from './common-specs.js';
import { envelope } from './envelope.js';
import { problemJson } from './problem-json.js';
import type { ErrorFormat } from './types.js';

/** `{ success: false, error, error_id, error_code, error_message, data: null }`: a flat envelope with a correlation id. */
export const flatEnvelope = envelope(flatSpec, { name: 'flat' });

/** `{ error: { message, statusCode, code, category, details } }`, with field errors as `[{ path, message }]`. */
export const nestedEnvelope = envelope(nestedSpec, { name: 'nested' });

/** `{ success: false, code, error, details }`, with field errors as `{ fieldErrors: { path: message } }`. */
export const codeEnvelope = envelope(codeSpec, { name: 'code' });

/** `{ success: false, error }`: message-only errors. */
export const messageEnvelope = envelope(messageSpec, { name: 'message' });

/** `{ error: { code, message, details } }`, as many APIs nest it. */
export const errorObjectEnvelope = envelope(errorObjectSpec, { name: 'error-object' });

/** `{ code, message, details }`, the bare shape. */
export const bareEnvelope = envelope(bareSpec, { name: 'bare' });

/**
 * The formats a reader recognises without configuration, by name: RFC 9457 and the envelopes public APIs
 * use most. One object instead of seven exports; `Object.values(commonFormats)` is the list a client
 * tries, in this order.
 * @example
 * const errors = createErrorHandler({ catalog, format: commonFormats.message });
 */
export const commonFormats = Object.freeze({
  problemJson,
  flat: flatEnvelope,
  nested: nestedEnvelope,
  code: codeEnvelope,
  message: messageEnvelope,
  errorObject: errorObjectEnvelope,
  bare: bareEnvelope,
});

/** `commonFormats` as the list a reader tries, in its order. */
export const commonFormatList: readonly ErrorFormat[] = Object.freeze(Object.values(commonFormats));
