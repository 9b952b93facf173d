// Fixed windows on the memory store: one start and count per key.
import type { BoundedMap } from './bounded-map.js';
import type { WindowDecision, WindowInput } from './types.js';

/**
 * A running fixed window: when it started, when it ends under the period of its last spend (epoch ms), and
 * the units used in it.
 */
export interface WindowEntry {
  start: number;
  end: number;
  used: number;
}

/** When a window's entry expires. */
export const windowEnd = (entry: WindowEntry) => entry.end;

/** One fixed-window decision on the memory store's state at `at`. */
export function windowDecision(
  windows: BoundedMap<WindowEntry>,
  key: string,
  at: number,
  { limit, period, cost, start }: WindowInput,
): WindowDecision {
  // A window runs from its start for the period of this decision (a period that changes applies at once);
  // one that has ended reads as none, and the next unit spent starts another.
  // A start ahead of the clock (stepped back) still runs, as on Redis, unless by a period or more.
  const found = cost === 0 ? windows.peek(key, at) : windows.get(key, at);
  const entry =
    found !== undefined && at < found.start + period && found.start < at + period ? found : undefined;
  const used = entry?.used ?? 0;
  const began = entry?.start ?? 0;
  const reset = entry === undefined ? 0 : entry.start + period - at;
  if (cost === 0) return { allowed: used < limit, used, reset, start: began };
  if (cost < 0) {
    // A refund never starts a window, nor reaches one other than the window its units were spent in.
    if (entry === undefined || (start !== undefined && start !== entry.start)) {
      return { allowed: true, used, reset, start: began };
    }
    entry.used = Math.max(0, used + cost);
    if (entry.used > 0) return { allowed: true, used: entry.used, reset, start: began };
    // Nothing counts in it any more: the next unit spent starts the key's window anew.
    windows.delete(key);
    return { allowed: true, used: 0, reset: 0, start: 0 };
  }
  // A request that could never fit is told to wait a whole period, as a window it started would end.
  if (used + cost > limit) {
    return { allowed: false, used, reset: entry === undefined ? period : reset, start: began };
  }
  if (entry !== undefined) {
    entry.used = used + cost;
    entry.end = entry.start + period;
    return { allowed: true, used: entry.used, reset, start: began };
  }
  windows.set(key, { start: at, end: at + period, used: cost });
  return { allowed: true, used: cost, reset: period, start: at };
}
