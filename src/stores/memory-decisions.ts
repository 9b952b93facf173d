import type { BoundedMap } from './bounded-map.js';
import type { QuotaDecision, QuotaInput, RateDecision, RateInput, WindowInput } from './types.js';

/** A calendar quota's count in its period (epoch ms). */
export interface QuotaEntry {
  start: number;
  end: number;
  used: number;
}

/** A running fixed window: units used, and when it ends (epoch ms). */
export interface WindowEntry {
  used: number;
  end: number;
}

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

function pickPeriod(bounds: readonly number[], now: number): [number, number] {
  const last = bounds.length - 1;
  for (let i = 0; i < last; i++) {
    if (now >= bounds[i]! && now < bounds[i + 1]!) return [bounds[i]!, bounds[i + 1]!];
  }
  return now < bounds[0]! ? [bounds[0]!, bounds[1]!] : [bounds[last - 1]!, bounds[last]!];
}

/** One calendar-quota decision on the memory store's state at `at`. */
export function quotaDecision(
  quotas: BoundedMap<QuotaEntry>,
  key: string,
  at: number,
  { limit, cost, bounds }: QuotaInput,
): QuotaDecision {
  let [start, end] = pickPeriod(bounds, at);
  const stored = quotas.get(key, at);
  // A clock stepped back (NTP, a resumed VM) keeps counting in the key's later period: an earlier one
  // would start from 0 and, once the clock is right again, so would the later one.
  if (stored !== undefined && stored.start > start) [start, end] = [stored.start, stored.end];
  const used = stored !== undefined && stored.start === start ? stored.used : 0;
  if (used + cost > limit) return { allowed: false, used, reset: Math.max(0, end - at) };
  // A refund (negative cost) never takes the count below zero, as the Redis script does: a refund for a
  // key evicted meanwhile must not grant an extra unit.
  const next = Math.max(0, used + cost);
  quotas.set(key, { start, end, used: next });
  return { allowed: true, used: next, reset: Math.max(0, end - at) };
}

/** One fixed-window decision on the memory store's state at `at`. */
export function windowDecision(
  windows: BoundedMap<WindowEntry>,
  key: string,
  at: number,
  { limit, period, cost }: WindowInput,
): QuotaDecision {
  // An ended window reads as none (and is dropped, unless this only reads): the next unit starts one.
  const entry = cost === 0 ? windows.peek(key, at) : windows.get(key, at);
  const used = entry?.used ?? 0;
  const reset = entry === undefined ? 0 : entry.end - at;
  if (cost === 0) return { allowed: used < limit, used, reset };
  if (cost < 0) {
    // A refund never starts a window (the guard gives no unit of an ended window to the next one).
    if (entry !== undefined) entry.used = Math.max(0, used + cost);
    return { allowed: true, used: Math.max(0, used + cost), reset };
  }
  // A request that could never fit is told to wait a whole period, as a window it started would end.
  if (used + cost > limit) return { allowed: false, used, reset: entry === undefined ? period : reset };
  if (entry !== undefined) {
    entry.used = used + cost;
    return { allowed: true, used: entry.used, reset };
  }
  windows.set(key, { used: cost, end: at + period });
  return { allowed: true, used: cost, reset: period };
}
