import type { QuotaStore } from '../types.js';
import {
  abandonedDeadline,
  assert,
  type Case,
  type Clock,
  countsDown,
  lookalikeKeys,
  pastDeadline,
  rejects,
  settle,
} from './support.js';

const hour = 3_600_000;

/** Period edges around now: the current period ends in an hour, the next one an hour later. */
function periods(clock: Clock, firstEndsIn = hour): number[] {
  const now = clock.now();
  return [now - hour, now + firstEndsIn, now + firstEndsIn + hour];
}

export const quotaCases: readonly Case[] = [
  {
    title: 'keys that differ only in case, past a long shared start or by an accent count apart',
    async run(store: QuotaStore, clock: Clock) {
      const input = { limit: 1, cost: 1, bounds: periods(clock) };
      for (const key of lookalikeKeys) {
        assert.equal((await store.quota(key, input)).used, 1, `quota of ${key}`);
      }
    },
  },
  {
    title: 'counts up to the limit, then denies; a denial uses nothing; reset is the end of the period',
    async run(store: QuotaStore, clock: Clock) {
      const since = clock.now();
      const input = { limit: 3, cost: 1, bounds: periods(clock) };
      const decisions = [];
      for (let i = 0; i < 5; i++) decisions.push(await store.quota('k', input));
      assert.deepEqual(
        decisions.map((d) => [d.allowed, d.used]),
        [
          [true, 1],
          [true, 2],
          [true, 3],
          [false, 3],
          [false, 3],
        ],
      );
      for (const d of decisions) countsDown(clock, d.reset, hour, since, 'reset');
      assert.equal((await store.quota('other', input)).used, 1, 'another key is independent');
    },
  },
  {
    title: 'a cost above one spends that many, and is denied whole when it does not fit',
    async run(store: QuotaStore, clock: Clock) {
      const bounds = periods(clock);
      assert.equal((await store.quota('k', { limit: 5, cost: 3, bounds })).used, 3);
      const over = await store.quota('k', { limit: 5, cost: 3, bounds });
      assert.deepEqual([over.allowed, over.used], [false, 3]);
      assert.equal((await store.quota('k', { limit: 5, cost: 2, bounds })).used, 5);
    },
  },
  {
    title: 'a refund gives units back and never counts below zero',
    async run(store: QuotaStore, clock: Clock) {
      const bounds = periods(clock);
      const spend = { limit: 2, cost: 1, bounds };
      const back = { limit: 2, cost: -1, bounds };
      await store.quota('k', spend);
      await store.quota('k', spend);
      const refunded = await store.quota('k', back);
      assert.deepEqual([refunded.allowed, refunded.used], [true, 1]);
      assert.equal((await store.quota('k', back)).used, 0);
      assert.equal((await store.quota('k', back)).used, 0, 'a refund below zero is lost');
      assert.equal((await store.quota('fresh', back)).used, 0, 'a refund on an unknown key is lost');
      const decisions = [];
      for (let i = 0; i < 3; i++) decisions.push((await store.quota('k', spend)).allowed);
      assert.deepEqual(decisions, [true, true, false]);
    },
  },
  {
    title: 'a new period starts from zero',
    async run(store: QuotaStore, clock: Clock) {
      const bounds = periods(clock, 200);
      const input = { limit: 1, cost: 1, bounds };
      assert.equal((await store.quota('k', input)).allowed, true);
      assert.equal((await store.quota('k', input)).allowed, false);
      await clock.advance(Math.max(0, bounds[1]! - clock.now()));
      const before = clock.now();
      const next = await store.quota('k', input);
      assert.deepEqual([next.allowed, next.used], [true, 1]);
      countsDown(clock, next.reset, bounds[2]! - before, before, 'reset in the next period');
    },
  },
  {
    title: 'a clock stepped back across a period edge keeps counting in the later period',
    async run(store: QuotaStore, clock: Clock) {
      // The same calendar, read by a clock two minutes behind: the edges move ahead of the clock.
      const now = clock.now();
      const ahead = [now - 2 * hour, now - 60_000, now + hour];
      const behind = ahead.map((edge) => edge + 120_000);
      assert.equal((await store.quota('k', { limit: 2, cost: 1, bounds: ahead })).used, 1);
      const back = await store.quota('k', { limit: 2, cost: 1, bounds: behind });
      assert.equal(back.used, 2, 'the count of the later period goes on');
      const over = await store.quota('k', { limit: 2, cost: 1, bounds: behind });
      assert.equal(over.allowed, false, 'an earlier period must not start from 0');
    },
  },
  {
    title: 'a decision past its deadline rejects and changes nothing',
    async run(store: QuotaStore, clock: Clock) {
      const input = { limit: 3, cost: 1, bounds: periods(clock) };
      await rejects(() => store.quota('k', input, pastDeadline(clock)), 'quota past its deadline');
      assert.equal((await store.quota('k', input)).used, 1);
    },
  },
  {
    title: 'a decision its caller abandoned uses nothing',
    async run(store: QuotaStore, clock: Clock) {
      const input = { limit: 3, cost: 1, bounds: periods(clock) };
      await settle(() => store.quota('k', input, abandonedDeadline(clock)));
      assert.equal((await store.quota('k', input)).used, 1);
    },
  },
];
