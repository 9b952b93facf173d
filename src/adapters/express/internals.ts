// The one place the Express adapter reads Express's private router: Express 5 has no public API that
// says which methods a path's routes take (for 405's `Allow`). `internals.test.ts` pins this on the
// installed Express 5.x, so an Express that moves it fails there first.

interface Layer {
  route?: { methods?: Record<string, boolean> };
  match?(path: string): boolean;
}

/** The routes of an app as the adapter reads them. */
export interface RouteTable {
  /** How many layers the app's router holds: it changes when a route or middleware is added. */
  readonly size: number;
  /** The methods the app's routes take for `path` (`app.all` counts as every method); empty for none. */
  methods(path: string): string[];
}

const every = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * The route table of an Express 5 app, read from `app.router.stack` (each route layer's `match(path)` and
 * `route.methods`). An app whose router is not Express 5's has an empty table.
 */
export function routeTableOf(app: object): RouteTable {
  const stack = (): Layer[] | undefined => {
    const layers = (app as { router?: { stack?: Layer[] } }).router?.stack;
    return Array.isArray(layers) ? layers : undefined;
  };
  return {
    get size() {
      return stack()?.length ?? 0;
    },
    methods(path) {
      const methods: string[] = [];
      for (const layer of stack() ?? []) {
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
          if (name === '_all') return [...every];
          if (own[name]) methods.push(name.toUpperCase());
        }
      }
      return methods;
    },
  };
}
