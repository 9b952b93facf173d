import type { Context, Hono } from 'hono';

// The one place the Hono adapter reads Hono's private shapes: Hono 4 has no public API that says which
// methods a path's routes take (for 405's `Allow`). `app.router.match` is public, but what it returns —
// `[[handler, routerRoute], params][]`, each route's `method` in the second slot — is the app's own
// bookkeeping. Nor one that says whether a request matched anything but one handler, which
// `c.req.matchedRoutes` tells from Hono 4.0 on (deprecated for `hono/route`, which 4.2 lacks).
// `internals.test.ts` pins both on the installed Hono 4.x.

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

/**
 * Whether the handler running is the only one the request matched: no route and no other middleware, so
 * that Hono answers with its not-found handler once it returns nothing. False when Hono cannot tell.
 */
export function aloneOnPath(c: Context): boolean {
  try {
    return (c.req as unknown as { matchedRoutes: readonly unknown[] }).matchedRoutes.length === 1;
  } catch {
    return false;
  }
}

const soleHandlerAnswered = new WeakMap<object, boolean>();

/**
 * Whether the app's Hono answers with its not-found handler when the only handler a request matched
 * returns nothing, at once (Hono 4.13 does; 4.2 answers nothing). Probed once per Hono class, on an app of
 * its own that holds no code of the user's.
 */
export function answersAfterSoleHandler(app: Hono<any, any, any>): boolean {
  const Hono = app.constructor as new () => Hono<any, any, any>;
  let answers = soleHandlerAnswered.get(Hono);
  if (answers === undefined) {
    answers = false;
    try {
      const probe = new Hono();
      probe.use(() => undefined as unknown as Promise<void>);
      probe.notFound(() => new Response(null, { status: 299 }));
      const answer: unknown = probe.fetch(new Request('http://probe/'));
      answers = answer instanceof Response && answer.status === 299;
    } catch {
      answers = false;
    }
    soleHandlerAnswered.set(Hono, answers);
  }
  return answers;
}
