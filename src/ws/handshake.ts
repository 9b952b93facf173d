import type { IncomingMessage } from 'node:http';
import type { ApiError } from '../catalog/api-error.js';
import { FaultlineConfigError } from '../catalog/config-error.js';
import { clientAddress, type ProxyTrust } from '../server/client-ip.js';
import type { ErrorHandler } from '../server/handle-error.js';
import type { RequestView } from '../server/request.js';
import { wsRoleError } from './roles.js';

/** The `X-Forwarded-For` lines of a request, in the order received: a proxy may append a line of its own. */
function forwardedLines(request: IncomingMessage): string[] {
  const raw = request.rawHeaders;
  const lines: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === 'x-forwarded-for') lines.push(raw[i + 1]!);
  }
  return lines;
}

/** The handshake as guards see it, the client address under `trustProxy` as the node adapter takes it. */
export function requestViewOf(request: IncomingMessage, trust: ProxyTrust | undefined): RequestView {
  return {
    method: request.method,
    url: request.url,
    headers: request.headers,
    ip: clientAddress(request.socket?.remoteAddress, trust, () => forwardedLines(request)),
  } as RequestView;
}

/**
 * `ws`'s own handshake refusals, by message: the catalog answers them in its envelope. A malformed
 * handshake is the `handshakeInvalid` role (its HTTP twin `badRequest` where no entry claims it), ws's
 * text refining only a message faultline ships (a catalog's own message wins, as for every mechanism's).
 */
export function clientErrorOf(handler: ErrorHandler, message: string): ApiError {
  if (message === 'Invalid HTTP method') {
    return handler.catalog.builtin('methodNotAllowed', undefined, { headers: { allow: 'GET' } });
  }
  // ws's messages are fixed strings naming the faulty header, never the client's input.
  const headers = message.includes('Sec-WebSocket-Version')
    ? { 'sec-websocket-version': '13, 8' }
    : undefined;
  return wsRoleError(handler.catalog, 'handshakeInvalid', undefined, { headers }, message);
}

/** The pages that may open a socket: a list of origins, or a function of the `Origin` header. */
export type OriginOption = readonly string[] | ((origin: string) => boolean);

/** The origin a URL names (`https://host[:port]`, lower case, default port left out); undefined if none. */
function originOf(text: unknown, exact = false): string | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const url = new URL(text);
    if (exact && (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== ''))
      return;
    return url.origin === 'null' ? undefined : url.origin;
  } catch {
    return undefined;
  }
}

/**
 * Compiles `origins` once, refusing a malformed one at setup (an entry with a path, a bare string). The
 * check passes a handshake without an origin (a client that is no browser), and refuses one whose origin
 * is not listed, is `null`, is sent twice, or makes the function throw.
 */
export function compileOrigins(option: unknown): ((request: IncomingMessage) => boolean) | undefined {
  if (option === undefined) return undefined;
  let allowed = option as (origin: string) => boolean;
  if (typeof option !== 'function') {
    const list: unknown[] = Array.isArray(option) ? option : [undefined];
    const origins = new Set(list.map((entry) => originOf(entry, true)));
    // An empty list would refuse every browser: leaving the option out is how to allow any page.
    if (list.length === 0 || origins.has(undefined)) {
      throw new FaultlineConfigError(
        'FAULTLINE_INVALID_OPTION',
        `origins is ${JSON.stringify(option) ?? typeof option}; give a list of origins such as ['https://app.example.com'], or a function of the Origin header`,
      );
    }
    // The list holds serialised origins, as browsers send them (RFC 6454 §6.1: lower case, no default port,
    // no path or user): an exact match refuses every other form of them, which comes from no browser.
    allowed = (origin) => origins.has(origin);
  }
  // Each header that names the page must name an allowed one: `Origin`, and `Sec-WebSocket-Origin`, where
  // hybi-08 (version 8, which ws still accepts) names it.
  const passes = (request: IncomingMessage, name: 'origin' | 'sec-websocket-origin'): boolean => {
    const raw = request.rawHeaders;
    let count = 0;
    for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) count++;
    if (count === 0) return true;
    const value = request.headers[name];
    if (count > 1 || typeof value !== 'string') return false;
    try {
      return allowed(value) === true;
    } catch {
      return false;
    }
  };
  return (request) => passes(request, 'origin') && passes(request, 'sec-websocket-origin');
}
