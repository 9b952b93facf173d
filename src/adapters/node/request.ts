import type { IncomingMessage } from 'node:http';
import { clientAddress, type ProxyTrust } from '../../server/client-ip.js';
import type { RequestView } from '../../server/request.js';

/**
 * Headers read straight from node's `rawHeaders`: faultline reads one or two headers per error, and
 * node's `req.headers` builds an object of all of them on first access. A class, so that a view
 * allocates no closure per request.
 */
export class RawHeaders {
  constructor(private readonly raw: readonly string[]) {}

  /** The first value of a header; `name` must be lower case. */
  get(name: string): string | null {
    const raw = this.raw;
    const length = name.length;
    for (let i = 0; i < raw.length; i += 2) {
      const key = raw[i]!;
      if (key.length === length && (key === name || key.toLowerCase() === name)) return raw[i + 1]!;
    }
    return null;
  }

  /**
   * Every line of a header, in the order received (empty when absent); `name` must be lower case. What
   * `req.headers` would join with ", ", or keep only the first of, stays apart here.
   */
  lines(name: string): string[] {
    const raw = this.raw;
    const length = name.length;
    const found: string[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const key = raw[i]!;
      if (key.length === length && (key === name || key.toLowerCase() === name)) found.push(raw[i + 1]!);
    }
    return found;
  }
}

// The proxies `createNodeErrors` trusts, left on each request it serves, so that `guard()`, a plain
// export, keys on the same client; `Symbol.for` so that two installed copies of faultline agree.
const trustKey = Symbol.for('faultline.nodeTrustProxy');

/** Leaves the layer's compiled `trustProxy` on a request (nothing when it trusts no proxy). */
export function keepTrust(req: IncomingMessage, trust: ProxyTrust | undefined): void {
  if (trust !== undefined) (req as unknown as Record<symbol, ProxyTrust>)[trustKey] = trust;
}

/** The client address of a node request: the socket's peer, or who a trusted proxy says it forwards. */
export function clientIpOf(req: IncomingMessage): string | undefined {
  const peer = req.socket?.remoteAddress;
  const trust = (req as unknown as Record<symbol, ProxyTrust | undefined>)[trustKey];
  if (trust === undefined) return peer;
  return clientAddress(peer, trust, () => new RawHeaders(req.rawHeaders).lines('x-forwarded-for'));
}

/** A request view over node's `rawHeaders`, with the client address under the layer's `trustProxy`. */
export function toRequestView(req: IncomingMessage): RequestView {
  return {
    method: req.method,
    url: req.url,
    ip: clientIpOf(req),
    headers: new RawHeaders(req.rawHeaders),
  };
}
