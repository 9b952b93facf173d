import { probedMethods } from '../../server/routing.js';

/**
 * The body of an answer on the wire: none for HEAD (RFC 9110 §9.3.2: the headers of GET, no content),
 * the rendered text otherwise. Every adapter's error answer goes through it.
 */
export function answerBody(method: string | undefined, body: string): string | undefined {
  return method === 'HEAD' ? undefined : body;
}

/** Whether a route that takes `methods` serves `method`: HEAD is served by a GET route. */
export function takesMethod(methods: readonly string[], method: string): boolean {
  return methods.includes(method) || (method === 'HEAD' && methods.includes('GET'));
}

const probed: readonly string[] = [...probedMethods, 'OPTIONS'];

/**
 * The methods a path's routes take, asked of a framework's router one method at a time (for a 405's
 * `Allow`), for routers that answer "is there a route for this method and path" and nothing more.
 */
export function probeMethods(routes: (method: string) => boolean): string[] {
  const methods: string[] = [];
  for (const method of probed) if (routes(method)) methods.push(method);
  return methods;
}
