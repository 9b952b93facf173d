import { toMs } from './duration.js';
import { admitted, compileFailure, storeOf } from './failure.js';
import { raise, seconds } from './raise.js';
import type { Duration, Guard, GuardRequest, KeyOf, StoreOptions } from './types.js';

/** Options of `cooldown`. */
export interface CooldownOptions extends StoreOptions {
  /** Whose cooldown it is (a session, an app); `undefined` skips the guard. */
  key: KeyOf;
  /** The command group: a name, or a function of the request (`undefined` skips the guard). */
  group: string | ((request: GuardRequest) => string | undefined);
  /** The time between two calls of the group. */
  interval: Duration;
}

/**
 * One call per interval per key and command group; a call too soon answers the catalog's `COOLDOWN`
 * (429) with the time left in `Retry-After`.
 * @example
 * const commands = cooldown({ key: byHeader('x-app-id'), group: (r) => groupOf(r.url), interval: '2s' });
 */
export function cooldown(options: CooldownOptions): Guard {
  const interval = toMs(options.interval, 'cooldown interval');
  const groupOf = typeof options.group === 'function' ? options.group : () => options.group as string;
  const store = storeOf(options);
  const decide = compileFailure(options, store);
  const input = { interval, tolerance: interval, cost: 1 };

  return {
    kind: 'cooldown',
    check(context) {
      const key = options.key(context.request);
      const group = key === undefined ? undefined : groupOf(context.request);
      if (key === undefined || group === undefined) return undefined;
      const conclude = (decision: Awaited<ReturnType<typeof store.rate>> | typeof admitted) => {
        if (decision === admitted || decision.allowed) return undefined;
        throw raise('cooldown', { group }, { 'retry-after': String(seconds(decision.retryAfter)) });
      };
      const decision = decide(context.request, (deadline) =>
        store.rate(`cooldown:${group.length}:${group}:${key}`, input, deadline),
      );
      return decision instanceof Promise ? decision.then(conclude) : conclude(decision);
    },
  };
}
