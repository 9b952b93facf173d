import type { Request } from 'express';
import { memoUnmatched, type UnmatchedPath } from '../../server/routing.js';

interface Layer {
  route?: { methods?: Record<string, boolean> };
  match?(path: string): boolean;
}

/**
 * The methods the app's own routes take for a path, read from Express 5's router; empty when no route
 * matches it (or the router is not Express 5's). `app.all` counts as every method.
 */
export function methodsOf(req: Request): string[] {
  return methodsOfPath(stackOf(req.app), req.path);
}

function stackOf(app: object): Layer[] | undefined {
  const stack = (app as { router?: { stack?: Layer[] } }).router?.stack;
  return Array.isArray(stack) ? stack : undefined;
}

const memos = new WeakMap<object, (path: string) => UnmatchedPath>();

/**
 * What the app's routes take for the path of a request that matched none, remembered per app and path
 * (see `memoUnmatched`); a route added later makes the app's memo start over.
 */
export function unmatchedPathOf(req: Request): UnmatchedPath {
  const app = req.app as object;
  let memo = memos.get(app);
  if (!memo) {
    memo = memoUnmatched(
      (path) => methodsOfPath(stackOf(app), path),
      () => stackOf(app)?.length ?? 0,
    );
    memos.set(app, memo);
  }
  return memo(req.path);
}

function methodsOfPath(stack: Layer[] | undefined, path: string): string[] {
  if (!stack) return [];
  const methods: string[] = [];
  for (const layer of stack) {
    const own = layer.route?.methods;
    if (!own || typeof layer.match !== 'function') continue;
    let matches = false;
    try {
      matches = layer.match(path);
    } catch {
      matches = false;
    }
    if (!matches) continue;
    for (const name of Object.keys(own)) {
      if (name === '_all') return ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
      if (own[name]) methods.push(name.toUpperCase());
    }
  }
  return methods;
}
