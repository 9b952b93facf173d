/**
 * A Map with a size bound and expiry, without a timer per key. Two generations hold the keys: when the
 * current one is half the bound, it becomes the previous one and the old previous one is dropped whole
 * (O(1), no per-key eviction scan); a key read from the previous generation moves back to the current
 * one, so active keys survive. Reads drop expired entries; `sweep` visits a bounded slice per call.
 */
export class BoundedMap<V> {
  #current = new Map<string, V>();
  #previous = new Map<string, V>();
  readonly #half: number;
  readonly #expiry: (value: V) => number;
  #cursor: MapIterator<[string, V]> | undefined;
  #cursorOf: Map<string, V> | undefined;

  constructor(max: number, expiry: (value: V) => number) {
    this.#half = Math.max(1, Math.floor(max / 2));
    this.#expiry = expiry;
  }

  get size(): number {
    return this.#current.size + this.#previous.size;
  }

  /** The live value of `key` at `now`, or undefined. */
  get(key: string, now: number): V | undefined {
    let value = this.#current.get(key);
    if (value === undefined) {
      value = this.#previous.get(key);
      if (value === undefined) return undefined;
      this.#previous.delete(key);
      if (this.#expiry(value) <= now) return undefined;
      this.#insert(key, value);
      return value;
    }
    if (this.#expiry(value) <= now) {
      this.#current.delete(key);
      return undefined;
    }
    return value;
  }

  /** The live value of `key` at `now`, or undefined, changing nothing: no move, no delete (a read-only peek). */
  peek(key: string, now: number): V | undefined {
    const value = this.#current.get(key) ?? this.#previous.get(key);
    return value === undefined || this.#expiry(value) <= now ? undefined : value;
  }

  set(key: string, value: V): void {
    if (this.#current.has(key)) this.#current.set(key, value);
    else {
      this.#previous.delete(key);
      this.#insert(key, value);
    }
  }

  #insert(key: string, value: V): void {
    if (this.#current.size >= this.#half) {
      this.#previous = this.#current;
      this.#current = new Map();
    }
    this.#current.set(key, value);
  }

  delete(key: string): void {
    this.#current.delete(key);
    this.#previous.delete(key);
  }

  /** Drops expired entries among the next `budget` ones of each generation, resuming where it stopped. */
  sweep(now: number, budget: number): void {
    for (const map of [this.#previous, this.#current]) {
      let cursor = this.#cursorOf === map && this.#cursor ? this.#cursor : map.entries();
      let seen = 0;
      for (; seen < budget; seen++) {
        const next = cursor.next();
        if (next.done) {
          cursor = map.entries();
          break;
        }
        if (this.#expiry(next.value[1]) <= now) map.delete(next.value[0]);
      }
      if (map === this.#current || seen === budget) {
        this.#cursor = cursor;
        this.#cursorOf = map;
        if (seen === budget) return;
      }
    }
  }
}
