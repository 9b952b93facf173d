// Calendar quotas on the memory store: one count per key and period.
import type { BoundedMap } from './bounded-map.js';
import type { QuotaDecision, QuotaInput } from './types.js';

/** A calendar quota's count in its period (epoch ms). */
export interface QuotaEntry {
  start: number;
  end: number;
  used: number;
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
