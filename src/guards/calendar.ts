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

function partsOf(ms: number, timeZone: string): Civil & { hour: number; minute: number; second: number } {
  const out = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatOf(timeZone).formatToParts(ms)) {
    if (part.type in out) out[part.type as keyof typeof out] = Number(part.value);
  }
  return out;
}

/** The zone's offset from UTC at `ms`, in ms. */
function offsetAt(ms: number, timeZone: string): number {
  const p = partsOf(ms, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - (ms - (ms % 1000));
}

/** The instant the civil day `civil` starts in the zone (its first existing moment across DST gaps). */
function startOf(civil: Civil, timeZone: string): number {
  const local = Date.UTC(civil.year, civil.month - 1, civil.day);
  let guess = local - offsetAt(local, timeZone);
  guess = local - offsetAt(guess, timeZone);
  return guess;
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
  const p = partsOf(now, timeZone);
  const current: Civil = { year: p.year, month: p.month, day: period === 'day' ? p.day : 1 };
  return [-1, 0, 1, 2].map((by) => startOf(shift(current, period, by), timeZone));
}
