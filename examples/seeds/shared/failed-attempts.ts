/**
 * Failed sign-in attempts per account, as GCRA over a faultline store: `limit` failures per `period`, the
 * burst refilled one unit every `period / limit`. An attempt spends its unit before the password is
 * checked, so that concurrent guesses are refused unchecked past the limit and a refusal says nothing of
 * whether a guess was right; a sign-in that succeeds gives its unit back, and so does one refused before its
 * password was checked (a full hash queue).
 */
import type { Store } from 'faultline/stores';

/** How many failed attempts an account may have, and over how long. */
export interface FailedAttemptsOptions {
  /** Failed attempts allowed in `period`. @default 10 */
  limit?: number;
  /** The period, in ms. @default 900 000 (15 minutes) */
  period?: number;
}

/** The failed-attempt budget of every account. */
export interface FailedAttempts {
  /** Spends one attempt of `account`: `undefined` when it may be checked, else the ms until one may. */
  take(account: string): Promise<number | undefined>;
  /** Gives back an attempt that was no failure: a sign-in that succeeded, or one refused before its check. */
  giveBack(account: string): Promise<void>;
}

/** Failed attempts kept in `store` under `prefix` + the account. */
export function failedAttempts(
  store: Store,
  options: FailedAttemptsOptions = {},
  prefix = 'login-failures:',
): FailedAttempts {
  const limit = options.limit ?? 10;
  const period = options.period ?? 15 * 60_000;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer`);
  if (!(period > 0)) throw new RangeError('period must be positive');
  const interval = period / limit;
  const input = (cost: number) => ({ interval, tolerance: interval * limit, cost });
  return {
    async take(account) {
      const decision = await store.rate(prefix + account, input(1));
      return decision.allowed ? undefined : decision.retryAfterMs;
    },
    async giveBack(account) {
      await store.rate(prefix + account, input(-1));
    },
  };
}
