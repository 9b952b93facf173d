import { invalidOption } from '../catalog/config-error.js';
import { roleError } from '../catalog/role-error.js';
import type { RateDecision, RateInput, RateStore } from '../stores/types.js';
import { toMs } from './duration.js';
import { admitted, compileFailure, storeOf } from './failure.js';
import { errorCodeOf, type GuardError } from './guard-error.js';
import { durationOf, refundOnFailure, valueFor } from './per-request.js';
import { seconds } from './raise.js';
import type {
  Count,
  Duration,
  Guard,
  GuardContext,
  GuardRequest,
  KeyOf,
  PerRequest,
  StoreOptions,
} from './types.js';

/** Options of `cooldown`. */
export interface CooldownOptions extends StoreOptions<RateStore> {
  /**
   * The catalog error a denial answers instead of `COOLDOWN`: the catalog's entry, checked now (an error
   * status; its message names only `{group}`), or its code, checked when the handler answers.
   * @example error: errors.entries.PLAN_COOLDOWN
   */
  error?: GuardError;
  /** Whose cooldown it is (a session, an app); `undefined` skips the guard. */
  key: KeyOf;
  /** The command group: a name, or a function of the request (`undefined` skips the guard). */
  group: string | ((request: GuardRequest) => string | undefined);
  /**
   * The time between two calls of the group, or a function of the request giving it (checked on each
   * call: one that is not a duration answers the catalog's 500 and logs a configuration error). A changed
   * interval applies from the next call that starts the cooldown; a running one ends when it was due.
   */
  interval: PerRequest<Duration>;
  /**
   * Which calls start the cooldown: only those whose response succeeded (status below 400), or every
   * admitted one. With `'succeeded'`, a call the handler refuses (400 on validation, 404) or a later guard
   * denies gives its cooldown back when its response is sent; one whose connection closes before the
   * answer keeps it, as its command may have run.
   * @default 'succeeded'
   */
  count?: Count;
}

/**
 * One call per interval per key and command group; a call too soon answers the catalog's `COOLDOWN`
 * (429) with the time left in `Retry-After`. It spends at admission and, by default, gives the cooldown
 * back when the call's response fails (as express-rate-limit's `skipFailedRequests`), so it may sit
 * before the route's validation: a refused command does not make the caller wait.
 * @example
 * const commands = cooldown({ key: byHeader('x-app-id'), group: 'orders', interval: '2s' });
 */
export function cooldown(options: CooldownOptions): Guard {
  const fixed =
    typeof options.interval === 'function' ? undefined : toMs(options.interval, 'cooldown interval');
  const groupOf = typeof options.group === 'function' ? options.group : () => options.group as string;
  const count = options.count ?? 'succeeded';
  if (count !== 'succeeded' && count !== 'all') {
    throw invalidOption(`cooldown count must be 'succeeded' or 'all', got ${String(count)}`);
  }
  const store = storeOf(options, 'cooldown', 'RateStore');
  const code = errorCodeOf(options, 'cooldown', ['group']);
  const decide = compileFailure(options, store);
  // An async limit is a lookup of the application's: its failures are not the store's outage.
  const lookup = compileFailure(options, 'lookup');
  const fixedInput = fixed === undefined ? undefined : { interval: fixed, tolerance: fixed, cost: 1 };

  function run(context: GuardContext, key: string, group: string, input: RateInput) {
    const storeKey = `cooldown:${group.length}:${group}:${key}`;
    const started = Date.now();
    const conclude = (decision: RateDecision | typeof admitted) => {
      if (decision === admitted) return undefined;
      // The denial is returned, as `rateLimit`'s is: a result, not a throw.
      if (!decision.allowed) {
        return roleError('cooldown', {
          details: { group },
          headers: { 'retry-after': String(seconds(decision.retryAfterMs)) },
          code,
        });
      }
      if (count === 'succeeded') {
        refundOnFailure(context, () => {
          // A cooldown already over needs nothing back; giving it back then would shorten a later one.
          if (Date.now() - started >= input.interval) return;
          const refund = { interval: input.interval, tolerance: input.tolerance, cost: -1 };
          decide.giveBack(context.request, () => store.rate(storeKey, refund));
        });
      }
      return undefined;
    };
    const decision = decide(context.request, (deadline) => store.rate(storeKey, input, deadline));
    return decision instanceof Promise ? decision.then(conclude) : conclude(decision);
  }

  const inputOf = (interval: unknown): RateInput => {
    const ms = durationOf(interval, 'cooldown interval(request)');
    return { interval: ms, tolerance: ms, cost: 1 };
  };

  return {
    kind: 'cooldown',
    check(context) {
      const key = options.key(context.request);
      const group = key === undefined ? undefined : groupOf(context.request);
      if (key === undefined || group === undefined) return undefined;
      if (fixedInput) return run(context, key, group, fixedInput);
      const interval = valueFor(options.interval, context.request);
      if (interval instanceof Promise) {
        return lookup
          .settle(interval, context.request)
          .then((ms) => (ms === admitted ? undefined : run(context, key, group, inputOf(ms))));
      }
      return run(context, key, group, inputOf(interval));
    },
  };
}
