/** The characters of keys a map holds per key of its bound, on average: attacker-chosen keys are long. */
export const keyCharsPerKey = 128;

/**
 * Two generations of keys with a bound in keys and in key characters: when the
 * current one is half the bound (in keys, or in key characters), its expired
 * entries and the previous one's are dropped (a pass over both, at most once per quarter of the bound of
 * inserts: amortized O(1)). If a quarter of the bound is still live in the current one, it becomes the
 * previous one, and the old previous one is dropped whole, unless under a quarter of it is live: those
 * keys move to the new current one. So expired keys never push out live ones, and a caller's spent
 * budget is evicted only while half the bound holds live keys, never by a flood of short-lived keys. A key
 * read from the previous generation moves back to the current one, so active keys survive. Reads drop
 * expired entries; `sweep` visits a bounded slice per call.
 */
class Generations<V> {
  #current = new Map<string, V>();
  #previous = new Map<string, V>();
  readonly #half: number;
  readonly #halfChars: number;
  /** The key characters inserted into the current generation since it was last counted (never fewer). */
  #chars = 0;
  readonly #expiry: (value: V) => number;
  readonly #now: () => number;
  #cursor: MapIterator<[string, V]> | undefined;
  #cursorOf: Map<string, V> | undefined;

  constructor(half: number, halfChars: number, expiry: (value: V) => number, now: () => number) {
    this.#half = half;
    this.#halfChars = halfChars;
    this.#expiry = expiry;
    this.#now = now;
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
    if (this.#current.size >= this.#half || this.#chars >= this.#halfChars) this.#rotate();
    this.#current.set(key, value);
    this.#chars += key.length;
  }

  /** Drops the expired entries of `map`, and answers the characters of the keys left. */
  #purge(map: Map<string, V>, now: number): number {
    let chars = 0;
    for (const [key, value] of map) {
      if (this.#expiry(value) <= now) map.delete(key);
      else chars += key.length;
    }
    return chars;
  }

  #rotate(): void {
    const now = this.#now();
    const previousChars = this.#purge(this.#previous, now);
    this.#chars = this.#purge(this.#current, now);
    const quarter = this.#half / 2;
    const quarterChars = this.#halfChars / 2;
    // Room for a quarter of the bound once expired keys are gone: no rotation, no live key lost.
    if (this.#current.size < quarter && this.#chars < quarterChars) return;
    const survivors = this.#previous;
    this.#previous = this.#current;
    this.#current = new Map();
    this.#chars = 0;
    // A sweep's cursor into the generation dropped would keep it alive until the next sweep.
    if (this.#cursorOf === survivors) {
      this.#cursor = undefined;
      this.#cursorOf = undefined;
    }
    // The previous generation's live keys are kept when few: they are dropped only under live pressure.
    if (survivors.size < quarter && previousChars < quarterChars) {
      for (const [key, value] of survivors) this.#current.set(key, value);
      this.#chars = previousChars;
    }
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

/**
 * A Map with a size bound and expiry, without a timer per key. Keys of at most `keyCharsPerKey` characters
 * (an address, an app id) and longer ones (a caller's URL segment) are kept apart, each in two generations
 * (see above) bounded by `max` keys and `max × keyCharsPerKey` characters: a flood of long keys rotates out
 * long keys only, never the short keys of every other caller, and no flood holds more than its share.
 */
export class BoundedMap<V> {
  readonly #short: Generations<V>;
  readonly #long: Generations<V>;

  /** `now` tells expired entries apart at a rotation; without it, none is dropped then. */
  constructor(max: number, expiry: (value: V) => number, now: () => number = () => Number.NEGATIVE_INFINITY) {
    const half = Math.max(1, Math.floor(max / 2));
    // Short keys are bounded in characters by their count; long ones by their characters.
    this.#short = new Generations(half, Number.POSITIVE_INFINITY, expiry, now);
    this.#long = new Generations(half, half * keyCharsPerKey, expiry, now);
  }

  #of(key: string): Generations<V> {
    return key.length > keyCharsPerKey ? this.#long : this.#short;
  }

  get size(): number {
    return this.#short.size + this.#long.size;
  }

  /** The live value of `key` at `now`, or undefined. */
  get(key: string, now: number): V | undefined {
    return this.#of(key).get(key, now);
  }

  /** The live value of `key` at `now`, or undefined, changing nothing: no move, no delete (a read-only peek). */
  peek(key: string, now: number): V | undefined {
    return this.#of(key).peek(key, now);
  }

  set(key: string, value: V): void {
    this.#of(key).set(key, value);
  }

  delete(key: string): void {
    this.#of(key).delete(key);
  }

  /** Drops expired entries among the next `budget` ones of each generation, resuming where it stopped. */
  sweep(now: number, budget: number): void {
    this.#short.sweep(now, budget);
    this.#long.sweep(now, budget);
  }
}
