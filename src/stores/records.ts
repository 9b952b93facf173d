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

/** The records of one tenant: its keys in claim order, its answered keys in completion order, their bytes. */
interface Held {
  readonly keys: Set<string>;
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

const count = (held: Held) => held.keys.size;
const answeredBytes = (held: Held) => held.bytes;

/**
 * The idempotency records of the memory store, bounded by count and by the bytes of their stored answers.
 * Past the count the oldest answered record goes, and a pending one only when none is answered (a pending
 * claim dropped lets a retry run beside its request); past the bytes, the oldest answer (a pending claim
 * holds none). Either way, when
 * the tenant adding one holds more (records or bytes) than that record's tenant, its own oldest goes
 * instead. One tenant's flood of keys or of large answers drops its own, never a smaller tenant's record,
 * whose retry would then execute twice (two candidates per eviction, not a scan of every tenant). An answer
 * over the per-record cap is not kept and its claim is released, so that a retry executes. Sizes are UTF-8
 * bytes, never fewer than V8 holds for the string.
 */
export class RecordMap {
  // Insertion order is claim order; `#answered` is completion order.
  readonly #records = new Map<string, IdempotencyRecord>();
  readonly #answered = new Set<string>();
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
    const owner = ownerOf(key);
    const held = this.#held.get(owner)!;
    held.keys.delete(key);
    if (held.keys.size === 0) this.#held.delete(owner);
    if (record.response === undefined) return;
    this.#answered.delete(key);
    held.answered.delete(key);
    held.bytes -= record.bytes;
    this.#bytes -= record.bytes;
  }

  /** The key to drop: the oldest of all, or `own`'s oldest when `own` holds more than the oldest's tenant. */
  #victim(oldest: string, own: Held | undefined, measure: (held: Held) => number, adding: number): string {
    if (own === undefined) return oldest;
    const theirs = this.#held.get(ownerOf(oldest))!;
    if (theirs === own || measure(own) + adding <= measure(theirs)) return oldest;
    // Its oldest answer first: by count, a pending claim of its own goes only when it has no answer.
    return own.answered.values().next().value ?? own.keys.values().next().value ?? oldest;
  }

  claim(key: string, fingerprint: string, token: string, lock: number, now: number): ClaimDecision {
    const record = this.#live(key, now);
    if (record === undefined) {
      const owner = ownerOf(key);
      if (this.#records.size >= this.#bounds.maxKeys) {
        // An answered record goes before a pending one, whose request still runs.
        const oldest = this.#answered.values().next().value ?? this.#records.keys().next().value!;
        this.#drop(this.#victim(oldest, this.#held.get(owner), count, 1));
      }
      this.#records.set(key, { fingerprint, token, response: undefined, bytes: 0, expires: now + lock });
      let held = this.#held.get(owner);
      if (held === undefined) {
        held = { keys: new Set(), answered: new Set(), bytes: 0 };
        this.#held.set(owner, held);
      }
      held.keys.add(key);
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
    const held = this.#held.get(ownerOf(key))!;
    while (this.#bytes + bytes > this.#bounds.maxBytes) {
      const oldest = this.#answered.values().next().value;
      if (oldest === undefined) break;
      this.#drop(this.#victim(oldest, held, answeredBytes, bytes));
    }
    record.response = response;
    record.bytes = bytes;
    record.expires = now + ttl;
    this.#answered.add(key);
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
