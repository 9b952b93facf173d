import type { Context } from 'hono';
import { FaultlineConfigError } from '../../catalog/config-error.js';
import { headerOf } from '../../server/request.js';
import { addressText, compileRanges, parseIp } from './ip-range.js';
import { incomingOf } from './request.js';

/** The runtime's connection info, as `getConnInfo` of `hono/bun`, `hono/deno`, … returns it. */
export interface ConnInfoLike {
  readonly remote: { readonly address?: string | undefined };
}

/** Gives the peer address of a request: its text, or the runtime's connection info. */
export type IpSource = (c: Context) => string | ConnInfoLike | undefined;

/**
 * Which proxies in front of the app may say who the client is in `X-Forwarded-For`, as Express's
 * `trust proxy` takes it: `false` (none: the peer is the client), `true` (every hop), a number of hops,
 * addresses and CIDR ranges (`'loopback'`, `'linklocal'`, `'uniquelocal'` name the usual ones), or a
 * function of an address and its hop (0 is the peer).
 */
export type TrustProxy =
  | boolean
  | number
  | string
  | readonly string[]
  | ((address: string, hop: number) => boolean);

type Trust = (address: string, hop: number) => boolean;

/** Compiles a `trustProxy` option once, refusing a malformed one at setup. */
export function compileTrust(option: TrustProxy | undefined): Trust | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return () => true;
  if (typeof option === 'function') return option;
  if (typeof option === 'number') {
    if (!Number.isSafeInteger(option) || option < 0) {
      throw new FaultlineConfigError(
        'FAULTLINE_INVALID_OPTION',
        `trustProxy is ${option}; a number of trusted hops is a whole number from 0`,
      );
    }
    return option === 0 ? undefined : (_, hop) => hop < option;
  }
  const list = typeof option === 'string' ? option.split(',') : option;
  const trusted = compileRanges(list);
  return (address) => trusted(address);
}

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

/** The `X-Forwarded-For` entries, nearest first (the last entry of the last line is the nearest proxy's). */
function* forwardedFromRight(c: Context): Generator<string> {
  const incoming = incomingOf(c);
  const lines = incoming
    ? forwardedLines(incoming.rawHeaders)
    : [headerOf(c.req.raw.headers, 'x-forwarded-for')];
  for (let line = lines.length - 1; line >= 0; line--) {
    const value = lines[line];
    if (value === undefined) continue;
    let end = value.length;
    while (end > 0) {
      const comma = value.lastIndexOf(',', end - 1);
      const entry = value.slice(comma + 1, end).trim();
      if (entry !== '') yield entry;
      end = comma === -1 ? 0 : comma;
    }
  }
}

function forwardedLines(raw: readonly string[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 15 && raw[i]!.toLowerCase() === 'x-forwarded-for') lines.push(raw[i + 1]!);
  }
  return lines;
}

/**
 * Resolves the client address of a Hono request: the peer (from `ip`, else the runtime), then, while the
 * address at hand is a trusted proxy, the entry it appended to `X-Forwarded-For`. An entry that is not an
 * address ends the walk at the last proxy that forwarded it: a key is always an address, never text a
 * client wrote.
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
    if (peer === undefined || trust === undefined || parseIp(peer) === undefined) return peer;
    let client = peer;
    let hop = 0;
    for (const entry of forwardedFromRight(c)) {
      if (!trust(client, hop)) return client;
      if (parseIp(entry) === undefined) return client;
      client = addressText(entry);
      hop++;
    }
    return client;
  };
}
