type Bag = Record<string, unknown>;

interface RouteFinder {
  findRoute(options: { method: string; url: string }): unknown;
}

const probed = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
const order = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** The `Allow` value of the methods a path's routes take, as every faultline adapter writes it. */
function allowOf(methods: readonly string[]): string | undefined {
  if (methods.length === 0) return undefined;
  const set = new Set(methods);
  if (set.has('GET')) set.add('HEAD');
  set.add('OPTIONS');
  return order.filter((method) => set.has(method)).join(', ');
}

const memos = new WeakMap<object, Map<string, string | undefined>>();

/**
 * The `Allow` value of a path on the Fastify instance Nest runs on, or `undefined` when no route takes
 * the path. Fastify's routes are fixed once it listens: one lookup per path, remembered per instance and
 * bounded (a flood of unique paths costs a lookup each, never memory).
 */
export function fastifyAllow(reply: unknown, url: string): string | undefined {
  const server = (reply as Bag).server as RouteFinder | undefined;
  if (!server || typeof server.findRoute !== 'function') return undefined;
  const end = url.indexOf('?');
  const path = end === -1 ? url : url.slice(0, end);
  let memo = memos.get(server);
  if (!memo) {
    memo = new Map();
    memos.set(server, memo);
  }
  if (memo.has(path)) return memo.get(path);
  const methods: string[] = [];
  for (const method of [...probed, 'OPTIONS']) {
    try {
      if (server.findRoute({ method, url: path })) methods.push(method);
    } catch {
      // A path Fastify's router cannot even look up is an unknown path.
    }
  }
  const allow = allowOf(methods);
  if (memo.size >= 1024) memo.clear();
  memo.set(path, allow);
  return allow;
}
