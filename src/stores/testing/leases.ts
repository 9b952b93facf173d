import type { LeaseStore } from '../types.js';
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

const ttl = 60_000;

export const leaseCases: readonly Case[] = [
  {
    title: 'keys that differ only in case, past a long shared start or by an accent hold their own leases',
    async run(store: LeaseStore) {
      for (const key of lookalikeKeys) {
        assert.equal((await store.acquire(key, 'a', 1, ttl)).acquired, true, `lease of ${key}`);
      }
    },
  },
  {
    title: 'grants up to the limit, then refuses with the time until the oldest lease expires',
    async run(store: LeaseStore, clock: Clock) {
      const since = clock.now();
      const first = await store.acquire('k', 'a', 2, ttl);
      assert.deepEqual(first, { acquired: true, count: 1, retryAfterMs: 0 });
      await clock.advance(10);
      assert.deepEqual(await store.acquire('k', 'b', 2, ttl), { acquired: true, count: 2, retryAfterMs: 0 });
      const refused = await store.acquire('k', 'c', 2, ttl);
      assert.deepEqual([refused.acquired, refused.count], [false, 2]);
      countsDown(clock, refused.retryAfterMs, ttl - 10, since, 'retryAfterMs of a refusal');
      const again = await store.acquire('k', 'a', 2, ttl);
      assert.deepEqual([again.acquired, again.count], [true, 2], 'a held lease is taken again');
      assert.equal((await store.acquire('other', 'c', 2, ttl)).acquired, true, 'another key is independent');
    },
  },
  {
    title: 'a released lease frees its place; releasing an unknown lease changes nothing',
    async run(store: LeaseStore) {
      await store.acquire('k', 'a', 1, ttl);
      await store.release('k', 'unknown');
      await store.release('nothing', 'a');
      assert.equal((await store.acquire('k', 'b', 1, ttl)).acquired, false);
      await store.release('k', 'a');
      assert.deepEqual(await store.acquire('k', 'b', 1, ttl), { acquired: true, count: 1, retryAfterMs: 0 });
    },
  },
  {
    title: 'renew extends a held lease and answers false for a released one',
    async run(store: LeaseStore, clock: Clock) {
      await store.acquire('k', 'a', 1, 1000);
      await clock.advance(600);
      assert.equal(await store.renew('k', 'a', 1000), true);
      await clock.advance(600);
      assert.equal((await store.acquire('k', 'b', 1, 1000)).acquired, false, 'the renewed lease still holds');
      await store.release('k', 'a');
      assert.equal(await store.renew('k', 'a', 1000), false);
      assert.equal(await store.renew('k', 'never', 1000), false);
    },
  },
  {
    title: 'an expired lease frees its place and cannot be renewed',
    async run(store: LeaseStore, clock: Clock) {
      await store.acquire('k', 'a', 1, 100);
      await clock.advance(100);
      assert.equal(await store.renew('k', 'a', 100), false);
      assert.equal((await store.acquire('k', 'b', 1, 100)).acquired, true);
    },
  },
  {
    title: 'an acquire past its deadline rejects and takes nothing',
    async run(store: LeaseStore, clock: Clock) {
      await rejects(() => store.acquire('k', 'a', 1, ttl, pastDeadline(clock)), 'acquire past its deadline');
      assert.equal((await store.acquire('k', 'b', 1, ttl)).acquired, true);
    },
  },
  {
    title: 'an acquire its caller abandoned holds no lease',
    async run(store: LeaseStore, clock: Clock) {
      await settle(() => store.acquire('k', 'a', 1, ttl, abandonedDeadline(clock)));
      assert.equal((await store.acquire('k', 'b', 1, ttl)).acquired, true);
    },
  },
];
