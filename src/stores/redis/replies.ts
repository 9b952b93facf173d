import type { RateDecision } from '../types.js';

// Script replies are checked, never cast: a reply of another shape is a store failure, not a decision.

/**
 * A script reply, checked for its shape (`length` items, any from 2 when 0; a refusal, `late` or `skew`,
 * has 2): anything else is a store failure, never a decision. Its last item is the Redis time it ran at.
 */
export function checked(reply: unknown, length: number, script: string): unknown[] {
  if (!Array.isArray(reply) || reply.length < 2)
    throw new TypeError(`redisStore: unexpected reply of the ${script} script`);
  if (reply[0] !== 'late' && reply[0] !== 'skew' && length !== 0 && reply.length !== length)
    throw new TypeError(`redisStore: unexpected reply of the ${script} script`);
  return reply;
}

export function toRate(values: unknown[]): RateDecision {
  return {
    allowed: toFlag(values[0]),
    remaining: toCount(values[1]),
    retryAfterMs: toCount(values[2]),
    reset: toCount(values[3]),
  };
}

export function toNumber(value: unknown): number {
  // Integer replies come as numbers, bulk replies as strings; nothing else is a number.
  const number =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value !== ''
        ? Number(value)
        : Number.NaN;
  if (!Number.isFinite(number)) throw new TypeError('redisStore: a script replied with a non-number');
  return number;
}

/** A count or a duration: a whole number from 0; anything else is a store failure. */
export function toCount(value: unknown): number {
  const number = toNumber(value);
  if (!Number.isSafeInteger(number) || number < 0)
    throw new TypeError('redisStore: a script replied with a count that is not a whole number from 0');
  return number;
}

/** A yes or no: 1 or 0; anything else is a store failure. */
export function toFlag(value: unknown): boolean {
  const number = toNumber(value);
  if (number !== 0 && number !== 1)
    throw new TypeError('redisStore: a script replied with a flag other than 0 or 1');
  return number === 1;
}

export function toText(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

/** Why a decision failed: it reached Redis past its deadline, and changed nothing. */
export class LateDecisionError extends Error {
  override readonly name = 'LateDecisionError';
}

/** Why a quota decision failed: this process's clock and Redis's disagree by more than a period. */
export class ClockSkewError extends Error {
  override readonly name = 'ClockSkewError';
}
