/**
 * Where accepted SDK events wait for the analytics pipeline: in memory, a ring of the newest events within
 * a count (`capacity`) and a byte budget (`maxBytes`, each event measured as its JSON in UTF-8, which is
 * at least what V8 keeps of the string). Past either, the oldest are evicted and counted, so memory stays
 * bounded and ingestion never fails for having run long. With `REDIS_URL`, a Redis stream trimmed to about
 * `capacity` entries.
 */
import type { RedisSend } from 'faultline/stores';

/** The largest SDK event accepted, as JSON in UTF-8: the events route refuses a bigger one (400). */
export const maxEventBytes = 32 * 1024;
/** The buffer's byte budget unless configured. */
export const defaultEventBytes = 64 * 1024 * 1024;

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
  /** Events as their JSON: what the budget measures is what is held, not a parsed object graph. */
  readonly #ring: (string | undefined)[] = [];
  readonly #sizes: number[] = [];
  #start = 0;
  #size = 0;
  #bytes = 0;
  #evicted = 0;

  constructor(
    readonly capacity: number,
    readonly maxBytes: number = defaultEventBytes,
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 1)
      throw new RangeError(`event buffer capacity must be a positive integer, got ${capacity}`);
    // Every event the route accepts must fit, or one would be dropped as it is taken.
    if (!Number.isSafeInteger(maxBytes) || maxBytes < maxEventBytes)
      throw new RangeError(
        `event buffer bytes must be an integer of at least ${maxEventBytes}, got ${maxBytes}`,
      );
  }

  /** Events held now (at most `capacity`). */
  get size(): number {
    return this.#size;
  }

  /** Bytes of the events held now (at most `maxBytes`). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Events evicted unread since start: what the pipeline lost by draining too slowly. */
  get evicted(): number {
    return this.#evicted;
  }

  append(events: readonly unknown[]): void {
    for (const event of events) {
      const json = JSON.stringify(event) ?? 'null';
      const bytes = Buffer.byteLength(json);
      while (this.#size > 0 && (this.#size >= this.capacity || this.#bytes + bytes > this.maxBytes)) {
        this.#shift();
        this.#evicted++;
      }
      const at = (this.#start + this.#size) % this.capacity;
      this.#ring[at] = json;
      this.#sizes[at] = bytes;
      this.#size++;
      this.#bytes += bytes;
    }
  }

  /** Takes up to `max` of the oldest events, for the pipeline. */
  drain(max = this.#size): unknown[] {
    const taken: unknown[] = [];
    while (taken.length < max && this.#size > 0) taken.push(JSON.parse(this.#shift()));
    return taken;
  }

  #shift(): string {
    const json = this.#ring[this.#start]!;
    this.#ring[this.#start] = undefined;
    this.#bytes -= this.#sizes[this.#start]!;
    this.#start = (this.#start + 1) % this.capacity;
    this.#size--;
    return json;
  }
}
