import { problemSpec } from './common-specs.js';
import { envelope } from './envelope.js';

/**
 * RFC 9457 `application/problem+json`, the default format: `type` (the code's docs URL), `title`,
 * `status`, `detail`, `instance`, and extension members `code`, `id`, `correlation_id`, `errors`
 * (`[{ pointer, detail }]`) and `details`.
 */
export const problemJson = envelope(problemSpec, {
  name: 'problem+json',
  contentType: 'application/problem+json',
});
