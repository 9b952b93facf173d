/**
 * Requests to upstreams a tenant names (a connector's URL) without letting the tenant reach the
 * server's own network: every address a host resolves to is checked against the ranges that are not
 * the public internet, the request connects to the address that was checked (no second resolution
 * for a rebinding DNS to answer differently), and redirects are followed by hand, each hop checked
 * again, a bounded number of times. Operators may name origins that are reachable whatever their
 * address (a test or development upstream on loopback); nothing else is.
 */
import { lookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** Resolves a host name to every address it has. */
export type Resolve = (hostname: string) => Promise<readonly { address: string; family: number }[]>;

/** Where tenant-named requests may go, and how long they may take. */
export interface UpstreamPolicy {
  /** Origins (`http://127.0.0.1:8080`) reachable whatever their address. @default none */
  readonly allow?: readonly string[];
  /** @default node's resolver, every address */
  readonly resolve?: Resolve;
  /** The whole exchange, resolution and redirects included, in ms. */
  readonly timeoutMs: number;
  /** @default 3 */
  readonly maxRedirects?: number;
}

/** A tenant-named URL that may not be requested; the message is for the log, never the wire. */
export class RefusedUpstream extends Error {
  override readonly name = 'RefusedUpstream';
}

// Not the public internet (IANA special-purpose registries): loopback, private, CGNAT, link-local and
// the cloud metadata address in it, documentation, benchmarking, multicast and reserved ranges.
const blocked = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(network, prefix, 'ipv4');
// IPv6: unspecified, loopback and IPv4-compatible (::/96), NAT64 prefixes that embed an IPv4 address,
// discard, IETF assignments (Teredo), documentation, 6to4, unique-local (fd00:ec2::254, the IPv6 metadata
// address, is in it), link-local, site-local and multicast. IPv4-mapped addresses (::ffff:0:0/96) are
// matched against the IPv4 ranges above by the BlockList itself; IPv4-translated ones (::ffff:0:0:0/96,
// SIIT) are not, and are refused whole, as no public upstream is reached by one.
for (const [network, prefix] of [
  ['::', 96],
  ['::ffff:0:0:0', 96],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  blocked.addSubnet(network, prefix, 'ipv6');

/** True when `address` (an IP literal) is outside the public internet. */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '');

/**
 * Why `url` can never be an upstream, judged without resolving it: its scheme, or a literal address
 * outside the public internet. `undefined` when it may be tried (its addresses are checked when it is).
 */
export function literalRefusal(url: URL, allow: readonly string[] = []): string | undefined {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `scheme ${url.protocol} is not http(s)`;
  if (allow.includes(url.origin)) return undefined;
  const host = hostOf(url);
  if (isIP(host) !== 0 && isBlockedAddress(host)) return `${host} is not a public address`;
  return undefined;
}

const defaultResolve: Resolve = (hostname) => lookup(hostname, { all: true, verbatim: true });

/** The checked address of one hop, or the refusal. */
async function checkedAddress(
  url: URL,
  policy: UpstreamPolicy,
): Promise<{ address: string; family: number }> {
  const refusal = literalRefusal(url, policy.allow);
  if (refusal) throw new RefusedUpstream(refusal);
  const host = hostOf(url);
  const family = isIP(host);
  const addresses =
    family !== 0 ? [{ address: host, family }] : await (policy.resolve ?? defaultResolve)(host);
  if (addresses.length === 0) throw new RefusedUpstream(`${host} has no address`);
  if (!policy.allow?.includes(url.origin))
    for (const { address } of addresses)
      if (isBlockedAddress(address))
        throw new RefusedUpstream(`${host} resolves to ${address}, not a public address`);
  return addresses[0]!;
}

/** A lookup that answers only the address already checked: the connection cannot be re-resolved. */
function pinned(address: string, family: number): LookupFunction {
  return (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all)
      (callback as (e: null, a: unknown[]) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

function send(
  url: URL,
  at: { address: string; family: number },
  signal: AbortSignal,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method: 'POST',
      headers: { 'content-length': '0', 'user-agent': 'seed-000-connector-test' },
      lookup: pinned(at.address, at.family),
      agent: false,
      signal,
    });
    request.once('response', resolve);
    request.once('error', reject);
    request.end();
  });
}

/**
 * POSTs an empty body to `target` and answers the final status, following up to `maxRedirects`
 * redirects by hand. Rejects with `RefusedUpstream` when a hop may not be requested, and with the
 * network's error (or the timeout's) otherwise.
 */
export async function postUpstream(target: string, policy: UpstreamPolicy): Promise<{ status: number }> {
  const signal = AbortSignal.timeout(policy.timeoutMs);
  const timedOut = new Promise<never>((_, reject) =>
    signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
  );
  timedOut.catch(() => {});
  let url = new URL(target);
  for (let hop = 0; ; hop++) {
    const at = await Promise.race([checkedAddress(url, policy), timedOut]);
    const response = await Promise.race([send(url, at, signal), timedOut]);
    response.destroy();
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (status < 300 || status >= 400 || location === undefined) return { status };
    if (hop >= (policy.maxRedirects ?? 3)) throw new Error(`more than ${policy.maxRedirects ?? 3} redirects`);
    try {
      url = new URL(location, url);
    } catch {
      throw new Error('a redirect to an unparseable location');
    }
  }
}
