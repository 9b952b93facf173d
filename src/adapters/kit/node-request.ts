import type { IncomingMessage, ServerResponse } from 'node:http';
import { clientAddress, type ProxyTrust } from '../../server/client-ip.js';
import type { ErrorLogger } from '../../server/log.js';
import type { RequestView, WritableView } from '../../server/request.js';

/** What `onError` gets as `event.raw` on node:http. */
export interface NodeRaw {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
}

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

type Logged = IncomingMessage & { id?: unknown; log?: ErrorLogger & { level?: unknown } };

/**
 * A request view over node's `rawHeaders`, with the client address under the layer's `trustProxy`, and
 * the id pino-http (or any middleware) left on `req.id`.
 */
export function toRequestView(req: IncomingMessage): RequestView {
  return {
    method: req.method,
    url: req.url,
    ip: clientIpOf(req),
    headers: new RawHeaders(req.rawHeaders),
    requestId: (req as Logged).id,
  };
}

/** pino-http's `req.log`, when a request has one: a logger with a level and `error`. */
export function requestLogOf(req: IncomingMessage): ErrorLogger | undefined {
  const log = (req as Logged).log;
  return typeof log?.level === 'string' && typeof log.error === 'function' ? log : undefined;
}

/** The view of a request being answered: with pino-http's `req.log`, and `{ req, res }` for `onError`. */
export function toAnswerView(req: IncomingMessage, res: ServerResponse): RequestView {
  // Fields set on the fresh view, not spread into another object: this runs for every error answer.
  const view: WritableView = toRequestView(req);
  view.log = requestLogOf(req);
  view.raw = { req, res } satisfies NodeRaw;
  return view;
}
