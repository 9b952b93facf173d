import { envelope } from './envelope.js';
import { field } from './spec.js';

/**
 * RFC 9457 `application/problem+json`, the default format: `type` (the code's docs URL), `title`,
 * `status`, `detail`, `instance`, and extension members `code`, `id`, `correlation_id`, `errors`
 * (`[{ pointer, detail }]`) and `details`.
 */
export const problemJson = envelope(
  {
    type: field.type,
    title: field.title,
    status: field.status,
    detail: field.message,
    instance: field.instance,
    code: field.code,
    id: field.id,
    correlation_id: field.correlationId,
    errors: field.errors,
    details: field.details,
  },
  { name: 'problem+json', contentType: 'application/problem+json' },
);
