import { FaultlineConfigError } from '../catalog/config-error.js';
import { identityHeader } from './header.js';
import { isIP } from './is-ip.js';
import type { GuardRequest, KeyOf } from './types.js';

const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/;
const port = /^:\d{1,5}$/;

/** The address written in `ip`, without brackets, port or zone: `[2001:db8::1]:443` → `2001:db8::1`. */
function addressOf(ip: string): string {
  let address = ip;
  if (address.startsWith('[')) {
    const end = address.indexOf(']');
    const rest = end === -1 ? undefined : address.slice(end + 1);
    if (rest === '' || (rest !== undefined && port.test(rest))) address = address.slice(1, end);
  } else {
    const v4 = v4WithPort.exec(address);
    if (v4) return v4[1]!;
  }
  const zone = address.indexOf('%');
  return zone === -1 || !address.includes(':') ? address : address.slice(0, zone);
}

/** The eight 16-bit groups of a valid IPv6 address (as `isIP` accepts it, zone removed). */
function groupsOf(address: string): number[] {
  let text = address;
  const last = text.lastIndexOf(':');
  if (text.includes('.', last)) {
    // A dotted tail (`::ffff:10.0.0.1`) is the last 32 bits: rewrite it as two groups.
    const [a = 0, b = 0, c = 0, d = 0] = text
      .slice(last + 1)
      .split('.')
      .map(Number);
    text = `${text.slice(0, last + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const gap = text.indexOf('::');
  const head = gap === -1 ? text : text.slice(0, gap);
  const tail = gap === -1 ? '' : text.slice(gap + 2);
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const zeros: string[] = Array(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => Number.parseInt(group, 16));
}

/**
 * The key of a client address: an IPv4 address as itself; an IPv6 address as its /64 (or given) prefix,
 * since one subscriber holds a whole /64 and can rotate within it; an IPv4-mapped IPv6 address
 * (`::ffff:10.0.0.1`, `::FFFF:a00:1`) as the IPv4 client it is, never the `::/64` every such client would
 * share. Brackets, a port and a zone are dropped (`[2001:db8::1]:443`, `203.0.113.7:51234`,
 * `fe80::1%eth0`). A value that is not an address is its own key.
 * @example
 * ipPrefix('2001:db8:1:2::9') // '2001:db8:1:2::/64'
 * ipPrefix('::ffff:a00:1') // '10.0.0.1'
 */
export function ipPrefix(ip: string, ipv6Subnet = 64): string {
  if (!Number.isInteger(ipv6Subnet) || ipv6Subnet < 1 || ipv6Subnet > 128) {
    throw new RangeError(`ipPrefix: ipv6Subnet must be a whole number from 1 to 128, not ${ipv6Subnet}`);
  }
  // The two forms node's sockets give: IPv4, and IPv4 on a dual-stack socket.
  if (isIP(ip) === 4) return ip;
  if (ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4) return ip.slice(7);
  const address = addressOf(ip);
  const family = isIP(address);
  if (family === 4) return address;
  if (family !== 6) return ip;
  const groups = groupsOf(address);
  if (
    groups[5] === 0xffff &&
    groups[0] === 0 &&
    groups[1] === 0 &&
    groups[2] === 0 &&
    groups[3] === 0 &&
    groups[4] === 0
  ) {
    const high = groups[6]!;
    const low = groups[7]!;
    return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  }
  const kept: string[] = [];
  let remaining = ipv6Subnet;
  for (let i = 0; i < 8 && remaining > 0; i++) {
    const mask = remaining >= 16 ? 0xffff : (0xffff << (16 - remaining)) & 0xffff;
    kept.push((groups[i]! & mask).toString(16));
    remaining -= 16;
  }
  return kept.length === 8 ? `${kept.join(':')}/${ipv6Subnet}` : `${kept.join(':')}::/${ipv6Subnet}`;
}

/**
 * Keys by the client address, as `ipPrefix` writes it. A request without one is refused, never let
 * through unlimited: the guard throws a configuration error, answered as the catalog's 500 and logged.
 * No address means the adapter was given none (Hono on `app.fetch` needs its `ip` option; a server on a
 * Unix socket behind a proxy needs the proxy trusted) or the connection closed before the guard ran.
 * @example
 * rateLimit({ key: byIp, limit: 100, period: '1m' })
 */
export const byIp: KeyOf = (request: GuardRequest) => {
  const { ip } = request;
  if (!ip) {
    throw new FaultlineConfigError(
      'FAULTLINE_INVALID_OPTION',
      'byIp: the request has no client address, so the guard refuses it rather than skip its limit; give the adapter the address (Hono on app.fetch: the `ip` option) or key by something else',
    );
  }
  return ipPrefix(ip);
};

/**
 * Keys by a request header (an app id, an API key); requests without it skip the guard, so put the guard
 * after the one that requires or authenticates the header. The header sent twice, or holding a comma, is
 * refused with the catalog's `INVALID_HEADER` (400): it would open a bucket of its own.
 * @example
 * rateLimit({ key: byHeader('x-app-id'), limit: 600, period: '1m' })
 */
export function byHeader(name: string): KeyOf {
  const lower = name.toLowerCase();
  return (request) => {
    const value = identityHeader(request.headers, lower, name);
    return value === '' ? undefined : value;
  };
}
