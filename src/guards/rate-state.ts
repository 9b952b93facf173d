import { invalidOption } from '../catalog/config-error.js';
import type { RateStore } from '../stores/types.js';
import { admitted, within } from './failure.js';
import { banKeys, banResets, type RateBan } from './rate-ban.js';
import type { Compiled } from './rate-policy.js';
import type { Shape } from './rate-shape.js';
import type { Guard, GuardRequest } from './types.js';

/** One policy's state for a key, read without spending anything. */
export interface RateLimitState {
  /** The policy's name. */
  readonly policy: string;
  /** Requests per period under the limit that applies. */
  readonly limit: number;
  /** Units a request could spend now. */
  readonly remaining: number;
  /**
   * Milliseconds until the whole limit is available again: GCRA's burst refilled, or a fixed window ended
   * (0 for a key with no state).
   */
  readonly reset: number;
  /** Milliseconds left of a ban (`ban` option), 0 when the key is not banned. */
  readonly banned: number;
}

/** Which policies `get` and `reset` read, and the request a limit that is a function of it needs. */
export interface RateKeyOptions {
  /** Only this policy. @default every policy */
  policy?: string;
  /** The request whose limit applies, for a policy whose `limit` or `period` is a function. */
  request?: GuardRequest;
}

/** `rateLimit`'s guard, with the state of its keys (express-rate-limit's `getKey` / `resetKey`). */
export interface RateLimitGuard extends Guard {
  /**
   * Each policy's state for `key` (the value its `key` function gives, e.g. an app id), read from the
   * store without spending or writing (an unknown key creates no state): for a support tool or an
   * account page. A store failure, or no answer within `storeTimeout`, rejects.
   * @example const [perApp] = await limit.get('app_123');
   */
  get(key: string, options?: RateKeyOptions): Promise<RateLimitState[]>;
  /**
   * Forgets `key` under each policy, and its ban: its next request has the whole burst, or starts a new
   * window (an operator lifting a limit, a test resetting state). A store failure, or no answer within
   * `storeTimeout`, rejects.
   */
  reset(key: string, options?: RateKeyOptions): Promise<void>;
}

function chosen(policies: readonly Compiled[], options: RateKeyOptions | undefined): readonly Compiled[] {
  if (options?.policy === undefined) return policies;
  const found = policies.filter((p) => p.name === options.policy);
  if (found.length === 0)
    throw invalidOption(`rateLimit has no policy named ${JSON.stringify(options.policy)}`);
  return found;
}

async function shapeOf(policy: Compiled, request: GuardRequest | undefined): Promise<Shape> {
  if (policy.fixed !== undefined) return policy.fixed;
  if (request === undefined) {
    throw invalidOption(`rateLimit policy "${policy.name}" has a limit per request: pass { request }`);
  }
  const shape = await policy.shapeOf(request);
  if (shape === admitted) throw new Error(`rateLimit policy "${policy.name}": its limit could not be read`);
  return shape;
}

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key === '') throw invalidOption('rateLimit key must be a non-empty string');
}

/** Adds `get` and `reset` to a rateLimit guard. */
export function withState(
  guard: Guard,
  policies: readonly Compiled[],
  store: RateStore,
  ban: RateBan | undefined,
  timeout: number,
): RateLimitGuard {
  const resets = ban === undefined ? undefined : banResets(ban);
  const read = { interval: 0, tolerance: 0, cost: -1 };
  return {
    ...guard,
    async get(key, options) {
      checkKey(key);
      const states: RateLimitState[] = [];
      for (const policy of chosen(policies, options)) {
        const shape = await shapeOf(policy, options?.request);
        // A decision of no units only reads (RateStore.rate): it answers what a request would find, and the
        // store writes nothing, so that reading unknown keys (a monitor, an admin endpoint) creates none.
        const now = await within(policy.rate(key, { ...shape.input, cost: 0 }), timeout);
        const left = resets
          ? (await within(store.rate(banKeys(policy.name, key).ban, read), timeout)).reset
          : 0;
        states.push({
          policy: policy.name,
          limit: shape.limit,
          remaining: now.remaining,
          reset: now.reset,
          banned: left,
        });
      }
      return states;
    },
    async reset(key, options) {
      checkKey(key);
      for (const policy of chosen(policies, options)) {
        await within(policy.rate(key, (await shapeOf(policy, options?.request)).clear), timeout);
        if (resets) {
          const keys = banKeys(policy.name, key);
          await within(store.rate(keys.ban, resets.ban), timeout);
          await within(store.rate(keys.strikes, resets.strikes), timeout);
        }
      }
    },
  };
}
