import type { ClaimDecision } from './types.js';

/**
 * The UTF-8 length of `text`, as `Buffer.byteLength` counts it (a lone surrogate as the 3 bytes of U+FFFD),
 * without encoding it: `Buffer` is node's, and a stored answer may be megabytes.
 */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) bytes += 1;
    else if (unit < 0xdc00 && unit >= 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a surrogate pair: 4 bytes for 2 units
      i++;
    } else bytes += 2;
  }
  return bytes;
}

interface IdempotencyRecord {
  fingerprint: string;
  token: string;
  response: string | undefined;
  /** The UTF-8 bytes of `response`. */
  bytes: number;
  expires: number;
}

/** The stored answers of one tenant, in completion order, and their bytes. */
interface Held {
  readonly answered: Set<string>;
  bytes: number;
}

/** The bounds of the idempotency records of one memory store. */
export interface RecordBounds {
  /** The most records held, pending or answered. */
  readonly maxKeys: number;
  /** The most bytes of stored answers, all records together. */
  readonly maxBytes: number;
  /** The largest answer one record keeps. */
  readonly maxRecordBytes: number;
}

/**
 * Whose answer a key stores: the tenant of a key as the idempotency guard scopes it (`<length>:<tenant>:`),
 * or one shared owner for any other key.
 */
export function ownerOf(key: string): string {
  const colon = key.indexOf(':');
  if (colon < 1 || colon > 6) return '';
  const length = Number(key.slice(0, colon));
  const end = colon + 1 + length;
  return Number.isSafeInteger(length) && key.charCodeAt(end) === 58 ? key.slice(0, end) : '';
}

/**
 * The idempotency records of the memory store, bounded by count and by the bytes of their stored answers.
 * Past the count the oldest claim goes. Past the bytes, answers go oldest first from the tenant that holds
 * the most bytes: one tenant's large answers drop its own, never a smaller tenant's, whose retry would
 * otherwise execute twice. Pending claims hold no answer, and dropping one would let a duplicate run
 * beside its request. An answer over the per-record cap is not kept and its claim is released, so that a
 * retry executes. Sizes are UTF-8 bytes, never fewer than V8 holds for the string.
 */
export class RecordMap {
  // Insertion order is claim order; each tenant's `answered` is its completion order.
  readonly #records = new Map<string, IdempotencyRecord>();
  readonly #held = new Map<string, Held>();
  readonly #bounds: RecordBounds;
  #bytes = 0;
  #cursor: MapIterator<[string, IdempotencyRecord]> | undefined;

  constructor(bounds: RecordBounds) {
    this.#bounds = bounds;
  }

  get size(): number {
    return this.#records.size;
  }

  /** The bytes of all stored answers. */
  get bytes(): number {
    return this.#bytes;
  }

  #live(key: string, now: number): IdempotencyRecord | undefined {
    const record = this.#records.get(key);
    if (record === undefined) return undefined;
    if (record.expires > now) return record;
    this.#drop(key);
    return undefined;
  }

  #drop(key: string): void {
    const record = this.#records.get(key);
    if (record === undefined) return;
    this.#records.delete(key);
    if (record.response === undefined) return;
    const owner = ownerOf(key);
    const held = this.#held.get(owner)!;
    held.answered.delete(key);
    held.bytes -= record.bytes;
    if (held.answered.size === 0) this.#held.delete(owner);
    this.#bytes -= record.bytes;
  }

  /** The tenant holding the most bytes, counting `adding` bytes for `owner`; undefined when none holds any. */
  #largest(owner: string, adding: number): Held | undefined {
    let largest: Held | undefined;
    let most = -1;
    for (const [name, held] of this.#held) {
      const bytes = held.bytes + (name === owner ? adding : 0);
      if (bytes > most) {
        most = bytes;
        largest = held;
      }
    }
    return largest;
  }

  claim(key: string, fingerprint: string, token: string, lock: number, now: number): ClaimDecision {
    const record = this.#live(key, now);
    if (record === undefined) {
      if (this.#records.size >= this.#bounds.maxKeys) this.#drop(this.#records.keys().next().value!);
      this.#records.set(key, { fingerprint, token, response: undefined, bytes: 0, expires: now + lock });
      return { state: 'claimed' };
    }
    if (record.fingerprint !== fingerprint) return { state: 'mismatch' };
    if (record.response === undefined) return { state: 'pending', retryAfterMs: record.expires - now };
    return { state: 'done', response: record.response };
  }

  complete(key: string, token: string, response: string, ttl: number, now: number): void {
    const record = this.#live(key, now);
    if (record === undefined || record.token !== token || record.response !== undefined) return;
    const bytes = utf8Length(response);
    if (bytes > Math.min(this.#bounds.maxRecordBytes, this.#bounds.maxBytes)) {
      this.#drop(key);
      return;
    }
    const owner = ownerOf(key);
    while (this.#bytes + bytes > this.#bounds.maxBytes) {
      const largest = this.#largest(owner, bytes);
      if (largest === undefined) break;
      this.#drop(largest.answered.values().next().value!);
    }
    record.response = response;
    record.bytes = bytes;
    record.expires = now + ttl;
    let held = this.#held.get(owner);
    if (held === undefined) {
      held = { answered: new Set(), bytes: 0 };
      this.#held.set(owner, held);
    }
    held.answered.add(key);
    held.bytes += bytes;
    this.#bytes += bytes;
  }

  abandon(key: string, token: string, now: number): void {
    const record = this.#live(key, now);
    if (record !== undefined && record.token === token && record.response === undefined) this.#drop(key);
  }

  /** Drops expired records among the next `budget` ones, resuming where the last sweep stopped. */
  sweep(now: number, budget: number): void {
    let cursor = this.#cursor ?? this.#records.entries();
    for (let seen = 0; seen < budget; seen++) {
      const next = cursor.next();
      if (next.done) {
        cursor = this.#records.entries();
        break;
      }
      if (next.value[1].expires <= now) this.#drop(next.value[0]);
    }
    this.#cursor = cursor;
  }
}
