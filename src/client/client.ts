import { isApiError } from '../catalog/api-error.js';
import type { ReadableCatalog } from '../catalog/readable.js';
import { detailsFit } from '../catalog/required-details.js';
import type { ErrorFormat } from '../format/types.js';
import { linkSignals } from './abort.js';
import { isUnrecognised, parseErrorResponse } from './parse-response.js';
import { RedirectionError } from './redirection.js';
import { buildUrl, isReplayable, parseSuccess, timeoutError, toRecord } from './request-parts.js';
import {
  backoffDelay,
  isRetryableError,
  type RetryPolicy,
  resolvePolicy,
  sleep,
  timerDelay,
} from './retry.js';
import type { Client, ClientOptions, RequestOptions, RetryOptions, SafeResult } from './types.js';
import { randomId } from './uuid.js';

interface Prepared {
  method: string;
  url: string;
  /** Lower-case names: a plain record costs fetch less than a Headers object. */
  headers: Record<string, string>;
  body: RequestInit['body'] | undefined;
  replayable: boolean;
  signal: AbortSignal | undefined;
  timeout: number | false;
  policy: RetryPolicy;
  /** What unhooks each attempt's signal from the caller's, run once the request is over. */
  releases: (() => void)[];
}

/**
 * Creates a client whose failures are typed `ApiError`s of the catalog, and which retries 429s, 5xx and
 * network errors by the rules of the best clients: never a POST twice without an idempotency key. A 3xx that
 * fetch hands back (a 304 to the caller's own `If-None-Match`, a redirect without `Location`) rejects with a
 * `RedirectionError` of that status, read from no body and never retried.
 * @example
 * const api = createClient({ baseUrl: 'http://127.0.0.1:3000', catalog: errors });
 * try { await api.get('/v1/sessions/abc'); } catch (err) {
 *   if (api.is(err, 'SESSION_NOT_FOUND')) console.log(err.details?.sessionId);
 * }
 */
export function createClient<
  C extends ReadableCatalog<any> | undefined = undefined,
  const F extends readonly ErrorFormat[] = readonly [],
