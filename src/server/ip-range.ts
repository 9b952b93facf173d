import { FaultlineConfigError } from '../catalog/config-error.js';

// Addresses as 16 bytes: an IPv4 address is its IPv4-mapped IPv6 form, so that one comparison serves
// both families and `::ffff:127.0.0.1` (node's dual-stack peer) is loopback like 127.0.0.1.
type Bytes = Uint8Array;

const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const hexGroup = /^[0-9a-f]{1,4}$/i;
const ipv4WithPort = /^\d{1,3}(?:\.\d{1,3}){3}:\d{1,5}$/;

function parseIpv4(text: string, into: Bytes, at: number): boolean {
  const match = ipv4.exec(text);
  if (!match) return false;
  for (let i = 0; i < 4; i++) {
    const part = match[i + 1]!;
    // A leading zero reads as octal to some parsers: refuse the ambiguity.
    if ((part.length > 1 && part[0] === '0') || Number(part) > 255) return false;
    into[at + i] = Number(part);
  }
  return true;
}

function parseGroups(text: string, into: number[]): boolean {
  if (text === '') return true;
  for (const group of text.split(':')) {
    if (!hexGroup.test(group)) return false;
    into.push(Number.parseInt(group, 16));
  }
  return true;
}

function parseIpv6(text: string): Bytes | undefined {
  const bytes = new Uint8Array(16);
  let tail = text;
  let groupsLeft = 8;
  // An embedded IPv4 address (`::ffff:1.2.3.4`) fills the last two groups.
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    if (!parseIpv4(text.slice(lastColon + 1), bytes, 12)) return undefined;
    tail = text.slice(0, lastColon + 1);
    if (tail.endsWith(':') && !tail.endsWith('::')) tail = tail.slice(0, -1);
    groupsLeft = 6;
  }
  const halves = tail.split('::');
  if (halves.length > 2) return undefined;
  const head: number[] = [];
  const rest: number[] = [];
  if (!parseGroups(halves[0]!, head) || !parseGroups(halves[1] ?? '', rest)) return undefined;
  const fill = groupsLeft - head.length - rest.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return undefined;
  const groups = [...head, ...Array<number>(halves.length === 1 ? 0 : fill).fill(0), ...rest];
  for (let i = 0; i < groups.length; i++) {
    bytes[i * 2] = groups[i]! >> 8;
    bytes[i * 2 + 1] = groups[i]! & 0xff;
  }
  return bytes;
}

/**
 * The bytes of an IP address as a proxy writes it in `X-Forwarded-For`: IPv4, IPv6 (a `%zone` dropped),
 * either with a port (`1.2.3.4:80`, `[::1]:80`); undefined for anything else.
 */
export function parseIp(text: string): Bytes | undefined {
  let address = text.trim();
  if (address.length === 0 || address.length > 64) return undefined;
  if (address.startsWith('[')) {
    const end = address.indexOf(']');
    if (end === -1 || (end + 1 < address.length && !/^:\d{1,5}$/.test(address.slice(end + 1))))
      return undefined;
    address = address.slice(1, end);
  } else if (ipv4WithPort.test(address)) {
    address = address.slice(0, address.indexOf(':'));
  }
  const zone = address.indexOf('%');
  if (zone !== -1) address = address.slice(0, zone);
  if (!address.includes(':')) {
    const bytes = new Uint8Array(16);
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    return parseIpv4(address, bytes, 12) ? bytes : undefined;
  }
  return parseIpv6(address);
}

/** The address of a forwarded entry as the key shows it: without brackets, port or zone. */
export function addressText(text: string): string {
  let address = text.trim();
  if (address.startsWith('[')) address = address.slice(1, address.indexOf(']'));
  else if (ipv4WithPort.test(address)) address = address.slice(0, address.indexOf(':'));
  const zone = address.indexOf('%');
  return zone === -1 ? address : address.slice(0, zone);
}

/** A range of addresses: its first bytes and prefix length (over the 16-byte form). */
interface Range {
  readonly bytes: Bytes;
  readonly bits: number;
  /** Written as IPv6: it holds IPv4 clients only as an IPv4-mapped range of at least 96 bits. */
  readonly v6: boolean;
}

/** Whether 16 address bytes are an IPv4 address (`::ffff:a.b.c.d`). */
function isMapped(bytes: Bytes): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

const presets: Record<string, readonly string[]> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

function parseRange(text: string): Range {
  const [address = '', prefix, extra] = text.trim().split('/');
  // A range names a plain address: no brackets, port or zone.
  const plain = !/[[\]%]/.test(address) && !ipv4WithPort.test(address);
  const bytes = plain ? parseIp(address) : undefined;
  const max = address.includes(':') ? 128 : 32;
  const bits = prefix === undefined ? max : /^\d{1,3}$/.test(prefix) ? Number(prefix) : Number.NaN;
  if (!bytes || extra !== undefined || !(bits >= 0 && bits <= max)) {
    throw new FaultlineConfigError(
      'FAULTLINE_INVALID_OPTION',
      `trustProxy entry ${JSON.stringify(text)} is not an IP address or a CIDR range; use an address ('10.0.0.1'), a range ('10.0.0.0/8', 'fd00::/8') or 'loopback', 'linklocal', 'uniquelocal'`,
    );
  }
  return { bytes, bits: max === 32 ? bits + 96 : bits, v6: max === 128 };
}

function inRange(address: Bytes, range: Range): boolean {
  // As proxy-addr 2.0.8: an IPv6 range such as `::/0` holds no IPv4 client, an IPv4-mapped range holds
  // no native IPv6 one, and a mapped range shorter than the `::ffff:` marker holds neither.
  if (range.v6 && (isMapped(address) !== isMapped(range.bytes) || (isMapped(range.bytes) && range.bits < 96)))
    return false;
  const whole = range.bits >> 3;
  for (let i = 0; i < whole; i++) if (address[i] !== range.bytes[i]) return false;
  const rest = range.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (address[whole]! & mask) === (range.bytes[whole]! & mask);
}

/**
 * Compiles a list of trusted proxies (addresses, CIDR ranges, or the names `loopback`, `linklocal` and
 * `uniquelocal`, as Express's `trust proxy` takes them) into a test of one address.
 * @example
 * const trusted = compileRanges(['loopback', '10.0.0.0/8']);
 * trusted('10.1.2.3') // true
 */
export function compileRanges(list: readonly string[]): (address: string) => boolean {
  const ranges: Range[] = [];
  for (const entry of list) {
    const name = entry.trim();
    for (const each of presets[name] ?? [name]) ranges.push(parseRange(each));
  }
  return (address) => {
    const bytes = parseIp(address);
    return bytes !== undefined && ranges.some((range) => inRange(bytes, range));
  };
}
