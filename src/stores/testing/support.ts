import { strict as assert } from 'node:assert';
import type { Awaitable, Deadline } from '../types.js';

/** A capability of a store, and a part of the conformance suite. */
export type Capability = 'rate' | 'quota' | 'window' | 'lease' | 'idempotency';

/** The suite's clock: the store reads `now` when the clock is injected; `advance` lets time pass. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Lets `ms` pass: moves an injected clock, or waits for real (a little longer, as timers may round). */
  advance(ms: number): Promise<void>;
  /** True when the store reads this clock, so that durations it answers are exact. */
  readonly injected: boolean;
}

/**
 * What the store holds or has written, read before and after the reads that must change nothing; equal
 * snapshots (`deepEqual`) mean nothing was created, rewritten or extended.
 */
export type Footprint = () => Promise<unknown>;

/** One case of the suite, for one capability. */
export interface Case {
  readonly title: string;
  run(store: any, clock: Clock, footprint: Footprint): Promise<void>;
}

/** A clock the suite moves: time stands still between its steps. */
export function settledClock(): Clock {
  let at = 1_800_000_000_000;
  return {
    now: () => at,
    advance: async (ms) => {
      at += ms;
    },
    injected: true,
  };
}

/** The real clock: `advance` waits. */
export function realClock(): Clock {
  return {
    now: () => Date.now(),
    advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms + 20)),
    injected: false,
  };
}

/**
 * A duration the store answered that counts down from `expected` as time passes: a whole number of
 * milliseconds, exactly `expected` on an injected clock, else no more than it and no less than it minus
 * the time passed since `since` (and a millisecond of rounding).
 */
export function countsDown(
  clock: Clock,
  actual: number,
  expected: number,
  since: number,
  what: string,
): void {
  assert.ok(Number.isInteger(actual), `${what}: ${actual} is not a whole number of milliseconds`);
  if (clock.injected) {
    assert.equal(actual, expected, what);
    return;
  }
  const passed = clock.now() - since;
  assert.ok(actual <= expected, `${what}: ${actual} is above ${expected}`);
  assert.ok(actual >= expected - passed - 1, `${what}: ${actual} is below ${expected} - ${passed} ms passed`);
}

/** A deadline already past on any clock the suite uses. */
export function pastDeadline(clock: Clock): Deadline {
  return { at: clock.now() - 60_000, abandoned: false };
}

/** A deadline its caller stopped waiting for, though not yet past. */
export function abandonedDeadline(clock: Clock): Deadline {
  return { at: clock.now() + 60_000, abandoned: true };
}

/** Asserts that a decision rejects (a throw or a rejected promise): the store failed, nothing decided. */
export async function rejects(call: () => Awaitable<unknown>, what: string): Promise<void> {
  let failed = false;
  try {
    await call();
  } catch {
    failed = true;
  }
  assert.ok(failed, `${what}: expected a rejection, got an answer`);
}

/** Waits for a decision whatever its outcome (an abandoned decision may answer or reject). */
export async function settle(call: () => Awaitable<unknown>): Promise<void> {
  try {
    await call();
  } catch {
    // The outcome does not matter, only that it changed nothing.
  }
}

/**
 * Keys a guard makes that a store must keep apart: a tenant in two cases (a case-blind collation merges
 * them), two that differ only past their 200th character (a column of 64 or 191 characters cuts them), and
 * two that differ in one accented character (a collation that folds accents).
 */
export const lookalikeKeys: readonly string[] = [
  '4:ACME:order-1',
  '4:acme:order-1',
  `${'t'.repeat(240)}:a`,
  `${'t'.repeat(240)}:b`,
  'caf\u00e9:k',
  'cafe:k',
];

export { assert };
