// GCRA on the memory store: one theoretical arrival time per key.
import type { BoundedMap } from './bounded-map.js';
import type { RateDecision, RateInput } from './types.js';

const epsilon = 1e-9;

/**
 * A key's theoretical arrival time, in an object so that a decision updates it in place: no second
 * lookup to write it back, and no number boxed anew per decision.
 */
export interface Tat {
  at: number;
}

export const tatOf = (tat: Tat) => tat.at;

export function gcra(rates: BoundedMap<Tat>, key: string, at: number, input: RateInput): RateDecision {
  const { interval, tolerance, cost } = input;
  // A decision of no units, or a zero-interval refund, only reads: it never creates, rewrites, moves or
  // drops an entry, so that a monitor reading attacker-chosen keys allocates nothing.
  const reads = cost === 0 || (cost < 0 && interval === 0);
  // An expired TAT reads as "now" and is overwritten in place: no delete and re-insert per decision.
  const entry = reads ? rates.peek(key, at) : rates.get(key, Number.NEGATIVE_INFINITY);
  const tat = entry === undefined || entry.at < at ? at : entry.at;
  const next = tat + interval * cost;
  if (cost < 0) {
    if (!reads) {
      if (next <= at) rates.delete(key);
      else if (entry !== undefined) entry.at = next;
      else rates.set(key, { at: next });
    }
    return { allowed: true, remaining: 0, retryAfterMs: 0, reset: Math.max(0, Math.ceil(next - at)) };
  }
  // Durations are whole milliseconds, rounded up, as the Redis script answers them.
  const over = next - at - tolerance;
  if (over > 0)
    return { allowed: false, remaining: 0, retryAfterMs: Math.ceil(over), reset: Math.ceil(tat - at) };
  if (!reads) {
    if (entry !== undefined) entry.at = next;
    else rates.set(key, { at: next });
  }
  return {
    allowed: true,
    remaining: Math.floor((tolerance - (next - at)) / interval + epsilon),
    retryAfterMs: 0,
    reset: Math.ceil(next - at),
  };
}
