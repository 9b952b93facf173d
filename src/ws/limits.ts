import { type ApiError, isApiError } from '../catalog/api-error.js';
import { invalidOption } from '../catalog/config-error.js';
import { RoleError } from '../catalog/role-error.js';
import { claimNames } from '../guards/claims.js';
import { type ConcurrencyGuard, concurrency, type Lease } from '../guards/concurrency.js';
import { checkMessage, type MessageVerdict } from '../guards/message.js';
import { rateLimit } from '../guards/rate-limit.js';
import type { Guard, GuardRequest, KeyOf } from '../guards/types.js';
import { memoryStore } from '../stores/memory.js';
import type { Awaitable, Store } from '../stores/types.js';

/** What to do with a message over the rate: drop it, answer an error event (one per wait), or close the connection. */
export type OverRateAction = 'drop' | 'event' | 'close';

/** What a drop hook receives: why a message or a send was dropped. */
export interface DropInfo {
  /**
   * `rate`: an inbound message over the rate; `backpressure`: an outbound send to a slow reader;
   * `errorEvents`: an error event past the connection's budget of them.
   */
  readonly reason: 'rate' | 'backpressure' | 'errorEvents';
  /** The limiter key (session) or connection id. */
  readonly key: string;
  /**
   * The message type, when known: a message over the rate is dropped unparsed, so its type is known only
   * where the rate has `exempt` types (which the message must be parsed to tell apart).
   */
  readonly type?: string | undefined;
  /** Milliseconds until the next message is allowed (rate drops). */
  readonly retryAfterMs?: number;
}

/**
 * The message rate of a WebSocket endpoint, per session: `limit`/`window` compiled into a `rateLimit` guard
 * of `faultline/guards`, or your own `guard` (one budget for HTTP and WebSocket when both use it).
 */
export interface MessageRateOptions {
  /** Messages allowed per `window` (unless `guard` is given). */
  limit?: number;
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
   * Guards to run on every message instead of `limit`/`window`: `rateLimit`, `cooldown` or `quota` of
   * `faultline/guards`, keyed with `bySession` or any function of the handshake request.
   */
  guard?: Guard | readonly Guard[];
  /**
   * What happens to a message over the rate: `event` answers the first one of a wait with
   * `messageRateLimited` and its `retry_after`, and drops the rest of that wait without a word.
   * @default 'drop'
   */
  over?: OverRateAction;
  /**
   * Close once this many messages came over the rate, less one for each within it (escalation): a flood
   * that the refills let through in part still closes. Unset: never for `drop`/`event`.
   */
  closeAfter?: number;
  /** Message types never limited (heartbeats, acks, resume). */
  exempt?: readonly string[];
  /**
   * Where the budget lives: a `memoryStore()` per process, or a `redisStore` shared by every instance.
   * A store that fails lets messages through.
   * @default a memoryStore of its own
   */
  store?: Store;
  /**
   * Prefix of the store keys.
   * @default 'fl:ws:rate:'
   */
  prefix?: string;
}

/**
 * The connection limit of a WebSocket endpoint: a `concurrency` guard of `faultline/guards` (leases per
 * session, answered 429 at the handshake), compiled from `max` or given as `guard`.
 */
