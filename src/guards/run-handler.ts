import type { NodeGuardContext } from './node-context.js';

/**
 * Runs an admitted handler and tells `context` when it has settled, however it ends. A thenable it returns
 * is adopted once (a lazy query runs on each `then`) and the adopting promise returned in its place.
 */
export function runHandler<T>(context: NodeGuardContext, run: () => T): T | Promise<Awaited<T>> {
  let result: T;
  try {
    result = run();
  } catch (thrown) {
    context.handlerEnded();
    throw thrown;
  }
  if (!isThenable(result)) {
    context.handlerEnded();
    return result;
  }
  // A throwing `then` (or getter) rejects the adopting promise instead of escaping.
  const settled = Promise.resolve(result);
  const ended = () => context.handlerEnded();
  settled.then(ended, ended);
  return settled;
}

function isThenable(value: unknown): boolean {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  try {
    return typeof (value as { then?: unknown }).then === 'function';
  } catch {
    // A `then` getter that throws: adopted, the value rejects as it would when awaited.
    return true;
  }
}
