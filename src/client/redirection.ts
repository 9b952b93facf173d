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
  /** How many attempts the request took: always 1, since a 3xx is never retried. */
  readonly attempts: number;

  constructor(response: Pick<Response, 'status' | 'statusText' | 'headers'>, attempts = 1) {
    super(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
    this.status = response.status;
    this.headers = Object.fromEntries(response.headers);
    this.attempts = attempts;
  }
}
