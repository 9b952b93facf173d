import type { ApiError } from '../catalog/api-error.js';
import type { ReadableCatalog } from '../catalog/readable.js';
import type { DetailsOf } from '../catalog/types.js';
import type { ErrorFormat } from '../format/types.js';
import type { RetryBudget, RetryBudgetOptions } from './budget.js';

declare const unknownCode: unique symbol;

/** A code the client's catalog does not know: kept as it came, and never taken for a known one. */
export type UnknownCode = string & { readonly [unknownCode]: true };

/** An error whose code the catalog does not hold. */
export type UnknownApiError = ApiError<UnknownCode, unknown>;

/**
 * Whether the bodies a client with formats `F` takes for answers of its API carry details: `'always'`
 * only when every format places them outside alternatives. A message-only format gives `'never'`, yet
 * its details come back from message templates, so a client types them as it does `'maybe'`. Without
 * formats the client reads problem+json and the common envelopes, message-only ones among them: `'maybe'`.
 * So is a format that does not say.
 */
export type DetailsCarriageOf<F extends readonly ErrorFormat[]> = F extends readonly []
  ? 'maybe'
  : F[number] extends infer Format
    ? Format extends { readonly '~details'?: infer D }
      ? unknown extends D
        ? 'maybe'
        : Exclude<D, undefined>
      : 'maybe'
    : never;

/**
 * The details a client can see: the code's type when every format carries them, else possibly
 * undefined (a body without them, or a message without placeholders to read them back from).
 */
export type DetailsSeen<Details, Carriage> = [Carriage] extends ['always'] ? Details : Details | undefined;

/** The error of one code of a catalog as a client with formats `F` receives it. */
export type ClientErrorOf<
  Defs,
  Code extends keyof Defs & string,
  F extends readonly ErrorFormat[] = readonly [],
> = ApiError<Code, DetailsSeen<DetailsOf<Defs[Code]>, DetailsCarriageOf<F>>>;

/** Any error of a catalog as a client with formats `F` receives it: a union discriminated on `code`. */
export type ClientCatalogError<Defs, F extends readonly ErrorFormat[] = readonly []> = {
  [Code in keyof Defs & string]: ClientErrorOf<Defs, Code, F>;
}[keyof Defs & string];

/** The errors a client with catalog `C` and formats `F` rejects with: a union discriminated on `code`. */
export type ClientError<C, F extends readonly ErrorFormat[] = readonly []> =
  C extends ReadableCatalog<infer Defs> ? ClientCatalogError<Defs, F> | UnknownApiError : ApiError;

/** Narrows a caught value to an error of the catalog, or of one of its codes, typed by what the formats carry. */
export interface ClientIs<Defs, F extends readonly ErrorFormat[]> {
  <Code extends keyof Defs & string>(value: unknown, code: Code): value is ClientErrorOf<Defs, Code, F>;
  (value: unknown): value is ClientCatalogError<Defs, F>;
}

/** What retry hooks receive. */
export interface RetryContext {
  /** The attempt that failed, from 1. */
  readonly attempt: number;
  readonly method: string;
  readonly url: string;
  /** The error of that attempt: an ApiError for an HTTP error, else the network error or timeout. */
  readonly error: unknown;
  /** The response status, when there was a response. */
  readonly status: number | undefined;
}

/** The retry policy of a client or of one request. */
export interface RetryOptions {
  /**
   * Retries per logical request (attempts are one more).
   * @default 2
   */
  limit?: number;
  /**
   * Methods retried without an idempotency key.
   * @default ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']
   */
  methods?: readonly string[];
  /**
   * Statuses retried (409 and 413 have their own rules).
   * @default [408, 429, 500, 502, 503, 504]
   */
  statuses?: readonly number[];
  /**
   * Whether POST and PATCH get an `Idempotency-Key`, generated once per logical request and sent on every
   * attempt, which makes them retryable. Off: POST and PATCH are retried only when the caller passes a key.
   * @default true
   */
  idempotencyKeys?: boolean;
  /** @default 'Idempotency-Key' */
  idempotencyHeader?: string;
  /**
   * Backoff without a server-given wait: full jitter, a random wait up to `min(cap, base × 2^retry)`.
   * @default { base: 100, cap: 20000 }
   */
  backoff?: { base?: number; cap?: number };
  /**
   * The longest server-given wait (ms) the client honours; a longer one fails at once.
   * @default 60000
   */
  maxRetryAfter?: number;
  /**
   * The total time (ms) a logical request may take with its waits; a retry that would pass it is not made.
   * @default 120000
   */
  maxElapsed?: number;
  /**
   * A retry budget shared by the client's requests; `false` for none.
   * @default a RetryBudget of 500 tokens, 5 per retry
   */
  budget?: RetryBudget | RetryBudgetOptions | false;
  /** Decides a retry: `true` or `false` overrides the policy, `undefined` leaves it. */
  shouldRetry?: (context: RetryContext) => boolean | undefined | Promise<boolean | undefined>;
  /** Called before each wait, with its length in milliseconds. */
  beforeRetry?: (context: RetryContext & { readonly delay: number }) => void | Promise<void>;
  /**
   * The random source of jitter, for deterministic tests.
   * @default Math.random
   */
  random?: () => number;
}

