import { RoleError, roleError } from '../catalog/role-error.js';
import { reasonPhrase } from '../catalog/status.js';

// The most answered errors of an API under a scan: prebuilt, so that each costs one small object and the
// handler answers it from its own prebuilt error.
const missing = new RoleError('notFound');
const wrongMethod = new RoleError('methodNotAllowed');
const noHeaders: Readonly<Record<string, string>> = Object.freeze({});

/** The built-in not-found error. */
export function notFound(): RoleError {
  return missing.withHeaders(noHeaders);
}

/**
 * The `Allow` value of a resource from the methods its routes take: HEAD beside GET and OPTIONS,
 * which every adapter answers, in a stable order.
 */
export function allowOf(methods: Iterable<string>): string {
  const set = new Set<string>();
  for (const method of methods) set.add(method.toUpperCase());
  if (set.has('GET')) set.add('HEAD');
  set.add('OPTIONS');
  const order = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
  const known = order.filter((m) => set.has(m));
  const other = [...set].filter((m) => !order.includes(m)).sort();
  return [...known, ...other].join(', ');
}

/** The methods every adapter probes when it looks for the routes of a path. */
export const probedMethods: readonly string[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** An answer the core gives without an error: OPTIONS on a known path. */
export interface PlainAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
}

/** What a path that matched no route takes: its `Allow` value, or `undefined` for an unknown path. */
export interface UnmatchedPath {
  readonly allow: string | undefined;
  /** The methods of `allow`, upper case. */
  readonly methods?: ReadonlySet<string>;
}

const unknownPath: UnmatchedPath = { allow: undefined };

/** The unmatched-path record of the methods a path's routes take. */
export function toUnmatchedPath(methods: readonly string[]): UnmatchedPath {
  if (methods.length === 0) return unknownPath;
  const allow = allowOf(methods);
  return { allow, methods: new Set(allow.split(', ')) };
}

/**
 * Decides what a request that matched no route gets, from what its path takes: OPTIONS on a known
 * path → 204 with `Allow`; another method on a known path → the prebuilt 405 with `Allow`; an unknown
 * path → the prebuilt 404. The errors are returned, not thrown: an adapter that can answer them passes
 * them to its handler without the cost of unwinding a throw (about a microsecond in V8, on every 404 of
 * a scan).
 */
export function resolveUnmatched(method: string | undefined, path: UnmatchedPath): PlainAnswer | RoleError {
  const allow = path.allow;
  if (allow === undefined) return notFound();
  const upper = method?.toUpperCase();
  if (upper === 'OPTIONS') return { status: 204, headers: { allow } };
  // A route of this very method took the request and passed it on (Express's `next()`, Hono's
  // `await next()`): nothing answered it, which is a 404, not a 405 whose `Allow` names the method used.
  // Methods are case-sensitive (RFC 9110 §9.1): `patch` is not PATCH, and no route took it.
  if (method !== undefined && path.methods?.has(method) === true) return notFound();
  return wrongMethod.withHeaders({ allow });
}

/**
 * Remembers, per path, what an unmatched path takes, so that the router is asked once per path and not
 * once per method per request. Bounded: past `size` paths it starts over (a flood of unique paths
 * costs a lookup each, never memory). `version` names the routes' state: when it changes (a route was
 * added), everything is forgotten.
 */
export function memoUnmatched(
  lookup: (path: string) => readonly string[],
  version: () => number = () => 0,
  size = 1024,
): (path: string) => UnmatchedPath {
  const cache = new Map<string, UnmatchedPath>();
  let seen = version();
  return (path) => {
    const current = version();
    if (current !== seen) {
      cache.clear();
      seen = current;
    }
    let entry = cache.get(path);
    if (entry === undefined) {
      entry = toUnmatchedPath(lookup(path));
      if (cache.size >= size) cache.clear();
      cache.set(path, entry);
    }
    return entry;
  };
}

// A `%` not followed by two hex digits, or a dot segment spelled with escapes (`%2e%2e`), which some
// routers decode and resolve and others do not: refused alike before any router sees it.
const badEscape = /%(?![0-9a-fA-F]{2})|(?:^|\/)(?:\.|%2e)*%2e(?:\.|%2e)*(?:\/|$)/i;

// Whether the escapes of a path decode to UTF-8: `%ff` or an overlong `%c0%af` do not, and routers part
// ways on them (Express and Fastify refuse, others hand the raw text to a parameter or answer 404).
function decodes(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks a request target before routing: malformed percent-encoding (an escape that is not two hex
 * digits, or escapes that decode to no UTF-8) or an escaped dot segment in the path is the catalog's 400,
 * on every adapter alike, instead of each router's own answer.
 */
export function checkTarget(url: string | undefined): void {
  if (url === undefined) return;
  // An absolute-form target (RFC 9112 §3.2.2) whose authority does not parse (`http://[::1`) is the
  // client's malformed request: each framework would answer it another way (a 404 for `/`, its own
  // HTML 404, a bodiless 400, a 500 from a URL getter that throws).
  if (url.charCodeAt(0) !== 47 && url !== '*' && !URL.canParse(url)) {
    throw roleError('badRequest', { specific: 'The request target is malformed.' });
  }
  const end = url.indexOf('?');
  const path = end === -1 ? url : url.slice(0, end);
  if (path.includes('%') && (badEscape.test(path) || !decodes(path))) {
    throw roleError('badRequest', { specific: 'The request path is malformed.' });
  }
}

/**
 * The raw HTTP/1.1 answer to a request node's parser refused (a bare CR in a header, a broken request
 * line): written straight on the socket, in the catalog's format, then the connection is closed.
 */
export function clientErrorAnswer(status: number, headers: Record<string, string>, body: string): string {
  let head = `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n`;
  for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
  return `${head}content-length: ${new TextEncoder().encode(body).length}\r\nconnection: close\r\n\r\n${body}`;
}
