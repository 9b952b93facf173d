import type { ApiError } from '../catalog/api-error.js';
import type { ParseErrorResponseOptions } from './read-error.js';
import { parseErrorParts } from './read-parts.js';

/** What ky 2 hands a `beforeError` hook, as far as this hook reads it. */
interface KyErrorState {
  readonly error: Error;
  readonly retryCount: number;
}

/** The options `kyApiErrors` gives ky: spread them into `ky.create` or `ky.extend`. */
export interface KyApiErrorOptions {
  /** Parses JSON as ky does, and keeps the text of error bodies for the hook to read. */
  parseJson(text: string, context: { readonly response: Response }): unknown;
  hooks: { beforeError: ((state: KyErrorState) => Promise<Error>)[] };
}

function isHttpError(error: Error): error is Error & { response: Response; data?: unknown } {
  return error.name === 'HTTPError' && (error as { response?: unknown }).response instanceof Response;
}

/**
 * Options for ky 2 under which its HTTP errors reject as typed `ApiError`s of the catalog. Retries stay
 * ky's: its `beforeError` hook runs once ky has given up (a 404 is never retried; a 503 is, after its
 * `Retry-After`), so the error carries ky's attempts. ky reads an error body (up to 10 MiB, its own
 * bound) before the hook runs; the hook reads at most `bodyLimit` of it, and a longer body, cut there, is
 * read as no answer of the API. ky's network errors and timeouts pass through unchanged. With hooks of
 * your own, add these with `.extend(kyApiErrors(…))`, which appends hooks where a spread would replace them.
 * @example
 * const api = ky.create({ baseUrl: 'https://api.example.com', ...kyApiErrors({ catalog: errors }) });
 * try { await api.get('sessions/abc').json(); } catch (err) { if (errors.is(err, 'SESSION_NOT_FOUND')) … }
 */
export function kyApiErrors(options: ParseErrorResponseOptions = {}): KyApiErrorOptions {
  // The text of each error body ky parsed as JSON, so that a body that is not the JSON its type claims
  // is read as it came (ky gives `undefined` for it).
  const texts = new WeakMap<Response, string>();
  return {
    parseJson(text, { response }) {
      if (!response.ok) texts.set(response, text);
      return JSON.parse(text);
    },
    hooks: {
      beforeError: [
        async ({ error, retryCount }): Promise<Error | ApiError> => {
          if (!isHttpError(error)) return error;
          const { response } = error;
          return parseErrorParts(
            {
              status: response.status,
              statusText: response.statusText,
              headers: response.headers,
              body: texts.get(response) ?? error.data,
            },
            { ...options, attempts: retryCount + 1 },
          );
        },
      ],
    },
  };
}
