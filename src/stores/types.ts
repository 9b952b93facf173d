import type { StoreLogger } from '../server/log.js';

/** A value now, or a promise of it: the memory store answers synchronously, Redis asynchronously. */
export type Awaitable<T> = T | Promise<T>;

/**
 * How long a caller waits for one decision. A decision that reaches the store past `at` changes nothing;
 * one that applied but answered after the caller gave up (`abandoned`) is undone: a request answered
 * without the decision (503) spends no budget, holds no lease and locks no key.
 */
export interface Deadline {
  /** The caller's clock (epoch ms) past which the decision must not apply. */
  readonly at: number;
  /** True once the caller has stopped waiting and answered without this decision. */
  readonly abandoned: boolean;
  /**
   * Calls `undo` once, when the caller stops waiting (at once if it has), before the caller's answer is
   * written: the place for an undo that is right whether or not the decision applied (a lease released by
   * its id, a claim abandoned by its token). On a client that sends one key's commands in order on one
   * connection, it runs after the decision, so that a retry does not meet what the decision held; on one
   * that may reorder them, the late reply's undo still clears it. Absent on deadlines made by hand.
   */
  onAbandon?(undo: () => void): void;
}

/** One GCRA step: `interval` ms per unit, `tolerance` ms of burst, `cost` units (negative refunds). */
export interface RateInput {
  readonly interval: number;
  readonly tolerance: number;
  readonly cost: number;
}

/** The answer of one rate decision; every duration is in milliseconds. */
export interface RateDecision {
  readonly allowed: boolean;
  /** Units still available after this decision. */
  readonly remaining: number;
  /** How long until one more unit is available; 0 when allowed. */
  readonly retryAfterMs: number;
  /** How long until the whole burst is available again. */
  readonly reset: number;
}

/** One quota step: `bounds` are ascending period edges (epoch ms); the store's clock picks the period. */
export interface QuotaInput {
  readonly limit: number;
  readonly cost: number;
  readonly bounds: readonly number[];
}

/**
 * One fixed-window step: at most `limit` units per window of `period` ms, a window starting at the first
 * unit a key spends; `cost` units (negative refunds).
 */
export interface WindowInput {
  readonly limit: number;
  readonly period: number;
  readonly cost: number;
  /**
   * For a refund: the start of the window its units were spent in (`WindowDecision.start`); a refund for
   * a window that has ended changes nothing. A refund without it applies to the running window (a reset).
   */
  readonly start?: number;
}

/** The answer of one window decision. */
export interface WindowDecision {
  readonly allowed: boolean;
  /** Units used in the running window, this decision included when allowed. */
  readonly used: number;
  /**
   * Milliseconds until the running window ends; 0 when none runs, but for a denial, which answers the
   * whole period when no window runs (a cost above the limit: it never fits).
   */
  readonly reset: number;
  /** When the running window started, on the store's clock (epoch ms); 0 when none runs. */
  readonly start: number;
}

/** The answer of one quota decision. */
export interface QuotaDecision {
  readonly allowed: boolean;
  /** Units used in the current period, this decision included when allowed. */
  readonly used: number;
  /** Milliseconds until the current period ends. */
  readonly reset: number;
}

/** The answer of a lease request. */
export interface LeaseDecision {
  readonly acquired: boolean;
  /** Leases held under the key, this one included when acquired. */
  readonly count: number;
  /** When refused: milliseconds until the oldest lease expires. */
  readonly retryAfterMs: number;
}

/** The state of an idempotency key when a request claims it. */
export type ClaimDecision =
  | { readonly state: 'claimed' }
  | { readonly state: 'pending'; readonly retryAfterMs: number }
  | { readonly state: 'mismatch' }
  | { readonly state: 'done'; readonly response: string };

/** What every store has: a name for logs, where its outages are logged, and `close()`. */
export interface StoreBase {
  /** The store's name, for logs only (`memory`, `redis`, `dynamodb`): no guard behaves by it. */
  readonly kind: string;
  /**
   * Where the guards log this store's outages and recoveries.
   * @default one JSON line on stderr per outage and per recovery
   */
  readonly logger?: StoreLogger | undefined;
  /**
   * Optional: true when every decision answers synchronously and cannot reach the store late (an
   * in-process store). Guards then pass no deadline and start no timer. An optimization only.
   */
  readonly synchronous?: boolean;
  /** Releases what the store holds of its own (timers); a client passed in stays the caller's to close. */
  close(): Awaitable<void>;
}

/**
 * A store of GCRA rate decisions (`rateLimit`, `cooldown`). "Denied" is a result, never a rejection;
 * a rejection means the store failed, and the guard's failure policy answers.
 */
