import type { IdempotencyStore } from '../types.js';
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

const lock = 60_000;
const ttl = 60_000;

export const idempotencyCases: readonly Case[] = [
  {
    title: 'keys that differ only in case, past a long shared start or by an accent are distinct claims',
    async run(store: IdempotencyStore) {
      for (const key of lookalikeKeys) {
        assert.deepEqual(
          await store.claim(key, 'fp', `t-${key}`, lock),
          { state: 'claimed' },
          `claim ${key}`,
        );
      }
    },
  },
  {
    title: 'the first claim wins; a second one is in flight, with the time left on the lock',
    async run(store: IdempotencyStore, clock: Clock) {
      const since = clock.now();
      assert.deepEqual(await store.claim('k', 'fp', 't1', lock), { state: 'claimed' });
      const pending = await store.claim('k', 'fp', 't2', lock);
      assert.equal(pending.state, 'pending');
      if (pending.state === 'pending') countsDown(clock, pending.retryAfterMs, lock, since, 'retryAfterMs');
      assert.deepEqual(await store.claim('k', 'other', 't3', lock), { state: 'mismatch' });
      assert.deepEqual(await store.claim('k2', 'fp', 't4', lock), { state: 'claimed' });
    },
  },
  {
    title: 'a completed claim replays its response byte for byte; another fingerprint is a mismatch',
    async run(store: IdempotencyStore) {
      const response = '{"status":201,"body":"é✓ \\u0000 {}"}';
      await store.claim('k', 'fp', 't1', lock);
      await store.complete('k', 't1', response, ttl);
      assert.deepEqual(await store.claim('k', 'fp', 't2', lock), { state: 'done', response });
      assert.deepEqual(await store.claim('k', 'other', 't3', lock), { state: 'mismatch' });
    },
  },
  {
    title: 'only the claiming token completes or releases a claim, once; a completed record stays as it was',
    async run(store: IdempotencyStore) {
      await store.claim('k', 'fp', 't1', lock);
      await store.complete('k', 't2', 'stolen', ttl);
      await store.abandon('k', 't2');
      assert.equal((await store.claim('k', 'fp', 't3', lock)).state, 'pending');
      await store.complete('k', 't1', 'mine', ttl);
      await store.complete('k', 't1', 'again', ttl);
      await store.abandon('k', 't1');
      assert.deepEqual(await store.claim('k', 'fp', 't4', lock), { state: 'done', response: 'mine' });
    },
  },
  {
    title: 'a released claim lets a retry execute',
    async run(store: IdempotencyStore) {
      await store.claim('k', 'fp', 't1', lock);
      await store.abandon('k', 't1');
      assert.deepEqual(await store.claim('k', 'fp2', 't2', lock), { state: 'claimed' });
    },
  },
  {
    title: 'a lock expires, and so does a stored response',
    async run(store: IdempotencyStore, clock: Clock) {
      await store.claim('k', 'fp', 't1', 100);
      await clock.advance(100);
      assert.deepEqual(await store.claim('k', 'fp', 't2', lock), { state: 'claimed' });
      await store.complete('k', 't2', 'answer', 100);
      await clock.advance(100);
      assert.deepEqual(await store.claim('k', 'fp', 't3', lock), { state: 'claimed' });
    },
  },
  {
    title: 'a claim past its deadline rejects and locks nothing',
    async run(store: IdempotencyStore, clock: Clock) {
      await rejects(() => store.claim('k', 'fp', 't1', lock, pastDeadline(clock)), 'claim past its deadline');
      assert.deepEqual(await store.claim('k', 'fp', 't2', lock), { state: 'claimed' });
    },
  },
  {
    title: 'a claim its caller abandoned locks nothing',
    async run(store: IdempotencyStore, clock: Clock) {
      await settle(() => store.claim('k', 'fp', 't1', lock, abandonedDeadline(clock)));
      assert.deepEqual(await store.claim('k', 'fp', 't2', lock), { state: 'claimed' });
    },
  },
];
