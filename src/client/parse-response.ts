import type { ApiError } from '../catalog/api-error.js';
import { readBodyText } from './read-body.js';
import { type ParseErrorResponseOptions, readErrorText } from './read-error.js';

export type { ParseErrorResponseOptions } from './read-error.js';
export { isUnrecognised } from './read-error.js';

/**
 * Reads a non-2xx response into an ApiError: its code, status, message, details, correlation id (from the
 * body or a response header), `retryAfter` and raw body. Works with any HTTP client that gives a `Response`.
 * @example
 * const response = await fetch(url);
 * if (!response.ok) throw await parseErrorResponse(response, { catalog });
 */
export async function parseErrorResponse(
  response: Response,
  options: ParseErrorResponseOptions = {},
): Promise<ApiError> {
  const { text, complete } = await readBodyText(
    response,
    options.bodyLimit ?? 1024 * 1024,
    options.bodyTimeout ?? 10_000,
  );
  return readErrorText(response, text, options, complete);
}
