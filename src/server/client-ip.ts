import { FaultlineConfigError } from '../catalog/config-error.js';
import { addressText, compileRanges, parseIp } from './ip-range.js';

/**
 * Which proxies in front of the app may say who the client is in `X-Forwarded-For`, as Express's
 * `trust proxy` takes it: `false` (none: the peer is the client), `true` (every hop), a number of hops,
 * addresses and CIDR ranges (`'loopback'`, `'linklocal'`, `'uniquelocal'` name the usual ones), or a
 * function of an address and its hop (0 is the peer).
 * @example
 * const trustProxy: TrustProxy = ['loopback', '10.0.0.0/8'];
 */
export type TrustProxy =
  | boolean
  | number
  | string
  | readonly string[]
  | ((address: string, hop: number) => boolean);

/**
 * A compiled `TrustProxy`: whether the address at hop `hop` (0 is the peer) may name the one before it.
 * `address` is undefined when the runtime gave no peer address (a Unix socket): only `true` and a hop
 * count, which do not look at addresses, trust such a peer, as Express does.
 */
export type ProxyTrust = (address: string | undefined, hop: number) => boolean;

function invalid(option: unknown): FaultlineConfigError {
  const shown = typeof option === 'number' ? String(option) : (JSON.stringify(option) ?? typeof option);
  return new FaultlineConfigError(
    'FAULTLINE_INVALID_OPTION',
    `trustProxy is ${shown}; give false, true, a whole number of hops from 0, addresses and CIDR ranges (a list, or one string separated by commas), or a function of an address and its hop`,
  );
}

/** Compiles a `trustProxy` option once, refusing a malformed one at setup; undefined trusts no proxy. */
export function compileTrust(option: unknown): ProxyTrust | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return () => true;
  if (typeof option === 'function') {
    const trusts = option as (address: string, hop: number) => boolean;
    return (address, hop) => address !== undefined && Boolean(trusts(address, hop));
  }
  if (typeof option === 'number') {
    if (!Number.isSafeInteger(option) || option < 0) throw invalid(option);
    return option === 0 ? undefined : (_, hop) => hop < option;
  }
  const list = typeof option === 'string' ? option.split(',') : option;
  if (!Array.isArray(list) || !list.every((entry) => typeof entry === 'string')) throw invalid(option);
  const trusted = compileRanges(list);
  return (address) => address !== undefined && trusted(address);
}

/**
 * The `X-Forwarded-For` entries, nearest first: lines in the order received, each a list separated by
 * commas; the last entry of the last line is the one the nearest proxy appended.
 */
function* fromRight(lines: readonly (string | undefined)[]): Generator<string> {
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

/**
 * The client address of a request, as Express's `req.ip` computes it: the peer, then, while the address at
 * hand is a trusted proxy, the entry it appended to `X-Forwarded-For`. An entry that is not an address
 * ends the walk at the last proxy that forwarded it: a key is always an address, never text a client
 * wrote. `forwarded` gives the header's lines and is read only when the peer is trusted.
 * @example
 * clientAddress('127.0.0.1', compileTrust('loopback'), () => ['203.0.113.7']) // '203.0.113.7'
 */
export function clientAddress(
  peer: string | undefined,
  trust: ProxyTrust | undefined,
  forwarded: () => readonly (string | undefined)[],
): string | undefined {
  // Without trusted proxies the peer is the client: nothing to parse, on every request.
  if (trust === undefined) return peer;
  // A peer the runtime gave as text that is no address is looked at by no address rule.
  const address = peer !== undefined && parseIp(peer) !== undefined ? peer : undefined;
  if (!trust(address, 0)) return peer;
  let client = address;
  let hop = 0;
  for (const entry of fromRight(forwarded())) {
    if (hop > 0 && !trust(client, hop)) break;
    if (parseIp(entry) === undefined) break;
    client = addressText(entry);
    hop++;
  }
  return client ?? peer;
}
