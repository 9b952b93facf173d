import type { Request } from 'express';

interface Layer {
  route?: { methods?: Record<string, boolean> };
  match?(path: string): boolean;
}

/**
 * The methods the app's own routes take for a path, read from Express 5's router; empty when no route
 * matches it (or the router is not Express 5's). `app.all` counts as every method.
 */
export function methodsOf(req: Request): string[] {
  const stack = (req.app as unknown as { router?: { stack?: Layer[] } }).router?.stack;
  if (!Array.isArray(stack)) return [];
  const path = req.path;
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
