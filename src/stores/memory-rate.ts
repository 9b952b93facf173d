// GCRA on the memory store: one theoretical arrival time per key.
import type { BoundedMap } from './bounded-map.js';
import type { RateDecision, RateInput } from './types.js';

/**
 * A key's theoretical arrival time in whole microseconds, in an object so that a decision updates it in
 * place: no second lookup to write it back, and no number boxed anew per decision.
 */
export interface Tat {
  us: number;
}

export const tatOf = (tat: Tat) => tat.us / 1000;

/** Milliseconds as whole microseconds. */
export const toMicros = (ms: number) => Math.round(ms * 1000);

/**
 * GCRA's emission interval in whole microseconds, rounded down so that a burst of `tolerance / interval`
 * units fits whole (at most a microsecond per unit faster); never 0 for a positive interval.
 */
export function intervalMicros(interval: number): number {
  return interval > 0 ? Math.max(1, Math.floor(interval * 1000 + 1e-6)) : 0;
}

/**
 * One GCRA decision. The arithmetic is on whole microseconds: on epoch timestamps (about 1.7e12 ms) a
 * double keeps only about 2e-4 ms, so sums of a fractional interval (2000 ms / 3) drift and a burst read
 * one unit short; integers below 2^53 add exactly. The Redis script computes the same way.
 */
export function gcra(rates: BoundedMap<Tat>, key: string, at: number, input: RateInput): RateDecision {
  const { cost } = input;
  const interval = intervalMicros(input.interval);
  const tolerance = toMicros(input.tolerance);
  const now = toMicros(at);
  // A decision of no units, or a zero-interval refund, only reads: it never creates, rewrites, moves or
  // drops an entry, so that a monitor reading attacker-chosen keys allocates nothing.
  const reads = cost === 0 || (cost < 0 && interval === 0);
  // An expired TAT reads as "now" and is overwritten in place: no delete and re-insert per decision.
  const entry = reads ? rates.peek(key, at) : rates.get(key, Number.NEGATIVE_INFINITY);
  const tat = entry === undefined || entry.us < now ? now : entry.us;
  const next = tat + interval * cost;
  if (cost < 0) {
    if (!reads) {
      if (next <= now) rates.delete(key);
      else if (entry !== undefined) entry.us = next;
      else rates.set(key, { us: next });
    }
    return {
      allowed: true,
      remaining: 0,
      retryAfterMs: 0,
      reset: Math.max(0, Math.ceil((next - now) / 1000)),
    };
  }
  // Durations are whole milliseconds, rounded up, as the Redis script answers them.
  const over = next - now - tolerance;
  if (over > 0)
    return {
      allowed: false,
      remaining: 0,
      retryAfterMs: Math.ceil(over / 1000),
      reset: Math.ceil((tat - now) / 1000),
    };
  if (!reads) {
    if (entry !== undefined) entry.us = next;
    else rates.set(key, { us: next });
  }
  return {
    allowed: true,
    remaining: Math.floor((tolerance - (next - now)) / interval),
    retryAfterMs: 0,
    reset: Math.ceil((next - now) / 1000),
  };
}
