import { envelope } from './envelope.js';
import { problemJson } from './problem-json.js';
import { field, fieldErrors, first, orNull } from './spec.js';

/** `{ success: false, error, error_id, error_code, error_message, data: null }`: a flat envelope with a correlation id. */
export const flatEnvelope = envelope(
  {
    success: false,
    error: field.message,
    error_id: orNull(field.correlationId),
    error_code: field.code,
    error_message: field.message,
    data: null,
  },
  { name: 'flat' },
);

/** `{ error: { message, statusCode, code, category, details } }`, with field errors as `[{ path, message }]`. */
export const nestedEnvelope = envelope(
  {
    error: {
      message: field.message,
      statusCode: field.status,
      code: field.code,
      category: field.category,
      details: first(fieldErrors('path'), field.details),
    },
  },
  { name: 'nested' },
);

/** `{ success: false, code, error, details }`, with field errors as `{ fieldErrors: { path: message } }`. */
export const codeEnvelope = envelope(
  {
    success: false,
    code: field.code,
    error: field.message,
    details: first({ fieldErrors: fieldErrors('map') }, field.details),
  },
  { name: 'code' },
);

/** `{ success: false, error }`: message-only errors. */
export const messageEnvelope = envelope({ success: false, error: field.message }, { name: 'message' });

/** `{ error: { code, message, details } }`, as many APIs nest it. */
export const errorObjectEnvelope = envelope(
  { error: { code: field.code, message: field.message, details: field.details } },
  { name: 'error-object' },
);

/** `{ code, message, details }`, the bare shape. */
export const bareEnvelope = envelope(
  { code: field.code, message: field.message, details: field.details },
  { name: 'bare' },
);

/** The formats a reader recognises without configuration: RFC 9457 and the envelopes public APIs use most. */
export const commonFormats = Object.freeze([
  problemJson,
  flatEnvelope,
  nestedEnvelope,
  codeEnvelope,
  messageEnvelope,
  errorObjectEnvelope,
  bareEnvelope,
]);
