import { describe, expect, it } from 'vitest';
import { clientAddress, compileTrust } from './client-ip.js';

describe('client address', () => {
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
