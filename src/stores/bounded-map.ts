/**
 * A Map with a size bound and expiry, without a timer per key: reads drop expired entries, `sweep`
 * visits a bounded slice per call, and inserting past the bound evicts the oldest insertion.
 */
export class BoundedMap<V> {
  readonly #map = new Map<string, V>();
  readonly #max: number;
  readonly #expiry: (value: V) => number;
  #cursor: MapIterator<[string, V]> | undefined;

  constructor(max: number, expiry: (value: V) => number) {
    this.#max = max;
    this.#expiry = expiry;
  }

  get size(): number {
    return this.#map.size;
  }

  /** The live value of `key` at `now`, or undefined. */
  get(key: string, now: number): V | undefined {
    const value = this.#map.get(key);
    if (value === undefined) return undefined;
    if (this.#expiry(value) <= now) {
      this.#map.delete(key);
      return undefined;
    }
    return value;
  }

  set(key: string, value: V): void {
    const map = this.#map;
    if (map.size >= this.#max && !map.has(key)) {
      const oldest = map.keys().next();
      if (!oldest.done) map.delete(oldest.value);
    }
    map.set(key, value);
  }

  delete(key: string): void {
    this.#map.delete(key);
  }

  /** Drops expired entries among the next `budget` ones, resuming where the last sweep stopped. */
  sweep(now: number, budget: number): void {
    let cursor = this.#cursor ?? this.#map.entries();
    for (let seen = 0; seen < budget; seen++) {
      const next = cursor.next();
      if (next.done) {
        cursor = this.#map.entries();
        if (this.#map.size === 0 || seen > 0) break;
        continue;
      }
      if (this.#expiry(next.value[1]) <= now) this.#map.delete(next.value[0]);
    }
    this.#cursor = cursor;
  }
}
