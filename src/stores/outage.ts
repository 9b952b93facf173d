import { logStoreOutage, logStoreRecovery, type StoreLogger } from '../server/log.js';
import type { StoreBase } from './types.js';

// A store is back once it answers a second after its last failure: a store that fails one call in two
// (one shard of a cluster down) stays one outage, not two log lines per request.
const quiet = 1000;

/** The health of one store as its guards see it: one log line when it goes down, one when it is back. */
export class Outage {
  /** True from the first failure until a success after a quiet second. */
  down = false;
  #since = 0;
  #last = 0;
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

  /** A decision succeeded; callers check `down` first, so that a healthy store costs one field read. */
  answered(): void {
    if (!this.down) return;
    const now = Date.now();
    if (now - this.#last < quiet) return;
    this.down = false;
    logStoreRecovery(this.#logger, {
      store: this.#store,
      failures: this.#failures,
      downMs: this.#last - this.#since,
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