/** Options of `createClient`. */
export interface ClientOptions<
  C extends ReadableCatalog<any> | undefined = undefined,
  F extends readonly ErrorFormat[] = readonly [],
> {
  /** The API's base URL; request paths are resolved against it. */
  baseUrl: string | URL;
  /** The API's catalog: errors are typed by it. */
  catalog?: C;
  /**
   * The API's formats: only a body in one of them is an answer of the API, which `is` narrows to a code.
   * They type `details`: the code's details when every format carries them, else possibly undefined.
   * @default [] (problem+json and the common envelopes, message-only ones included)
   */
  formats?: F;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** The retry policy; `false` for none. */
  retry?: RetryOptions | false;
  /**
   * Milliseconds an attempt may take; `false` for no limit.
   * @default 30000
   */
  timeout?: number | false;
  /** Headers sent with every request. */
  headers?: RequestInit['headers'];
  /**
   * `'follow'` lets fetch follow redirects, which forwards every header but `Authorization` to whatever
   * origin a redirect names (an `x-api-key` too). `'error'` follows none: a redirect rejects with a
   * `RedirectionError` of its status and `Location` (status 0 in a browser, which hides both from a page).
   * @default 'follow'
   */
  redirect?: 'follow' | 'error';
  /** Response headers that may carry the correlation id. @default ['x-request-id', 'x-correlation-id', 'request-id'] */
  correlationHeaders?: readonly string[];
  /**
   * The most bytes of a 2xx body read: past it the read stops and the request rejects with a `RangeError`,
   * the body unparsed (an endless or inflated body of a broken or hostile server, which would otherwise
   * take the process's memory before any timeout fired). `fetch` and ky read any size; give `Infinity` for
   * that, or read a large body through `api.fetch()` as a stream.
   * @default 67108864 (64 MiB)
   */
  bodyLimit?: number;
  /** @default 1048576 */
  errorBodyLimit?: number;
  /** @default 10000 */
  errorBodyTimeout?: number;
}

/** Options of one request. */
export interface RequestOptions {
  /** A value sent as a JSON body. */
  json?: unknown;
  /** A raw body; a stream cannot be replayed, so a request with one is never retried. */
  body?: RequestInit['body'];
  headers?: RequestInit['headers'];
  query?: Record<string, string | number | boolean | readonly (string | number | boolean)[] | undefined>;
  signal?: AbortSignal;
  /** The idempotency key of this logical request, sent on every attempt. */
  idempotencyKey?: string;
  /** Overrides the client's per-attempt timeout. */
  timeout?: number | false;
  /** Overrides the client's retry policy for this request. */
  retry?: RetryOptions | false;
}

/** A result without exceptions. */
export type SafeResult<T, E> = { data: T; error?: undefined } | { data?: undefined; error: E | Error };

type Method = <T = unknown>(path: string, options?: RequestOptions) => Promise<T>;
type SafeMethod<E> = <T = unknown>(path: string, options?: RequestOptions) => Promise<SafeResult<T, E>>;

/** A client that throws typed errors and retries like the best clients do. */
export interface Client<
  C extends ReadableCatalog<any> | undefined = undefined,
  F extends readonly ErrorFormat[] = readonly [],
> {
  get: Method;
  head: Method;
  post: Method;
  put: Method;
  patch: Method;
  delete: Method;
  /** Any method. */
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<T>;
  /** The same methods, resolving to `{ data } | { error }` instead of rejecting. */
  safe: {
    get: SafeMethod<ClientError<C, F>>;
    head: SafeMethod<ClientError<C, F>>;
    post: SafeMethod<ClientError<C, F>>;
    put: SafeMethod<ClientError<C, F>>;
    patch: SafeMethod<ClientError<C, F>>;
    delete: SafeMethod<ClientError<C, F>>;
  };
  /** A `fetch` with the client's retries, which rejects with a typed ApiError for a non-2xx response. */
  fetch(
    input: string | URL,
    init?: RequestInit & { retry?: RetryOptions | false; idempotencyKey?: string },
  ): Promise<Response>;
  /** Narrows a caught value to an error of the catalog, or of one of its codes. */
  is: C extends ReadableCatalog<infer Defs>
    ? ClientIs<Defs, F>
    : (value: unknown, code?: string) => value is ApiError;
  /** The retry budget the client's requests share, if any. */
  readonly budget: RetryBudget | undefined;
}
