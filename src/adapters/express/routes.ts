import type { Request } from 'express';
import { memoUnmatched, type UnmatchedPath } from '../../server/routing.js';
import { routeTableOf } from './internals.js';

const memos = new WeakMap<object, (path: string) => UnmatchedPath>();

/**
 * What the app's routes take for the path of a request that matched none, remembered per app and path
 * (see `memoUnmatched`); a route added later makes the app's memo start over.
 */
export function unmatchedPathOf(req: Request): UnmatchedPath {
  const app = req.app as object;
  let memo = memos.get(app);
  if (!memo) {
    const table = routeTableOf(app);
    memo = memoUnmatched(
      (path) => table.methods(path),
      () => table.size,
    );
    memos.set(app, memo);
  }
  return memo(req.path);
}
