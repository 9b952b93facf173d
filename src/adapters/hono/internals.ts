import type { Hono } from 'hono';

// The one place the Hono adapter reads Hono's private shapes: Hono 4 has no public API that says which
// methods a path's routes take (for 405's `Allow`). `app.router.match` is public, but what it returns —
// `[[handler, routerRoute], params][]`, each route's `method` in the second slot — is the app's own
// bookkeeping. `internals.test.ts` pins it on the installed Hono 4.x.

interface RouteEntry {
  readonly method: string;
}

/**
 * Whether the app has a route of `method` (not middleware, whose method is `ALL`) for `path`: read from
 * the entries `app.router.match` returns.
 */
export function hasRoute(app: Hono<any, any, any>, method: string, path: string): boolean {
  const [handlers] = app.router.match(method, path) as unknown as [[unknown, unknown][]];
  return handlers.some(([entry]) => {
    const route = (entry as [unknown, RouteEntry] | undefined)?.[1];
    return route !== undefined && route.method === method;
  });
}
