import express from 'express';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientAddress, compileTrust, type TrustProxy } from './client-ip.js';

/** Express's `req.ip` for a peer and `X-Forwarded-For` lines (node joins repeated lines with ", "). */
function expressIp(trustProxy: TrustProxy, peer: string, lines: readonly string[]): string | undefined {
  const app = express();
  app.set('trust proxy', trustProxy);
  const req = Object.create(app.request) as { headers: object; socket: object; ip: string | undefined };
  req.headers = lines.length === 0 ? {} : { 'x-forwarded-for': lines.join(', ') };
  req.socket = { remoteAddress: peer };
  return req.ip;
}

const v4 = fc.ipV4();
// ipaddr.js, which Express parses with, reads a dotted tail only after `::ffff:` (node reads one after
// any prefix): other IPv6 addresses are written in hex here.
const v6 = fc.ipV6().filter((text) => !text.includes('.'));
const address = fc.oneof(
  v4,
  v6,
  v4.map((text) => `::ffff:${text}`),
);

/** A range around an address of the pool, as an operator writes one (Express refuses a prefix of 0). */
function rangeOf(text: string, bits: number): string {
  const max = text.includes(':') ? 128 : 32;
  return `${text}/${1 + (bits % max)}`;
}

// Express's `req.ip` (proxy-addr) is the oracle: over chains of addresses drawn from a small pool, so
// that trusted ranges hit, the client address must be the one Express computes.
describe('client address', () => {
  it('is the address Express computes under the same `trust proxy`, for every kind of setting', () => {
    const setup = fc.uniqueArray(address, { minLength: 1, maxLength: 5 }).chain((pool) => {
      const pick = fc.nat({ max: pool.length - 1 }).map((i) => pool[i]!);
      const ranges = fc.array(fc.tuple(pick, fc.nat(), fc.boolean()), { minLength: 1, maxLength: 3 });
      const trust: fc.Arbitrary<TrustProxy> = fc.oneof(
        fc.constantFrom<TrustProxy>(true, false, 'loopback', ['uniquelocal', 'linklocal']),
        fc.nat({ max: 6 }),
        ranges.map((list) => list.map(([text, bits, whole]) => (whole ? text : rangeOf(text, bits)))),
        ranges.map((list) => list.map(([text]) => text).join(', ')),
      );
      const lines = fc.array(fc.array(pick, { minLength: 1, maxLength: 3 }), { maxLength: 3 });
      return fc.tuple(trust, pick, lines);
    });
    fc.assert(
      fc.property(setup, ([trustProxy, peer, chain]) => {
        const lines = chain.map((line) => line.join(', '));
        const ours = clientAddress(peer, compileTrust(trustProxy), () => lines);
        expect(ours).toBe(expressIp(trustProxy, peer, lines));
      }),
      { numRuns: 3000, interruptAfterTimeLimit: 8000 },
    );
  });

  it('trusts an IPv4 client across families only through an IPv4 or IPv4-mapped range, as proxy-addr 2.0.8 does', () => {
    for (const [range, peer, trusted] of [
      ['::/0', '10.0.0.1', false],
      ['::/64', '::ffff:10.0.0.1', false],
      ['::ffff:10.0.0.0/104', '10.0.0.1', true],
      ['::ffff:10.0.0.1', '::ffff:10.0.0.1', true],
      ['::ffff:0:0/80', '::1', false],
      ['10.0.0.0/8', '::ffff:a00:1', true],
      ['::/0', '2001:db8::1', true],
    ] as const) {
      const client = clientAddress(peer, compileTrust(range), () => ['203.0.113.9']);
      expect(client, `${peer} in ${range}`).toBe(trusted ? '203.0.113.9' : peer);
    }
  });

  it('stops at the last proxy before an entry that is not an address, and reads the header only past a trusted peer', () => {
    const trust = compileTrust(true);
    expect(clientAddress('10.0.0.1', trust, () => ['not-an-ip, 10.0.0.2'])).toBe('10.0.0.2');
    expect(clientAddress('10.0.0.1', trust, () => ['[2001:db8::7]:443'])).toBe('2001:db8::7');
    let read = 0;
    const lines = () => {
      read++;
      return ['203.0.113.1'];
    };
    expect(clientAddress('10.0.0.1', compileTrust('loopback'), lines)).toBe('10.0.0.1');
    expect(clientAddress('10.0.0.1', undefined, lines)).toBe('10.0.0.1');
    expect(read).toBe(0);
  });

  it('walks past a peer without an address (a Unix socket) only when trust does not look at addresses', () => {
    const lines = () => ['203.0.113.1'];
    expect(clientAddress(undefined, compileTrust(true), lines)).toBe('203.0.113.1');
    expect(clientAddress(undefined, compileTrust(1), lines)).toBe('203.0.113.1');
    expect(clientAddress(undefined, compileTrust('loopback'), lines)).toBeUndefined();
    expect(
      clientAddress(
        undefined,
        compileTrust(() => true),
        lines,
      ),
    ).toBeUndefined();
  });
});
