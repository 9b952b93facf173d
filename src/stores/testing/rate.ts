import type { RateDecision, RateStore } from '../types.js';
import {
  abandonedDeadline,
  assert,
  type Case,
  type Clock,
  countsDown,
  type Footprint,
  lookalikeKeys,
  pastDeadline,
  rejects,
  settle,
} from './support.js';

// 3 per 300 ms: one unit every 100 ms, a burst of 3.
const interval = 100;
const rate = { interval, tolerance: 3 * interval, cost: 1 };
const refund = { ...rate, cost: -1 };
// What rateLimit's get() sends: a decision of no units; and how a ban reads its key: a zero-interval refund.
const peek = { ...rate, cost: 0 };
const read = { interval: 0, tolerance: 0, cost: -1 };

async function spend(store: RateStore, key: string, count: number): Promise<RateDecision[]> {
  const decisions: RateDecision[] = [];
  for (let i = 0; i < count; i++) decisions.push(await store.rate(key, rate));
  return decisions;
}

async function remainingOf(store: RateStore, key: string): Promise<number> {
  const decision = await store.rate(key, rate);
  assert.ok(decision.allowed, 'a unit is available');
  return decision.remaining;
}

export const rateCases: readonly Case[] = [
  {
    title: 'keys that differ only in case, past a long shared start or by an accent have their own burst',
    async run(store: RateStore) {
      for (const key of lookalikeKeys) {
        assert.deepEqual(
          (await spend(store, key, 3)).map((d) => d.allowed),
          [true, true, true],
          `the burst of ${key}`,
        );
      }
    },
  },
  {
    title: 'admits a burst, then denies with the time until the next unit; a denial uses nothing',
    async run(store: RateStore, clock: Clock) {
      const since = clock.now();
      const decisions = await spend(store, 'k', 4);
      assert.deepEqual(
        decisions.map((d) => [d.allowed, d.remaining]),
        [
          [true, 2],
          [true, 1],
          [true, 0],
          [false, 0],
        ],
      );
      for (const [i, d] of decisions.slice(0, 3).entries()) {
        assert.equal(d.retryAfterMs, 0, 'an admission waits for nothing');
        countsDown(clock, d.reset, (i + 1) * interval, since, `reset after ${i + 1} units`);
      }
      const denied = decisions[3]!;
      countsDown(clock, denied.retryAfterMs, interval, since, 'retryAfterMs of a denial');
      countsDown(clock, denied.reset, 3 * interval, since, 'reset of a denial');
      const again = await store.rate('k', rate);
      assert.equal(again.allowed, false);
      assert.ok(again.retryAfterMs <= denied.retryAfterMs, 'a denial does not push the next unit back');
      assert.equal(await remainingOf(store, 'other'), 2, 'another key is independent');
    },
  },
  {
    title: 'admits again once retryAfterMs has passed',
    async run(store: RateStore, clock: Clock) {
      await spend(store, 'k', 3);
      const denied = await store.rate('k', rate);
      assert.equal(denied.allowed, false);
      await clock.advance(denied.retryAfterMs);
      const next = await store.rate('k', rate);
      assert.equal(next.allowed, true);
      assert.equal(next.remaining, 0);
    },
  },
  {
    title: 'answers whole milliseconds, rounded up, when the interval is not whole',
    async run(store: RateStore, clock: Clock) {
      // 3 per 100 ms: 33.3 ms per unit.
      const third = { interval: 100 / 3, tolerance: 100, cost: 1 };
      const since = clock.now();
      const decisions: RateDecision[] = [];
      for (let i = 0; i < 4; i++) decisions.push(await store.rate('k', third));
      assert.deepEqual(
        decisions.map((d) => d.remaining),
        [2, 1, 0, 0],
      );
      countsDown(clock, decisions[0]!.reset, 34, since, 'reset of 33.3 ms');
      countsDown(clock, decisions[1]!.reset, 67, since, 'reset of 66.7 ms');
      countsDown(clock, decisions[3]!.retryAfterMs, 34, since, 'retryAfterMs of 33.3 ms');
    },
  },
  {
    title: 'counts a whole burst down exactly on epoch timestamps, whatever the fraction of the interval',
    async run(store: RateStore) {
      // On epoch milliseconds a double keeps about 2e-4 ms: sums of a fractional interval must not drift.
      for (const [limit, period] of [
        [3, 2000],
        [7, 1000],
        [6, 1000],
        [9, 1000],
        [11, 3000],
        [13, 60_000],
      ] as const) {
        const shape = { interval: period / limit, tolerance: period, cost: 1 };
        const key = `burst-${limit}-${period}`;
        const seen: number[] = [];
        for (let i = 0; i < limit; i++) {
          const decision = await store.rate(key, shape);
          assert.ok(decision.allowed, `unit ${i + 1} of ${limit} per ${period} ms is admitted`);
          seen.push(decision.remaining);
        }
        assert.deepEqual(
          seen,
          Array.from({ length: limit }, (_, i) => limit - 1 - i),
          `${limit} per ${period} ms`,
        );
        assert.equal((await store.rate(key, shape)).allowed, false, `unit ${limit + 1} is denied`);
      }
    },
  },
  {
    title: 'holds a burst to its size exactly when a unit lasts a microsecond or less (a byte budget)',
    async run(store: RateStore, clock: Clock) {
      // 1.14 µs a unit (50 MiB a minute with one unit a byte), 0.1 µs and 3 ns: one decision each, so that
      // no time passes within it, whatever the clock.
      for (const interval of [60_000 / 52_428_800, 0.0001, 0.000003]) {
        const shape = { interval, tolerance: 1000 * interval, cost: 1000 };
        const whole = await store.rate(`whole-${interval}`, shape);
        assert.ok(whole.allowed, `a burst of exactly 1000 units of ${interval} ms is admitted`);
        assert.equal(whole.remaining, 0, `nothing is left after 1000 units of ${interval} ms`);
        const over = await store.rate(`over-${interval}`, { ...shape, cost: 1001 });
        assert.equal(over.allowed, false, `1001 units of ${interval} ms do not fit a burst of 1000`);
        const half = await store.rate(`half-${interval}`, { ...shape, cost: 500 });
        assert.equal(half.remaining, 500, `500 units of ${interval} ms are left of 1000`);
        if (clock.injected) {
          // No time passes on an injected clock: the next 500 fit, one more does not.
          assert.equal((await store.rate(`half-${interval}`, { ...shape, cost: 500 })).allowed, true);
          assert.equal((await store.rate(`half-${interval}`, { ...shape, cost: 1 })).allowed, false);
        }
      }
    },
  },
  {
    title: 'holds a period of ages and answers a wait past 2^53 ms; refuses input that is not finite',
    async run(store: RateStore) {
      const ages = { interval: 5e15, tolerance: 5e15, cost: 1 };
      assert.equal((await store.rate('ages', ages)).allowed, true);
      assert.equal((await store.rate('ages', ages)).allowed, false, 'a unit of 5e15 ms is still held');
      const huge = await store.rate('huge', { interval: 1000, tolerance: 10_000, cost: 1e13 });
      assert.equal(huge.allowed, false, 'a cost far past the burst is denied');
      assert.ok(Number.isSafeInteger(huge.retryAfterMs), 'its wait is a whole number a reply can carry');
      for (const input of [
        { ...rate, interval: Number.NaN },
        { ...rate, tolerance: Number.POSITIVE_INFINITY },
        { ...rate, cost: Number.NEGATIVE_INFINITY },
      ]) {
        await rejects(() => store.rate('odd', input), `rate with ${JSON.stringify(input)} (not finite)`);
      }
      assert.equal(await remainingOf(store, 'odd'), 2, 'the refused input left the key as it was');
    },
  },
  {
    title: 'a refund gives one unit back and answers the time until the whole burst is back',
    async run(store: RateStore, clock: Clock) {
      const since = clock.now();
      await spend(store, 'k', 3);
      const back = await store.rate('k', refund);
      assert.equal(back.allowed, true);
      assert.equal(back.retryAfterMs, 0);
      countsDown(clock, back.reset, 2 * interval, since, 'reset after a refund');
      const decisions = await spend(store, 'k', 2);
      assert.deepEqual(
        decisions.map((d) => d.allowed),
        [true, false],
      );
    },
  },
  {
    title: 'a refund never leaves more than a full burst (a refund of units never spent is lost)',
    async run(store: RateStore) {
      for (let i = 0; i < 5; i++) {
        const back = await store.rate('k', refund);
        assert.equal(back.reset, 0, 'nothing is spent after a refund on an empty key');
      }
      const decisions = await spend(store, 'k', 4);
      assert.deepEqual(
        decisions.map((d) => d.allowed),
        [true, true, true, false],
      );
    },
  },
  {
    title:
      'a zero-interval refund reads the time left on a key and changes nothing (how rateLimit bans read)',
    async run(store: RateStore, clock: Clock, footprint: Footprint) {
      // One unit lasting 300 ms, as a ban holds its key.
      const hold = { interval: 300, tolerance: 300, cost: 1 };
      const since = clock.now();
      const empty = await footprint();
      const fresh = await store.rate('ban', read);
      assert.equal(fresh.reset, 0, 'an unheld key has nothing left');
      assert.deepEqual(await footprint(), empty, 'reading an unheld key creates nothing');
      assert.equal((await store.rate('ban', hold)).allowed, true);
      const before = await footprint();
      const held = await store.rate('ban', read);
      countsDown(clock, held.reset, 300, since, 'time left on a held key');
      assert.deepEqual(await footprint(), before, 'reading a held key rewrites nothing, nor extends it');
      assert.equal((await store.rate('ban', hold)).allowed, false, 'the read gave nothing back');
    },
  },
  {
    title: 'a decision of no units reads: it answers what a request would find, spends and writes nothing',
    async run(store: RateStore, clock: Clock, footprint: Footprint) {
      const since = clock.now();
      const empty = await footprint();
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(await store.rate(`unknown-${i}`, peek), {
          allowed: true,
          remaining: 3,
          retryAfterMs: 0,
          reset: 0,
        });
      }
      assert.deepEqual(await footprint(), empty, 'peeking at unknown keys creates nothing');
      await spend(store, 'k', 2);
      const before = await footprint();
      for (let i = 0; i < 3; i++) {
        const seen = await store.rate('k', peek);
        assert.equal(seen.allowed, true);
        assert.equal(seen.remaining, 1, 'the units a request could spend now');
        assert.equal(seen.retryAfterMs, 0);
        countsDown(clock, seen.reset, 2 * interval, since, 'reset of a peek');
      }
      assert.deepEqual(await footprint(), before, 'peeking at a key rewrites nothing, nor extends it');
      assert.deepEqual(
        (await spend(store, 'k', 2)).map((d) => d.allowed),
        [true, false],
        'the peeks spent nothing',
      );
      const full = await store.rate('k', peek);
      assert.equal(full.allowed, true, 'a decision of no units is never denied on a full key');
      assert.equal(full.remaining, 0);
    },
  },
  {
    title: 'a decision of no units on an expired key reads it as empty and writes nothing',
    async run(store: RateStore, clock: Clock, footprint: Footprint) {
      const brief = { interval: 20, tolerance: 20, cost: 1 };
      assert.equal((await store.rate('k', brief)).allowed, true);
      await clock.advance(60);
      const before = await footprint();
      assert.deepEqual(await store.rate('k', { ...brief, cost: 0 }), {
        allowed: true,
        remaining: 1,
        retryAfterMs: 0,
        reset: 0,
      });
      assert.deepEqual(await store.rate('k', read), {
        allowed: true,
        remaining: 0,
        retryAfterMs: 0,
        reset: 0,
      });
      assert.deepEqual(await footprint(), before, 'reading an expired key rewrites nothing');
    },
  },
  {
    title: 'a decision past its deadline rejects and changes nothing',
    async run(store: RateStore, clock: Clock) {
      await rejects(() => store.rate('k', rate, pastDeadline(clock)), 'rate past its deadline');
      assert.equal(await remainingOf(store, 'k'), 2);
    },
  },
  {
    title: 'a decision its caller abandoned leaves no unit spent',
    async run(store: RateStore, clock: Clock) {
      await settle(() => store.rate('k', rate, abandonedDeadline(clock)));
      assert.equal(await remainingOf(store, 'k'), 2);
    },
  },
];
