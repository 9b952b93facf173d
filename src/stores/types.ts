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
  readonly retryAfter: number;
  /** How long until the whole burst is available again. */
  readonly reset: number;
}

/** One quota step: `bounds` are ascending period edges (epoch ms); the store's clock picks the period. */
export interface QuotaInput {
  readonly limit: number;
  readonly cost: number;
  readonly bounds: readonly number[];
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
  readonly retryAfter: number;
}

/** The state of an idempotency key when a request claims it. */
export type ClaimDecision =
  | { readonly state: 'claimed' }
  | { readonly state: 'pending'; readonly retryAfter: number }
  | { readonly state: 'mismatch' }
  | { readonly state: 'done'; readonly response: string };

/**
 * Where guards keep their state: a few atomic decisions. "Denied" is a result, never a rejection; a
 * rejection means the store failed, and the guard's failure policy answers.
 */
export interface Store {
  /** The store's kind, for logs: `memory`, `redis`. */
  readonly kind: string;
  /**
   * Where the guards log this store's outages and recoveries.
   * @default one JSON line on stderr per outage and per recovery
   */
  readonly logger?: StoreLogger | undefined;
  /** One GCRA decision (rate limits, cooldowns). */
  rate(key: string, input: RateInput, deadline?: Deadline): Awaitable<RateDecision>;
  /** One quota decision in a calendar period; a denied request uses nothing. */
  quota(key: string, input: QuotaInput, deadline?: Deadline): Awaitable<QuotaDecision>;
  /** Takes one of `limit` leases under `key` for `ttl` ms. */
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
   * is not stored and the claim is released instead, so that a retry executes.
   */
  complete(key: string, token: string, response: string, ttl: number): Awaitable<void>;
  /** Releases a claim that produced nothing to replay, so that a retry executes. */
  abandon(key: string, token: string): Awaitable<void>;
}
