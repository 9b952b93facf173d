import type { ParseErrorResponseOptions } from './read-error.js';
import { parseErrorParts } from './read-parts.js';

/** An ofetch instance, as far as `ofetchApiErrors` calls it. */
interface OfetchLike {
  (request: any, options?: any): Promise<any>;
  raw(request: any, options?: any): Promise<any>;
  create(defaults: any, globalOptions?: any): any;
}

/** What ofetch rejects with for an HTTP error: its `FetchError`, with the response and the body it read. */
function responseOf(error: unknown): (Response & { _data?: unknown }) | undefined {
  const response = (error as { response?: unknown } | null)?.response;
  return error instanceof Error && error.name === 'FetchError' && response instanceof Response
    ? response
    : undefined;
}

/**
 * Wraps an ofetch instance so that its HTTP errors reject as typed `ApiError`s of the catalog. Retries
 * stay ofetch's (its defaults: GET and the other methods without a body retried once on 408, 409, 425,
 * 429, 500, 502, 503 and 504, without waiting): the error is read once ofetch has given up. ofetch reads
 * a whole error body; at most `bodyLimit` of it is read, and a longer body, cut there, is read as no answer
 * of the API. Network errors and timeouts pass through unchanged.
 * @example
 * const api = ofetchApiErrors(ofetch.create({ baseURL: 'https://api.example.com' }), { catalog: errors });
 * try { await api('/sessions/abc'); } catch (err) { if (errors.is(err, 'SESSION_NOT_FOUND')) … }
 */
export function ofetchApiErrors<F extends OfetchLike>(
  fetcher: F,
  options: ParseErrorResponseOptions = {},
): F {
  const rethrow = async (error: unknown): Promise<never> => {
    const response = responseOf(error);
    if (!response) throw error;
    throw await parseErrorParts(
      {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
        body: response._data,
      },
      options,
    );
  };
  const wrapped = (request: unknown, init?: unknown) => fetcher(request, init).catch(rethrow);
  return Object.assign(wrapped, fetcher, {
    raw: (request: unknown, init?: unknown) => fetcher.raw(request, init).catch(rethrow),
    create: (defaults: unknown, globalOptions?: unknown) =>
      ofetchApiErrors(fetcher.create(defaults, globalOptions), options),
  }) as unknown as F;
}