>(options: ClientOptions<C, F>): Client<C, F> {
  const base = new URL(String(options.baseUrl).replace(/\/?$/, '/'));
  const doFetch = options.fetch ?? globalThis.fetch;
  const catalog = options.catalog as ReadableCatalog<any> | undefined;
  const policy = resolvePolicy(options.retry);
  const defaultHeaders = toRecord(options.headers);
  const bodyLimit = options.bodyLimit ?? 64 * 1024 * 1024;
  // Fetch's 'error' would reject with a TypeError, retried as a network error: 'manual' hands the 3xx back.
  const redirect = options.redirect === 'error' ? { redirect: 'manual' as const } : {};
  defaultHeaders.accept ??= 'application/json, application/problem+json';
  const parseOptions = {
    ...(catalog ? { catalog } : {}),
    ...(options.formats ? { formats: options.formats } : {}),
    ...(options.correlationHeaders ? { correlationHeaders: options.correlationHeaders } : {}),
    ...(options.errorBodyLimit ? { bodyLimit: options.errorBodyLimit } : {}),
    ...(options.errorBodyTimeout ? { bodyTimeout: options.errorBodyTimeout } : {}),
  };

  function prepare(
    method: string,
    url: string,
    init: RequestOptions & { body?: RequestInit['body'] },
  ): Prepared {
    const headers = init.headers ? { ...defaultHeaders, ...toRecord(init.headers) } : { ...defaultHeaders };
    let body = init.body;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers['content-type'] ??= 'application/json';
    }
    const requestPolicy = init.retry === undefined ? policy : resolvePolicy(init.retry, policy);
    const idempotencyHeader = requestPolicy.idempotencyHeader.toLowerCase();
    if (init.idempotencyKey !== undefined) {
      headers[idempotencyHeader] = init.idempotencyKey;
    } else if (
      (method === 'POST' || method === 'PATCH') &&
      requestPolicy.idempotencyKeys &&
      !(idempotencyHeader in headers)
    ) {
      // One key per logical request, reused on every attempt: the server replays instead of running it twice.
      headers[idempotencyHeader] = randomId();
    }
    return {
      method,
      url,
      headers,
      body,
      replayable: isReplayable(body),
      signal: init.signal ?? undefined,
      timeout: init.timeout ?? options.timeout ?? 30_000,
      policy: requestPolicy,
      releases: [],
    };
  }

  function fetchOnce(request: Prepared, signal: AbortSignal | undefined): Promise<Response> {
    return doFetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body ?? null,
      ...(signal ? { signal } : {}),
      ...redirect,
      ...(request.body instanceof ReadableStream ? { duplex: 'half' } : {}),
    } as RequestInit);
  }

  /**
   * One attempt. The timeout aborts the request itself, on the wire (a server that never answers keeps no
   * socket of it), as ky's and undici's do; the caller's signal aborts it too, its body included.
   */
  async function attempt(request: Prepared): Promise<Response> {
    const { timeout, signal } = request;
    if (timeout === false) return fetchOnce(request, signal);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(timeoutError(timeout)), timerDelay(timeout));
    let linked = controller.signal;
    if (signal) {
      const link = linkSignals(signal, controller.signal);
      request.releases.push(link.release);
      linked = link.signal;
    }
    try {
      return await fetchOnce(request, linked);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (controller.signal.aborted) throw timeoutError(timeout);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  function release(request: Prepared): void {
    for (const unhook of request.releases.splice(0)) unhook();
  }

  /** The retry loop of one logical request; resolves the 2xx response, rejects with the last error. */
  async function send(request: Prepared): Promise<Response> {
    const { policy: p } = request;
    const started = Date.now();
    const methodRetryable =
      p.methods.has(request.method) || p.idempotencyHeader.toLowerCase() in request.headers;
    let spent = 0;
    for (let attemptNumber = 1; ; attemptNumber++) {
      let failure: unknown;
      let status: number | undefined;
      let wait: number | undefined;
      let retryable: boolean;
      try {
        const response = await attempt(request);
        if (response.ok) {
          p.budget?.release(spent);
          return response;
        }
        // A browser hides a redirect that fetch does not follow behind an opaque response of status 0.
        if ((response.status >= 300 && response.status < 400) || response.type === 'opaqueredirect') {
          // Fetch follows a redirect itself: a 3xx it hands back is no answer of the API, nor worth a retry.
          response.body?.cancel().catch(() => {});
          throw new RedirectionError(response, attemptNumber);
        }
        status = response.status;
        const error = await parseErrorResponse(response, { ...parseOptions, attempts: attemptNumber });
        // An abort ends the body's read with part of it: the abort is the answer, as at every other stage.
        if (request.signal?.aborted) throw request.signal.reason;
        failure = error;
        wait = error.retryAfter === undefined ? undefined : error.retryAfter * 1000;
        retryable = isRetryableError(error, p, catalog);
      } catch (error) {
        if (request.signal?.aborted || error instanceof RedirectionError) throw error;
        // A network error or a timeout: no response, retried like a 503 when the method allows it.
        failure = error;
        retryable = true;
      }
      const context = {
        attempt: attemptNumber,
        method: request.method,
        url: request.url,
        error: failure,
        status,
      };
      const override = p.shouldRetry ? await p.shouldRetry(context) : undefined;
      // The hook may overrule the policy's verdict, never the attempt limit or a body that cannot be replayed.
      const allowed =
        attemptNumber <= p.limit && request.replayable && (override ?? (retryable && methodRetryable));
      if (!allowed) throw failure;
      if (wait !== undefined && wait > p.maxRetryAfter) throw failure;
      const delay = wait ?? backoffDelay(p, attemptNumber - 1);
      if (Date.now() + delay - started > p.maxElapsed) throw failure;
      const cost = p.budget ? p.budget.acquire(status === undefined ? 'timeout' : 'error') : 0;
      if (cost === false) throw failure;
      spent += cost;
      await p.beforeRetry?.({ ...context, delay });
      await sleep(delay, request.signal);
    }
  }

  async function request<T>(method: string, path: string, init: RequestOptions = {}): Promise<T> {
    const upper = method.toUpperCase();
    const prepared = prepare(upper, buildUrl(base, path, init.query), init);
    try {
      const response = await send(prepared);
      // The timeout bounds the body of the answer too, from its headers on.
      return (await parseSuccess(response, prepared.timeout, bodyLimit)) as T;
    } finally {
      release(prepared);
    }
  }

  async function safe<T>(method: string, path: string, init?: RequestOptions): Promise<SafeResult<T, never>> {
    try {
      return { data: await request<T>(method, path, init) };
    } catch (error) {
      return { error: error as Error };
    }
  }

  const verb =
    (method: string) =>
    <T>(path: string, init?: RequestOptions) =>
      request<T>(method, path, init);
  const safeVerb =
    (method: string) =>
    <T>(path: string, init?: RequestOptions) =>
      safe<T>(method, path, init);
  const client = {
    get: verb('GET'),
    head: verb('HEAD'),
    post: verb('POST'),
    put: verb('PUT'),
    patch: verb('PATCH'),
    delete: verb('DELETE'),
    request,
    safe: {
      get: safeVerb('GET'),
      head: safeVerb('HEAD'),
      post: safeVerb('POST'),
      put: safeVerb('PUT'),
      patch: safeVerb('PATCH'),
      delete: safeVerb('DELETE'),
    },
    fetch(
      input: string | URL,
      init: RequestInit & { retry?: RetryOptions | false; idempotencyKey?: string } = {},
    ) {
      const url = new URL(String(input), base).href;
      const { retry, idempotencyKey, signal, ...rest } = init;
      const prepared = prepare((init.method ?? 'GET').toUpperCase(), url, {
        ...(rest.headers ? { headers: rest.headers } : {}),
        ...(rest.body !== undefined ? { body: rest.body } : {}),
        ...(signal ? { signal } : {}),
        ...(retry !== undefined ? { retry } : {}),
        ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
      });
      // Where the runtime lacks AbortSignal.any, the caller's signal stops following the body from here.
      return send(prepared).finally(() => release(prepared));
    },
    // An error read from a body in none of the API's formats is no answer of the API: never one of its codes.
    // The client's own narrowing types details as the wire may leave them (`DetailsSeen`), so an error of
    // the code is one whether its body carried them or not, but not with details the code does not promise
    // (where the catalog has its schema, details the schema refuses); the catalog's `is` wants them whole.
    is: (value: unknown, code?: string) => {
      if (!catalog) return isApiError(value, code);
      if (!isApiError(value, code) || isUnrecognised(value)) return false;
      const entry = catalog.get(value.code);
      return entry !== undefined && (value.details === undefined || detailsFit(value.details, entry));
    },
    budget: policy.budget,
  };
  return client as unknown as Client<C, F>;
}
