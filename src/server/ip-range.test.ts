import { BlockList, isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRanges, parseIp } from './ip-range.js';

function mapped(text: string): boolean {
  const bytes = parseIp(text)!;
  return bytes.subarray(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

// node's own address parser and BlockList are the oracle: a trusted-proxy range must match exactly the
// addresses node's would.
describe('trusted-proxy ranges', () => {
  it('parses every address node parses, in every textual form fast-check writes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (address) => {
        expect(parseIp(address) !== undefined).toBe(isIP(address) !== 0);
      }),
      { numRuns: 2000, interruptAfterTimeLimit: 5000 },
    );
  });

  it('refuses what is not an address: names, octal-looking parts, overlong groups, garbage', () => {
    for (const text of [
      'example.com',
      '01.2.3.4',
      '1.2.3.256',
      '1.2.3',
      '12345::1',
      ':::1',
      '1::2::3',
      '',
      'x'.repeat(100),
    ]) {
      expect(parseIp(text)).toBeUndefined();
    }
    for (const text of ['1.2.3.4:8080', '[::1]', '[::1]:443', 'fe80::1%eth0', ' 10.0.0.1 ']) {
      expect(parseIp(text)).toBeDefined();
    }
  });

  it('matches an address against a CIDR range exactly as node’s BlockList does', () => {
    const v4 = fc.tuple(fc.ipV4(), fc.ipV4(), fc.integer({ min: 0, max: 32 }));
    const v6 = fc.tuple(fc.ipV6(), fc.ipV6(), fc.integer({ min: 0, max: 128 }));
    fc.assert(
      fc.property(fc.oneof(v4, v6), ([network, address, prefix]) => {
        const family = isIP(network) === 4 ? 'ipv4' : 'ipv6';
        // BlockList compares IPv6 bytes alone; across families (an IPv4-mapped address against a native
        // IPv6 range, or the reverse) proxy-addr is the oracle, in client-ip.test.ts.
        fc.pre(
          family === 'ipv4' || (mapped(network) === mapped(address) && !(mapped(network) && prefix < 96)),
        );
        const oracle = new BlockList();
        oracle.addSubnet(network, prefix, family);
        expect(compileRanges([`${network}/${prefix}`])(address)).toBe(oracle.check(address, family));
      }),
      { numRuns: 2000, interruptAfterTimeLimit: 5000 },
    );
  });

  it('treats an IPv4-mapped IPv6 address as its IPv4 address, as Express’s `trust proxy` does', () => {
    const loopback = compileRanges(['loopback']);
    expect(loopback('::ffff:127.0.0.1')).toBe(true);
    expect(loopback('127.8.9.10')).toBe(true);
    expect(loopback('::1')).toBe(true);
    expect(loopback('128.0.0.1')).toBe(false);
    const local = compileRanges(['uniquelocal', 'linklocal']);
    for (const address of ['10.1.2.3', '172.31.0.1', '192.168.1.1', 'fd00::1', 'fe80::1', '169.254.9.9']) {
      expect(local(address)).toBe(true);
    }
    for (const address of ['172.32.0.1', '8.8.8.8', '2001:db8::1', 'not-an-address']) {
      expect(local(address)).toBe(false);
    }
  });
});
