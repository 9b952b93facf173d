/**
 * Where accepted SDK events wait for the analytics pipeline: in memory, a ring of the newest `capacity`
 * events (past it the oldest are evicted and counted, so memory stays bounded and ingestion never fails
 * for having run long); with `REDIS_URL`, a Redis stream trimmed to about `capacity` entries.
 */
import type { RedisSend } from 'faultline/stores';

/** Where accepted SDK events go. A failure here is the server's fault: it answers INTERNAL_ERROR. */
export interface EventSink {
  append(events: readonly unknown[]): void | Promise<void>;
}

/**
 * A Redis stream under `key`: one entry per accepted request, holding its events as JSON, trimmed to about
 * `capacity` entries (`MAXLEN ~`, which Redis applies in whole nodes: cheap, and never below the bound).
 */
export function redisEvents(send: RedisSend, key: string, capacity: number): EventSink {
  return {
    async append(events) {
      await send(['XADD', key, 'MAXLEN', '~', String(capacity), '*', 'events', JSON.stringify(events)], key);
    },
  };
}

export class EventBuffer implements EventSink {
  readonly #ring: unknown[];
  #start = 0;
  #size = 0;
  #evicted = 0;

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1)
      throw new RangeError(`event buffer capacity must be a positive integer, got ${capacity}`);
    this.#ring = [];
  }

  /** Events held now (at most `capacity`). */
  get size(): number {
    return this.#size;
  }

  /** Events evicted unread since start: what the pipeline lost by draining too slowly. */
  get evicted(): number {
    return this.#evicted;
  }

  append(events: readonly unknown[]): void {
    for (const event of events) {
      if (this.#size < this.capacity) {
        this.#ring[(this.#start + this.#size) % this.capacity] = event;
        this.#size++;
      } else {
        this.#ring[this.#start] = event;
        this.#start = (this.#start + 1) % this.capacity;
        this.#evicted++;
      }
    }
  }

  /** Takes up to `max` of the oldest events, for the pipeline. */
  drain(max = this.#size): unknown[] {
    const taken: unknown[] = [];
    while (taken.length < max && this.#size > 0) {
      taken.push(this.#ring[this.#start]);
      this.#ring[this.#start] = undefined;
      this.#start = (this.#start + 1) % this.capacity;
      this.#size--;
    }
    return taken;
  }
}