export interface RateStore extends StoreBase {
  /**
   * One GCRA decision under `key`. Durations are whole milliseconds (rounded up); a refund (negative
   * cost) never leaves credit beyond a full burst. Past `deadline` it changes nothing and rejects. Two
   * inputs only read, and must write nothing (no key created for an unknown caller, no TTL extended, no
   * entry moved): a decision of no units (`cost: 0`) answers what a request would find (`rateLimit`'s
   * `get`), and a refund with `interval: 0` answers the time left on a key (`reset`), as `rateLimit`'s
   * `ban` reads its ban key.
   */
  rate(key: string, input: RateInput, deadline?: Deadline): Awaitable<RateDecision>;
  /**
   * Optional: synchronous decisions in one namespace (a rate-limit policy), keyed by the caller's key
   * alone, sharing no state with `rate` or other namespaces. `rateLimit` uses it when present, so that no
   * prefixed key is built per decision. An optimization only: without it, `rate(space + key, …)` is used.
   */
  rateIn?(space: string): (key: string, input: RateInput) => RateDecision;
}

/** A store of calendar quotas (`quota`). */
export interface QuotaStore extends StoreBase {
  /** One quota decision in a calendar period; a denied request uses nothing, a refund never goes below 0. */
  quota(key: string, input: QuotaInput, deadline?: Deadline): Awaitable<QuotaDecision>;
}

/** A store of fixed windows (`rateLimit` policies with `algorithm: 'fixed-window'`). */
export interface WindowStore extends StoreBase {
  /**
   * One decision in the key's window, which runs from its `start` for the `period` of each decision. A
   * request that spends starts a window when none runs; a denied one uses nothing and starts none; a
   * refund never goes below 0, and one that takes the count to 0 ends the window (nothing counted in
   * it); a decision of no units (`cost: 0`) only reads, and writes nothing. Past `deadline` it changes
   * nothing and rejects.
   */
  window(key: string, input: WindowInput, deadline?: Deadline): Awaitable<WindowDecision>;
  /**
   * Optional: synchronous decisions in one namespace (a rate-limit policy), keyed by the caller's key alone,
   * as `RateStore.rateIn`: a flood of keys under one policy then evicts only that policy's windows.
   */
  windowIn?(space: string): (key: string, input: WindowInput) => WindowDecision;
}

/** A store of expiring leases (`concurrency`). */
export interface LeaseStore extends StoreBase {
  /** Takes one of `limit` leases under `key` for `ttl` ms; a held lease is taken again (renewed). */
  acquire(
    key: string,
    lease: string,
    limit: number,
    ttl: number,
    deadline?: Deadline,
  ): Awaitable<LeaseDecision>;
  /** Extends a held lease; false when it had expired or was released. */
  renew(key: string, lease: string, ttl: number): Awaitable<boolean>;
  /** Gives a lease back. */
  release(key: string, lease: string): Awaitable<void>;
}

/** A store of idempotency records (`idempotency`). */
export interface IdempotencyStore extends StoreBase {
  /** Claims an idempotency key for one request (`token`) for `lock` ms, or reports its state. */
  claim(
    key: string,
    fingerprint: string,
    token: string,
    lock: number,
    deadline?: Deadline,
  ): Awaitable<ClaimDecision>;
  /**
   * Stores the response of the claiming request for `ttl` ms; a response over the store's per-record cap
   * is not stored and the claim is released instead, so that a retry executes. Another token changes nothing.
   */
  complete(key: string, token: string, response: string, ttl: number): Awaitable<void>;
  /** Releases a claim that produced nothing to replay, so that a retry executes. */
  abandon(key: string, token: string): Awaitable<void>;
}

/** The methods each capability needs, for checks at a guard's definition. */
export const capabilityMethods = {
  RateStore: ['rate'],
  QuotaStore: ['quota'],
  WindowStore: ['window'],
  LeaseStore: ['acquire', 'renew', 'release'],
  IdempotencyStore: ['claim', 'complete', 'abandon'],
} as const;

/** The methods of `capability` that `store` lacks (none for a store that has them all). */
export function missingMethods(store: unknown, capability: keyof typeof capabilityMethods): string[] {
  return capabilityMethods[capability].filter(
    (method) => typeof (store as Record<string, unknown> | null)?.[method] !== 'function',
  );
}

/** A store of every capability, as `memoryStore` and `redisStore` are: any guard takes it. */
export type Store = RateStore & QuotaStore & WindowStore & LeaseStore & IdempotencyStore;