export interface ConnectionLimitOptions {
  /** Simultaneous connections per key (unless `guard` is given). */
  max?: number;
  /** A `concurrency` guard to take leases from instead of `max`, keyed with `bySession` or by the request. */
  guard?: ConcurrencyGuard;
  /**
   * Where leases live; with a `redisStore`, every instance shares the limit.
   * @default a memoryStore of its own
   */
  store?: Store;
  /**
   * How long a lease lives without renewal, in ms: a dead instance's leases expire after it. Held leases
   * renew themselves every third of it.
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

// The session of each connection's request view, as `authenticate` decided it.
const sessions = new WeakMap<GuardRequest, string>();

/**
 * Keys a guard by the connection's session (the `key` that `authenticate` returned), for guards given to
 * `limits.rate.guard` or `limits.connections.guard`.
 * @example
 * const perSession = rateLimit({ key: bySession, limit: 20, period: '1s', headers: false });
 * createWsErrors({ authenticate, limits: { rate: { guard: perSession, over: 'event' } } });
 */
export const bySession: KeyOf = (request) => sessions.get(request);

/** The request view guards see for one connection: the handshake's, carrying its session. */
export function connectionRequest(view: GuardRequest, session: string): GuardRequest {
  const request: GuardRequest = { method: view.method, url: view.url, headers: view.headers, ip: view.ip };
  sessions.set(request, session);
  return request;
}

/**
 * Two endpoints whose limits keep their state on one store under the default prefix would share a
 * session's budget and its connection slots: the second is refused when it is made, unless the author
 * gave both the same `prefix` on purpose.
 */
function claimPrefix(store: object, limit: string, prefix: string | undefined): void {
  const space = limit === 'limits.rate' ? 'ws-rate' : 'ws-connections';
  const name = prefix ?? limit;
  claimNames(store, limit, [{ space, name, explicit: prefix !== undefined }], 'prefix');
}

function nameOf(prefix: string): string {
  return prefix.endsWith(':') ? prefix.slice(0, -1) : prefix;
}

/** A denial's `Retry-After`, in ms; 0 when it has none. */
export function waitOf(error: { readonly headers?: Readonly<Record<string, string>> | undefined }): number {
  const seconds = Number(error.headers?.['retry-after']);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}

/** A compiled message limit: the guards' verdict for one message of a connection. */
export interface MessageLimiter {
  check(request: GuardRequest): Awaitable<MessageVerdict>;
}

/** Compiles the rate options into the guards every message passes. */
export function createMessageLimiter(options: MessageRateOptions): MessageLimiter {
  let guards: readonly Guard[];
  if (options.guard !== undefined) {
    guards = Array.isArray(options.guard) ? options.guard : [options.guard as Guard];
  } else {
    if (options.limit === undefined) throw invalidOption('limits.rate needs a limit or a guard');
    const store = options.store ?? memoryStore();
    claimPrefix(store, 'limits.rate', options.prefix);
    guards = [
      rateLimit({
        name: nameOf(options.prefix ?? 'fl:ws:rate:'),
        key: bySession,
        limit: options.limit,
        period: options.window ?? 1000,
        burst: options.burst ?? options.limit,
        headers: false,
        onStoreError: 'open',
        store,
      }),
    ];
  }
  return { check: (request) => checkMessage(guards, request) };
}

/** Compiled connection leases: taken at the handshake, renewed by the guard, given back on close. */
export interface ConnectionLeases {
  /** A lease, `undefined` when not limited, or the denial (an ApiError with its Retry-After in ms). */
  acquire(
    request: GuardRequest,
  ): Promise<Lease | undefined | { denied: ApiError | RoleError; retryAfterMs: number }>;
}

/** Compiles the connection-limit options into a `concurrency` guard. */
export function createConnectionLeases(options: ConnectionLimitOptions, heartbeat: number): ConnectionLeases {
  let guard = options.guard;
  if (guard === undefined) {
    if (options.max === undefined) throw invalidOption('limits.connections needs max or a guard');
    const store = options.store ?? memoryStore();
    claimPrefix(store, 'limits.connections', options.prefix);
    guard = concurrency({
      name: nameOf(options.prefix ?? 'fl:ws:conn:'),
      key: bySession,
      limit: options.max,
      ttl: options.ttl ?? Math.max(30_000, 3 * heartbeat),
      store,
    });
  }
  const leases = guard;
  return {
    async acquire(request) {
      try {
        return await leases.acquire(request);
      } catch (thrown) {
        if ((thrown instanceof RoleError || isApiError(thrown)) && thrown.role === 'concurrencyLimited') {
          return { denied: thrown, retryAfterMs: waitOf(thrown) };
        }
        throw thrown;
      }
    },
  };
}
