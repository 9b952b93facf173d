// Calendar periods in an IANA time zone, from Intl alone (no time-zone data of our own).

const formats = new Map<string, Intl.DateTimeFormat>();

function formatOf(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(timeZone, format);
  }
  return format;
}

/** Throws a RangeError for a time zone Intl does not know. */
export function checkTimeZone(timeZone: string): void {
  formatOf(timeZone);
}

interface Civil {
  year: number;
  month: number;
  day: number;
}

const DAY = 86_400_000;
// en-US numeric output, e.g. "9/8/2024, 01:00:00"; formatToParts is the fallback for anything else.
const shape = /^(\d+)\/(\d+)\/(\d+), (\d+):(\d+):(\d+)$/;

/** The zone's wall clock at `ms`, as if it were a UTC instant (whole seconds). */
function wallAt(ms: number, timeZone: string): number {
  const format = formatOf(timeZone);
  const match = shape.exec(format.format(ms));
  if (match) {
    const [, month, day, year, hour, minute, second] = match.map(Number) as number[];
    return Date.UTC(year!, month! - 1, day!, hour!, minute!, second!);
  }
  const p = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of format.formatToParts(ms)) {
    if (part.type in p) p[part.type as keyof typeof p] = Number(part.value);
  }
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
}

/** The zone's offset from UTC at `ms`, in ms. */
function offsetAt(ms: number, timeZone: string): number {
  return wallAt(ms, timeZone) - Math.floor(ms / 1000) * 1000;
}

/**
 * The first instant of the civil day `civil` in the zone, as Temporal's `startOfDay`: the earliest
 * instant whose wall clock reads its midnight, or, where midnight falls in a gap, the first instant
 * after the gap. Like Temporal, it assumes at most one offset change within a day of midnight.
 */
function startOf(civil: Civil, timeZone: string): number {
  const midnight = Date.UTC(civil.year, civil.month - 1, civil.day);
  // Every instant whose wall clock reads midnight lies within 14 hours of it; a day out, the offsets
  // before and after any change near midnight are in force.
  const before = offsetAt(midnight - DAY, timeZone);
  const after = offsetAt(midnight + DAY, timeZone);
  if (before === after) return midnight - before;
  // The earlier candidate that really reads midnight (in a repeated hour, the first of the two).
  const candidates = [midnight - before, midnight - after].sort((a, b) => a - b);
  for (const at of candidates) {
    if (wallAt(at, timeZone) === midnight) return at;
  }
  // Midnight is skipped: the day starts at the change, the first instant whose wall clock is past
  // midnight. It lies after the earlier candidate and no later than the later one (whole seconds).
  let low = candidates[0]! / 1000;
  let high = candidates[1]! / 1000;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (wallAt(mid * 1000, timeZone) >= midnight) high = mid;
    else low = mid;
  }
  return high * 1000;
}

/** The period a quota counts in. */
export type Period = 'day' | 'month';

function shift(civil: Civil, period: Period, by: number): Civil {
  const date =
    period === 'day'
      ? new Date(Date.UTC(civil.year, civil.month - 1, civil.day + by))
      : new Date(Date.UTC(civil.year, civil.month - 1 + by, 1));
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

/**
 * The edges of the previous, current and next periods around `now` (four ascending instants), so that
 * a store with its own clock can pick the period it is in.
 */
export function periodEdges(now: number, period: Period, timeZone: string): number[] {
  const wall = new Date(wallAt(now, timeZone));
  const current: Civil = {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: period === 'day' ? wall.getUTCDate() : 1,
  };
  return [-1, 0, 1, 2].map((by) => startOf(shift(current, period, by), timeZone));
}
