import { identityHeader } from './header.js';
import type { GuardRequest, KeyOf } from './types.js';

/**
 * The /64 (or given) prefix of an IPv6 address, the address itself for IPv4 (IPv4-mapped unwrapped).
 * @example
 * ipPrefix('2001:db8:1:2::9') // '2001:db8:1:2::/64'
 */
export function ipPrefix(ip: string, ipv6Subnet = 64): string {
  if (ip.startsWith('::ffff:') && ip.includes('.')) return ip.slice(7);
  if (!ip.includes(':')) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  const bits: string[] = [];
  let remaining = ipv6Subnet;
  for (const group of groups) {
    if (remaining <= 0) break;
    const value =
      Number.parseInt(group || '0', 16) & (remaining >= 16 ? 0xffff : (0xffff << (16 - remaining)) & 0xffff);
    bits.push(value.toString(16));
    remaining -= 16;
  }
  return `${bits.join(':')}::/${ipv6Subnet}`;
}

/**
 * Keys by the peer address; IPv6 callers by their /64 (one subscriber's prefix), as they can rotate within it.
 * @example
 * rateLimit({ key: byIp, limit: 100, period: '1m' })
 */
export const byIp: KeyOf = (request: GuardRequest) => (request.ip ? ipPrefix(request.ip) : undefined);

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
