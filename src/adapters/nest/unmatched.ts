import { memoUnmatched, toUnmatchedPath, type UnmatchedPath } from '../../server/routing.js';
import { probeMethods } from '../kit/methods.js';
import { read } from '../kit/safe.js';

interface RouteFinder {
  findRoute(options: { method: string; url: string }): unknown;
}

const memos = new WeakMap<object, (path: string) => UnmatchedPath>();

/** Whether a route of `server` takes `method` on `path`; a path its router cannot look up takes none. */
function hasRoute(server: RouteFinder, method: string, path: string): boolean {
  try {
    return Boolean(server.findRoute({ method, url: path }));
  } catch {
    return false;
  }
}

/**
 * What the routes of the Fastify instance Nest runs on take for the path of a request that matched
 * none (see `memoUnmatched`): Fastify's routes are fixed once it listens, so the router is asked once per
 * path and instance, and the memo is bounded. An instance that cannot be asked has no routes to offer.
 */
export function fastifyUnmatchedPath(reply: unknown, url: string): UnmatchedPath {
  const server = read(reply, 'server') as RouteFinder | undefined;
  if (typeof server?.findRoute !== 'function') return toUnmatchedPath([]);
  let memo = memos.get(server);
  if (!memo) {
    memo = memoUnmatched((path) => probeMethods((method) => hasRoute(server, method, path)));
    memos.set(server, memo);
  }
  const end = url.indexOf('?');
  return memo(end === -1 ? url : url.slice(0, end));
}
