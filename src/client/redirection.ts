import { keptHeaders } from './read-error.js';

const brand = Symbol.for('faultline.RedirectionError');

/**
 * A 3xx answer that `fetch` handed back instead of following: a 304 to the caller's own `If-None-Match` or
 * `If-Modified-Since`, a 300, a redirect without a `Location`, or any redirect under `redirect: 'error'`. It
 * is no error of the API, so never an `ApiError`, never one of its codes, never retried; its body is not read.
 * @example
 * try { await api.get('/v1/sessions/abc', { headers: { 'if-none-match': etag } }); } catch (err) {
 *   if (err instanceof RedirectionError && err.status === 304) console.log('not modified');
 * }
 */
export class RedirectionError extends Error {
  override readonly name = 'RedirectionError';
  /** The 3xx status, as received; 0 for a redirect a browser hid (`redirect: 'error'`). */
  readonly status: number;
  /** The response's headers, lower-case names (`etag`, `location` when present, `retry-after`). */
  readonly headers: Readonly<Record<string, string>>;
  /** The attempt that received it (a 3xx is never retried, but may answer the retry of a 503). */
  readonly attempts: number;

  constructor(response: Pick<Response, 'status' | 'statusText' | 'headers'>, attempts = 1) {
    super(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
    this.status = response.status;
    // As an ApiError's: without the cookies it set, since an error is logged and serialized whole.
    this.headers = keptHeaders(response.headers);
    this.attempts = attempts;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // One identity across installed copies and realms, as ApiError's: a `Symbol.for` brand.
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class being tested against, possibly a subclass
    if (this !== RedirectionError) return Function.prototype[Symbol.hasInstance].call(this, value);
    if (typeof value !== 'object' || value === null) return false;
    try {
      return (value as { [brand]?: unknown })[brand] === true;
    } catch {
      return false;
    }
  }
}

// The brand lives on the prototype: every instance carries it, across copies and realms.
Object.defineProperty(RedirectionError.prototype, brand, { value: true });
