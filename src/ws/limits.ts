import { memoryStore } from '../stores/memory.js';
import type { Awaitable, LeaseDecision, RateDecision, Store } from '../stores/types.js';

/** What to do with a message over the rate: drop it, answer an error event, or close the connection. */
export type OverRateAction = 'drop' | 'event' | 'close';

/** What a drop hook receives: why a message or a send was dropped. */
export interface DropInfo {
  /** `rate`: an inbound message over the rate; `backpressure`: an outbound send to a slow reader. */
  readonly reason: 'rate' | 'backpressure';
  /** The limiter key (session) or connection id. */
  readonly key: string;
  /** The message type, when known. */
  readonly type?: string | undefined;
  /** Milliseconds until the next message is allowed (rate drops). */
  readonly retryAfter?: number;
}

/** The message-rate limit of a WebSocket endpoint: GCRA on a store, keyed by session. */
export interface RateLimitOptions {
  /** Messages allowed per `window`. */
  limit: number;
  /**
   * The window in milliseconds.
   * @default 1000
   */
  window?: number;
  /**
   * How many messages may arrive at once.
   * @default limit
   */
  burst?: number;
  /**
   * What happens to a message over the rate.
   * @default 'drop'
   */
  over?: OverRateAction;
  /** Close after this many messages over the rate in a row (escalation); unset: never for `drop`/`event`. */
  closeAfter?: number;
  /** Message types never limited (heartbeats, acks, resume). */
  exempt?: readonly string[];
  /**
   * Where the budget lives: a `memoryStore()` per process, or a `redisStore` shared by every instance.
   * @default a memoryStore of its own
   */
  store?: Store;
  /**
   * Prefix of the store keys.
   * @default 'fl:ws:rate:'
   */
  prefix?: string;
}

/** The connection limit of a WebSocket endpoint: leases per key, answered 429 at the handshake. */
export interface ConnectionLimitOptions {
  /** Simultaneous connections per key. */
  max: number;
  /**
   * Where leases live; with a `redisStore`, every instance shares the limit.
   * @default a memoryStore of its own
   */
  store?: Store;
  /**
   * How long a lease lives without renewal, in ms: a dead instance's leases expire after it.
   * Live connections renew theirs on every heartbeat.
   * @default 3 × heartbeat interval, at least 30 000
   */
  ttl?: number;
  /**
   * When full: refuse the new connection (429), or close the oldest one of this instance.
   * @default 'reject'
   */
  onFull?: 'reject' | 'evictOldest';
  /**
   * Prefix of the store keys.
   * @default 'fl:ws:conn:'
   */
  prefix?: string;
}

/** A compiled rate limiter: one GCRA decision per message. */
export interface MessageLimiter {
  take(key: string): Awaitable<RateDecision>;
}

/** Compiles the rate options into a limiter over its store. */
export function createMessageLimiter(options: RateLimitOptions): MessageLimiter {
  const window = options.window ?? 1000;
  const interval = window / options.limit;
  const burst = options.burst ?? options.limit;
  const input = { interval, tolerance: interval * burst, cost: 1 };
  const store = options.store ?? memoryStore();
  const prefix = options.prefix ?? 'fl:ws:rate:';
  return { take: (key) => store.rate(prefix + key, input) };
}

/** Compiled connection leases: acquire at the handshake, renew on the heartbeat, release on close. */
export interface ConnectionLeases {
  readonly ttl: number;
  acquire(key: string, lease: string): Awaitable<LeaseDecision>;
  renew(key: string, lease: string): Awaitable<boolean>;
  release(key: string, lease: string): void;
}

/** Compiles the connection-limit options into leases over its store. */
export function createConnectionLeases(options: ConnectionLimitOptions, heartbeat: number): ConnectionLeases {
  const store = options.store ?? memoryStore();
  const prefix = options.prefix ?? 'fl:ws:conn:';
  const ttl = options.ttl ?? Math.max(30_000, 3 * heartbeat);
  return {
    ttl,
    acquire: (key, lease) => store.acquire(prefix + key, lease, options.max, ttl),
    renew: (key, lease) => store.renew(prefix + key, lease, ttl),
    release(key, lease) {
      // Releasing is best effort: a lease that cannot be given back expires after its ttl.
      try {
        const done = store.release(prefix + key, lease);
        if (done instanceof Promise) done.catch(() => {});
      } catch {
        // See above.
      }
    },
  };
}
