import { logStoreOutage, logStoreRecovery, type StoreLogger } from '../server/log.js';
import type { StoreBase } from './types.js';

// A store is back once it answers a second after its last failure: a store that fails one call in two
// (one shard of a cluster down) stays one outage, not two log lines per request.
const quiet = 1000;

/**
 * The health of one store as its guards see it: one log line when it goes down, one when it is back.
 *
 * It is also a circuit breaker, so that a frozen store costs a request one failure, not one wait per
 * guard, and commands stop piling up in its client's queue. A decision that times out while the store
 * answered nothing since it was sent (no decision of any guard on it, on time) shuts the store: from then
 * on one decision at a time is sent, as a probe, and the others fail at once by their guard's policy until
 * the store answers one (it is open again) or the probe's own deadline passes (the next decision probes).
 * A store that answers some calls (one shard of a cluster down, a slow key) never shuts: each of its
 * answers opens it.
 */
export class Outage {
  /** True from the first failure until a success after a quiet second. */
  down = false;
  /** Answers (values or errors) the store gave on time; a decision notes it when it is sent. */
  heard = 0;
  #shut = false;
  #probeUntil = 0;
  #shutCause: unknown;
  // When each request last waited a whole timeout for the shut store: its next decisions on it within
  // that timeout (the later guards of its chain) fail at once. A WebSocket connection checks each of its
  // messages with one request: past the timeout, it may probe again.
  #waited = new WeakMap<object, number>();
  #since = 0;
  #last = 0;
  // The first answer since the last failure: where the outage ended, once a quiet second confirms it.
  #back = 0;
  #failures = 0;
  readonly #store: string;
  readonly #logger: StoreLogger | undefined;

  constructor(store: string, logger: StoreLogger | undefined) {
    this.#store = store;
    this.#logger = logger;
  }

  /** A decision failed or timed out: the first failure of an outage is logged with its cause. */
  failed(cause: unknown): void {
    const now = Date.now();
    this.#last = now;
    this.#failures++;
    if (this.down) return;
    this.down = true;
    this.#since = now;
    logStoreOutage(this.#logger, { store: this.#store, cause });
  }

  /** The store answered a decision on time, with a value or an error: it is not frozen. */
  heardFrom(): void {
    this.heard++;
    if (this.#shut) {
      this.#shut = false;
      this.#probeUntil = 0;
      this.#waited = new WeakMap();
    }
  }

  /**
   * A decision of `request` sent when `heard` was `since` timed out: if the store answered nothing in the
   * meantime, it is shut, and the decisions it refuses fail with `cause`.
   */
  silent(since: number, request: object, cause: unknown): void {
    if (this.heard !== since) return;
    this.#waited.set(request, Date.now());
    if (this.#shut) return;
    this.#shut = true;
    this.#probeUntil = 0;
    this.#shutCause = cause;
  }

  /**
   * The failure a decision of `request` gets at once while the store is shut and a probe is out (or the
   * request waited for it less than `timeout` ago), or undefined if it may be sent: the first caller with
   * no probe out is the probe, for its `timeout`. A request waits for a frozen store once, however many
   * guards it has.
   */
  refusal(timeout: number, request: object): unknown {
    if (!this.#shut) return undefined;
    const now = Date.now();
    const waited = this.#waited.get(request);
    if (now < this.#probeUntil || (waited !== undefined && now - waited < timeout)) return this.#shutCause;
    this.#probeUntil = now + timeout;
    return undefined;
  }

  /** A decision succeeded; callers check `down` first, so that a healthy store costs one field read. */
  answered(): void {
    if (!this.down) return;
    const now = Date.now();
    if (this.#back <= this.#last) this.#back = now;
    if (now - this.#last < quiet) return;
    this.down = false;
    logStoreRecovery(this.#logger, {
      store: this.#store,
      failures: this.#failures,
      downMs: this.#back - this.#since,
    });
    this.#failures = 0;
  }
}

const outages = new WeakMap<StoreBase, Outage>();

/**
 * The outage state of a store, shared by every guard that uses it: an outage is the store's, logged
 * once however many guards see it. Without a store (a guard's own lookup), a state of its own.
 */
export function outageOf(store: StoreBase | undefined): Outage {
  if (store === undefined) return new Outage('lookup', undefined);
  let outage = outages.get(store);
  if (outage === undefined) {
    outage = new Outage(store.kind, store.logger);
    outages.set(store, outage);
  }
  return outage;
}
