import type { ErrorLogger } from './log.js';

/** Request headers as frameworks hold them: a Web `Headers`, or node's lower-cased header object. */
export type HeadersLike =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * The little faultline reads of a request: method, URL or path, headers and the peer address. Each
 * adapter converts its framework's request into one; the built-ins and the guards read only this.
 */
export interface RequestView {
  readonly method?: string | undefined;
  /** The request target (`/path?query`) or an absolute URL. */
  readonly url?: string | undefined;
  readonly headers?: HeadersLike | undefined;
  /** The peer address, for per-IP keys (the framework's view of it, proxies trusted as it is told). */
  readonly ip?: string | undefined;
  /** The framework's own id of the request (Fastify's `request.id`, pino-http's `req.id`, Hono's `requestId`). */
  readonly requestId?: unknown;
  /** The framework's logger of the request (Fastify's `request.log`), used when no `logger` option is given. */
  readonly log?: ErrorLogger | undefined;
  /** The framework's own objects of the request, given to `onError` as `event.raw`. */
  readonly raw?: unknown;
}

/** A request view an adapter is still filling in, for one answer, before it hands it on. */
export type WritableView = { -readonly [K in keyof RequestView]: RequestView[K] };

/** One header of a request, or `undefined`; `name` must be lower case. */
export function headerOf(headers: HeadersLike | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const value = (headers as Record<string, string | readonly string[] | undefined>)[name];
  return typeof value === 'string' ? value : value?.[0];
}

/** The request target (`/path?query`) of a target or an absolute URL; `undefined` for anything else. */
export function targetOf(url: string): string | undefined {
  if (url.startsWith('/')) return url;
  const scheme = url.indexOf('://');
  if (scheme === -1) return undefined;
  // The authority ends at the first `/`, `?` or `#`; with no path, the target is `/` and what follows it.
  const rest = url.slice(scheme + 3);
  const end = rest.search(/[/?#]/);
  if (end === -1) return '/';
  return rest[end] === '/' ? rest.slice(end) : `/${rest.slice(end)}`;
}

/** The path of a request target, without its query. */
export function pathOf(url: string | undefined): string | undefined {
  const path = url === undefined ? undefined : targetOf(url);
  if (path === undefined) return undefined;
  const end = path.search(/[?#]/);
  return end === -1 ? path : path.slice(0, end);
}
