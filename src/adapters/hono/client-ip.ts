import type { Context } from 'hono';
import { clientAddress, compileTrust, type TrustProxy } from '../../server/client-ip.js';
import { headerOf } from '../../server/request.js';
import { RawHeaders } from '../kit/node-request.js';
import { incomingOf } from './request.js';

/** The runtime's connection info, as `getConnInfo` of `hono/bun`, `hono/deno`, … returns it. */
export interface ConnInfoLike {
  readonly remote: { readonly address?: string | undefined };
}

/** Gives the peer address of a request: its text, or the runtime's connection info. */
export type IpSource = (c: Context) => string | ConnInfoLike | undefined;

function addressOf(value: string | ConnInfoLike | undefined): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  const address = value?.remote?.address;
  return typeof address === 'string' && address !== '' ? address : undefined;
}

type Env = {
  server?: unknown;
  requestIP?: unknown;
  remoteAddr?: { hostname?: unknown };
};

// The peer address the runtime gives without an `ip` option: node's socket under `@hono/node-server`,
// Bun's `server.requestIP()` (Bun passes the server as env) and Deno's `remoteAddr` (Deno passes the
// connection info as env). Workers only have `cf-connecting-ip`, a header any other runtime lets a client
// write: it is read only when `getConnInfo` of `hono/cloudflare-workers` is given as `ip`.
function runtimePeer(c: Context): string | undefined {
  const incoming = incomingOf(c);
  if (incoming) return incoming.socket.remoteAddress;
  const env = c.env as Env | undefined;
  if (env === null || typeof env !== 'object') return undefined;
  const server = ('server' in env ? env.server : env) as Env | undefined;
  if (typeof server?.requestIP === 'function') {
    const info = (server.requestIP as (request: Request) => { address?: unknown } | null)(c.req.raw);
    return typeof info?.address === 'string' ? info.address : undefined;
  }
  const hostname = env.remoteAddr?.hostname;
  return typeof hostname === 'string' ? hostname : undefined;
}

/** The `X-Forwarded-For` lines: each line as received under node, else the one value `Headers` joined. */
function forwardedLines(c: Context): readonly (string | undefined)[] {
  const incoming = incomingOf(c);
  if (incoming) return new RawHeaders(incoming.rawHeaders).lines('x-forwarded-for');
  return [headerOf(c.req.raw.headers, 'x-forwarded-for')];
}

/**
 * Resolves the client address of a Hono request: the peer (from `ip`, else the runtime), then the
 * `X-Forwarded-For` walk of `trustProxy`, the one every adapter without a framework setting of its own
 * uses. A malformed `trustProxy` throws here, at setup.
 */
export function clientIpResolver(ip: IpSource | undefined, trustProxy: TrustProxy | undefined) {
  const trust = compileTrust(trustProxy);
  return (c: Context): string | undefined => {
    let peer: string | undefined;
    try {
      peer = ip ? addressOf(ip(c)) : runtimePeer(c);
    } catch {
      // A connection-info helper throws on a runtime it does not belong to: no address.
      return undefined;
    }
    return clientAddress(peer, trust, () => forwardedLines(c));
  };
}
