/**
 * True for a value with a callable `then`: a promise of this realm, of another (a `node:vm` context, a
 * worker's structured object is never one) or of a promise library. An app's hook or handler may return
 * any of them; `instanceof Promise` sees only the first, and a rejection of the others would go unhandled.
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  try {
    return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
  } catch {
    // A `then` getter that throws (a revoked Proxy) is no promise to wait for.
    return false;
  }
}

/** Settles `value` as a promise of this realm when it is a thenable; `undefined` otherwise. */
export function asPromise<T>(value: T | PromiseLike<T>): Promise<T> | undefined {
  if (!isThenable(value)) return undefined;
  try {
    return Promise.resolve(value);
  } catch (thrown) {
    return Promise.reject(thrown);
  }
}

/** Lets a hook's returned promise fail without an unhandled rejection: its failures change nothing. */
export function quiet(value: unknown): void {
  asPromise(value)?.then(undefined, () => {});
}
