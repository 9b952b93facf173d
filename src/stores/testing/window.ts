import type { WindowStore } from '../types.js';
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

const minute = 60_000;

export const windowCases: readonly Case[] = [
  {
    title: 'keys that differ only in case, past a long shared start or by an accent count apart',
    async run(store: WindowStore) {
      for (const key of lookalikeKeys) {
        assert.equal(
          (await store.window(key, { limit: 1, period: minute, cost: 1 })).used,
          1,
          `window of ${key}`,
        );
      }
    },
  },
  {
    title:
      'the first unit starts the window; up to the limit, then denied until it ends; a denial uses nothing',
    async run(store: WindowStore, clock: Clock) {
      const since = clock.now();
      const input = { limit: 3, period: minute, cost: 1 };
      const decisions = [];
      for (let i = 0; i < 5; i++) decisions.push(await store.window('k', input));
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
      for (const d of decisions) countsDown(clock, d.reset, minute, since, 'reset');
      assert.equal((await store.window('other', input)).used, 1, 'another key is independent');
    },
  },
  {
    title: 'the window is anchored at its first unit, not at later ones, and a new one starts from zero',
    async run(store: WindowStore, clock: Clock) {
      const input = { limit: 2, period: 400, cost: 1 };
      const first = await store.window('k', input);
      assert.equal(first.allowed, true);
      await clock.advance(150);
      const second = await store.window('k', input);
      assert.equal(second.allowed, true);
      assert.equal(second.start, first.start, 'the second unit does not move the window');
      assert.ok(second.reset <= first.reset, `reset ${second.reset} grew from ${first.reset}`);
      if (clock.injected) assert.equal(second.reset, 250);
      assert.equal((await store.window('k', input)).allowed, false);
      // The store's own answer says when its window ends: no clock of the suite is compared with the store's.
      await clock.advance(second.reset);
      const next = await store.window('k', input);
      assert.deepEqual([next.allowed, next.used], [true, 1], 'a window that ended counts from zero');
      assert.ok(next.start > first.start, 'the new window starts later');
      assert.ok(next.reset <= 400 && next.reset > 0, `reset ${next.reset} of the new window`);
    },
  },
  {
    title: 'a cost above one spends that many, and is denied whole when it does not fit',
    async run(store: WindowStore) {
      const input = (cost: number) => ({ limit: 5, period: minute, cost });
      assert.equal((await store.window('k', input(3))).used, 3);
      const over = await store.window('k', input(3));
      assert.deepEqual([over.allowed, over.used], [false, 3]);
      assert.equal((await store.window('k', input(2))).used, 5);
      const never = await store.window('fresh', input(6));
      assert.deepEqual([never.allowed, never.used], [false, 0], 'a cost above the limit never fits');
      assert.ok(never.reset > 0, 'and is told to wait');
    },
  },
  {
    title: 'a decision tells when its window started; a refund reaches only that window',
    async run(store: WindowStore, clock: Clock) {
      const input = { limit: 2, period: 300, cost: 1 };
      const before = clock.now();
      const first = await store.window('k', input);
      assert.ok(first.start >= before - 1000 && first.start <= clock.now() + 1000, `start ${first.start}`);
      assert.equal((await store.window('k', input)).start, first.start, 'the window keeps its start');
      await clock.advance(Math.max(0, first.start + 300 - clock.now()));
      const next = await store.window('k', input);
      assert.ok(next.start > first.start, 'a new window starts later');
      const late = await store.window('k', { limit: 2, period: 300, cost: -1, start: first.start });
      assert.equal(late.used, 1, 'a refund for an ended window does not reach the next one');
      const own = await store.window('k', { limit: 2, period: 300, cost: 1 });
      assert.equal(own.used, 2);
      assert.equal((await store.window('k', { ...input, cost: -1, start: next.start })).used, 1);
    },
  },
  {
    title: 'a period shortened mid-window ends the window sooner',
    async run(store: WindowStore, clock: Clock) {
      const since = clock.now();
      assert.equal((await store.window('k', { limit: 1, period: minute, cost: 1 })).allowed, true);
      const shorter = await store.window('k', { limit: 1, period: 200, cost: 1 });
      assert.equal(shorter.allowed, false);
      countsDown(clock, shorter.reset, 200, since, 'reset under the shorter period');
      await clock.advance(shorter.reset);
      assert.equal((await store.window('k', { limit: 1, period: 200, cost: 1 })).allowed, true);
    },
  },
  {
    title: 'a refund gives units back within the window, never below zero, and never starts one',
    async run(store: WindowStore, clock: Clock, footprint: Footprint) {
      const since = clock.now();
      const spend = { limit: 2, period: minute, cost: 1 };
      const back = { limit: 2, period: minute, cost: -1 };
      await store.window('k', spend);
      await store.window('k', spend);
      const refunded = await store.window('k', back);
      assert.deepEqual([refunded.allowed, refunded.used], [true, 1]);
      const emptied = await store.window('k', back);
      assert.deepEqual([emptied.used, emptied.reset, emptied.start], [0, 0, 0], 'nothing counted: no window');
      assert.equal((await store.window('k', back)).used, 0, 'a refund below zero is lost');
      const before = await footprint();
      const unknown = await store.window('fresh', back);
      assert.deepEqual([unknown.used, unknown.reset], [0, 0], 'a refund on an unknown key is lost');
      assert.deepEqual(await footprint(), before, 'a refund on an unknown key writes nothing');
      const decisions = [];
      for (let i = 0; i < 3; i++) decisions.push((await store.window('k', spend)).allowed);
      assert.deepEqual(decisions, [true, true, false]);
      countsDown(clock, (await store.window('k', back)).reset, minute, since, 'a refund keeps the window');
    },
  },
  {
    title: 'a decision of no units reads what a request would find, and writes nothing',
    async run(store: WindowStore, clock: Clock, footprint: Footprint) {
      const read = { limit: 2, period: minute, cost: 0 };
      const since = clock.now();
      await store.window('k', { limit: 2, period: minute, cost: 1 });
      const before = await footprint();
      const unknown = await store.window('fresh', read);
      assert.deepEqual([unknown.allowed, unknown.used, unknown.reset, unknown.start], [true, 0, 0, 0]);
      const held = await store.window('k', read);
      assert.deepEqual([held.allowed, held.used], [true, 1]);
      countsDown(clock, held.reset, minute, since, 'reset read');
      assert.deepEqual(await footprint(), before, 'reads created or changed state');
      await store.window('k', { limit: 2, period: minute, cost: 1 });
      assert.equal((await store.window('k', read)).allowed, false, 'a spent window reads as denied');
    },
  },
  {
    title: 'a decision past its deadline rejects and changes nothing',
    async run(store: WindowStore, clock: Clock) {
      const input = { limit: 3, period: minute, cost: 1 };
      await rejects(() => store.window('k', input, pastDeadline(clock)), 'window past its deadline');
      assert.equal((await store.window('k', input)).used, 1);
    },
  },
  {
    title: 'a decision its caller abandoned uses nothing',
    async run(store: WindowStore, clock: Clock) {
      const input = { limit: 3, period: minute, cost: 1 };
      await settle(() => store.window('k', input, abandonedDeadline(clock)));
      assert.equal((await store.window('k', input)).used, 1);
    },
  },
];
