// GCRA on the memory store: one theoretical arrival time per key.
import type { BoundedMap } from './bounded-map.js';
import type { RateDecision, RateInput } from './types.js';

/**
 * A key's theoretical arrival time, as whole milliseconds and the fraction of one: an epoch timestamp
 * (about 1.8e12 ms) in one double keeps only about 2e-4 ms, so sums of a fractional interval (2000 ms / 3,
 * or 1.14 µs a byte) would drift and a burst read a unit short or long. The decision works on the
 * difference from now, which is small and exact. In an object so that a decision updates it in place.
 */
export interface Tat {
  whole: number;
  part: number;
}

export const tatOf = (tat: Tat) => tat.whole + tat.part;

// What is left of float rounding in a decision's small differences: a nanosecond is no time to a limit.
const slack = 1e-6;
// Whole ms, rounded up, never below 0 nor past what a reply can carry exactly (a huge cost's wait).
const up = (ms: number) => Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, Math.ceil(ms - slack)));

/** Sets `tat` to `ms` past `now` (split as `whole` + `part`). */
function place(tat: Tat, whole: number, part: number, ms: number): Tat {
  const sum = part + ms;
  const carry = Math.floor(sum);
  tat.whole = whole + carry;
  tat.part = sum - carry;
  return tat;
}

/**
 * One GCRA decision at `at` (epoch ms). The Redis script decides the same way, on the same split time, so
 * that both stores answer alike.
 */
export function gcra(rates: BoundedMap<Tat>, key: string, at: number, input: RateInput): RateDecision {
  const { interval, tolerance, cost } = input;
  // NaN or an infinity would be stored and break the key for good: no decision, as the Redis script.
  if (!Number.isFinite(interval) || !Number.isFinite(tolerance) || !Number.isFinite(cost))
    throw new RangeError('rate: interval, tolerance and cost must be finite numbers');
  const whole = Math.floor(at);
  const part = at - whole;
  // A decision of no units, or a zero-interval refund, only reads: it never creates, rewrites, moves or
  // drops an entry, so that a monitor reading attacker-chosen keys allocates nothing.
  const reads = cost === 0 || (cost < 0 && interval === 0);
  // An expired TAT reads as "now" and is overwritten in place: no delete and re-insert per decision.
  const entry = reads ? rates.peek(key, at) : rates.get(key, Number.NEGATIVE_INFINITY);
  // How far the TAT is ahead of now, never behind it.
  const held = entry === undefined ? 0 : Math.max(0, entry.whole - whole + (entry.part - part));
  const ahead = held + interval * cost;
  if (cost < 0) {
    if (!reads) {
      if (ahead <= slack) rates.delete(key);
      else if (entry !== undefined) place(entry, whole, part, ahead);
      else rates.set(key, place({ whole: 0, part: 0 }, whole, part, ahead));
    }
    return { allowed: true, remaining: 0, retryAfterMs: 0, reset: up(ahead) };
  }
  // Durations are whole milliseconds, rounded up, as the Redis script answers them.
  const over = ahead - tolerance;
  if (over > slack) return { allowed: false, remaining: 0, retryAfterMs: up(over), reset: up(held) };
  if (!reads) {
    if (entry !== undefined) place(entry, whole, part, ahead);
    else rates.set(key, place({ whole: 0, part: 0 }, whole, part, ahead));
  }
  return {
    allowed: true,
    remaining: Math.min(Number.MAX_SAFE_INTEGER, Math.floor((tolerance - ahead + slack) / interval)),
    retryAfterMs: 0,
    reset: up(ahead),
  };
}
