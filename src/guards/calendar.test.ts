import { Temporal } from '@js-temporal/polyfill';
import { ApiError } from 'faultline';
import { type GuardContext, quota } from 'faultline/guards';
import { createErrorHandler } from 'faultline/server';
import { memoryStore } from 'faultline/stores';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { periodEdges } from './calendar.js';
import { runGuards } from './run.js';

// Temporal is the oracle: `PlainDate#toZonedDateTime(zone)` is the zone's start of that day, which where
// midnight falls in a gap is the first instant after the gap.
const first = Temporal.PlainDate.from('2024-01-01');
const last = Temporal.PlainDate.from('2025-12-31');

function startOf(date: Temporal.PlainDate, timeZone: string): number {
  return date.toZonedDateTime(timeZone).epochMilliseconds;
}

describe('periodEdges', () => {
  it('starts every day and month of 2024 and 2025 where Temporal does, in every IANA zone', () => {
    const zones = Intl.supportedValuesOf('timeZone');
    const wrong: string[] = [];
    let checked = 0;
    const check = (zone: string, what: () => string, got: number, want: number) => {
      checked++;
      if (got !== want) {
        wrong.push(`${zone} ${what()}: ${new Date(got).toISOString()}, not ${new Date(want).toISOString()}`);
      }
    };
    const days = first.until(last).days + 1;
    const dates: Temporal.PlainDate[] = [];
    for (let i = -1; i <= days + 3; i++) dates.push(first.add({ days: i }));
    for (const zone of zones) {
      // One day's edges are the starts of the day before it, itself and the two after: every fourth day
      // covers each boundary once, asked at the first instant of the day.
      const starts = dates.map((date) => startOf(date, zone));
      for (let i = 0; i < days; i += 4) {
        const edges = periodEdges(starts[i + 1]!, 'day', zone);
        for (let k = 0; k < 4; k++) {
          check(zone, () => `day ${first.add({ days: i - 1 + k })}`, edges[k]!, starts[i + k]!);
        }
      }
      for (let m = 0; m < 24; m++) {
        const month = first.add({ months: m });
        const next = month.add({ months: 1 });
        const start = starts[first.until(month).days + 1]!;
        const edges = periodEdges(start, 'month', zone);
        check(zone, () => `month ${month.toPlainYearMonth()}`, edges[1]!, start);
        check(zone, () => `month ${next.toPlainYearMonth()}`, edges[2]!, starts[first.until(next).days + 1]!);
      }
    }
    expect(zones.length).toBeGreaterThan(300);
    expect(checked).toBeGreaterThan(zones.length * (days + 24));
    expect(wrong).toEqual([]);
  }, 60_000);
});

describe('quota across a DST gap at midnight', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const context = (): GuardContext => ({
    request: { method: 'GET', url: '/' },
    headers: new Map(),
    onFinish() {},
    body: () => undefined,
    capture() {},
  });
  const attempt = (guard: ReturnType<typeof quota>): string => {
    // The quota returns its denial.
    const denial = runGuards([guard], context());
    if (denial === undefined) return 'admitted';
    const error = createErrorHandler({ logger: false }).normalize(denial);
    if (error instanceof ApiError) return `${error.code} retry-after=${error.headers['retry-after']}`;
    throw error;
  };

  it('a Santiago day whose midnight does not exist starts at 01:00 -03, not an hour before', () => {
    // 2024-09-08: clocks in Santiago jump from 00:00 -04 to 01:00 -03, i.e. at 04:00Z.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2024-09-08T02:30:00Z')); // 22:30 on the 7th
    const guard = quota({
      key: () => 'k',
      limit: 1,
      per: 'day',
      timeZone: 'America/Santiago',
      store: memoryStore({ now: Date.now }),
    });
    expect(attempt(guard)).toBe('admitted');
    vi.setSystemTime(new Date('2024-09-08T03:30:00Z')); // 23:30 on the 7th: the same day
    expect(attempt(guard)).toBe('QUOTA_EXCEEDED retry-after=1800');
    vi.setSystemTime(new Date('2024-09-08T04:00:00Z')); // 01:00 -03 on the 8th: its first instant
    expect(attempt(guard)).toBe('admitted');
  });
});
