import type { ApiError } from '../catalog/api-error.js';
import { type MemoryStore, spacedRate } from '../stores/memory.js';
import type { Awaitable, Deadline, RateDecision, RateInput, Store } from '../stores/types.js';
import { toCount, toMs } from './duration.js';
import { admitted, compileFailure, storeOf } from './failure.js';
import { addHeader, denialOf, raise, seconds, sfString } from './raise.js';
import type { Duration, Guard, GuardContext, GuardRequest, KeyOf, StoreOptions } from './types.js';

/** One rate-limit policy: `limit` requests per `period` for each key, with bursts up to `burst`. */
export interface RatePolicy {
  /**
   * The policy's name in `RateLimit-Policy` and `RateLimit`, and in the error's details.
   * @default `${limit}-per-${period in seconds}s`
   */
  name?: string;
  /** The key the policy counts under (an app id, an IP); `undefined` skips the policy. */
  key: KeyOf;
  /** Requests per period. */
  limit: number;
  /** The period: ms or `'1m'`-style. */
  period: Duration;
  /**
   * How many requests may arrive at once after a quiet spell.
   * @default limit
   */
  burst?: number;
}

/** Options of `rateLimit`: one policy, or several that each request must pass. */
export interface RateLimitOptions extends StoreOptions {
  /** The policies; a request is admitted only when every policy admits it. */
  policies: readonly RatePolicy[];
  /**
   * Whether admitted responses carry `RateLimit-Policy` and `RateLimit` (denials always do).
   * @default true
   */
  headers?: boolean;
}

interface Compiled {
  name: string;
  key: KeyOf;
  prefix: string;
  label: string;
  input: RateInput;
  refund: RateInput;
  policyField: string;
  /** One decision under the caller's key (unprefixed): the memory store's namespace, or the prefixed key. */
  rate: (key: string, input: RateInput, deadline?: Deadline) => Awaitable<RateDecision>;
  /** The denial of this policy alone, prebuilt. */
  deny: (headers: Record<string, string>) => ApiError;
}

function compile(policy: RatePolicy, index: number, names: Set<string>, store: Store): Compiled {
  const limit = toCount(policy.limit, `rateLimit policy ${index} limit`);
  const period = toMs(policy.period, `rateLimit policy ${index} period`);
  const burst = toCount(policy.burst ?? limit, `rateLimit policy ${index} burst`);
  const window = Math.max(1, Math.ceil(period / 1000));
  const name = policy.name ?? `${limit}-per-${window}s`;
  if (names.has(name)) throw new TypeError(`rateLimit: two policies are named "${name}"`);
  names.add(name);
  const interval = period / limit;
  const label = sfString(name);
  const prefix = `${name}:`;
  const spaced = store.kind === 'memory' ? (store as Partial<MemoryStore>)[spacedRate] : undefined;
  return {
    name,
    key: policy.key,
    prefix,
    rate: spaced
      ? spaced.call(store, prefix)
      : (key: string, input: RateInput, deadline?: Deadline) => store.rate(prefix + key, input, deadline),
    label,
    input: { interval, tolerance: interval * burst, cost: 1 },
    refund: { interval, tolerance: interval * burst, cost: -1 },
    policyField: `${label};q=${limit};w=${window}`,
    deny: denialOf('rateLimited', Object.freeze({ policies: Object.freeze([name]) })),
  };
}

/** A policy whose store failed under a closed failure policy: its error answers, after the refunds. */
class Refused {
  constructor(readonly error: unknown) {}
}

/**
 * Limits the rate of requests per key with GCRA (exact, smooth, one timestamp per key), under one or
 * several policies; a denial answers the catalog's `RATE_LIMITED` (429) with `Retry-After` and the IETF
 * `RateLimit-Policy` / `RateLimit` fields, which admitted responses carry too.
 * @example
 * const limit = rateLimit({
 *   policies: [
 *     { name: 'per-app', key: byHeader('x-app-id'), limit: 600, period: '1m' },
 *     { name: 'per-ip', key: byIp, limit: 100, period: '1m', burst: 20 },
 *   ],
 * });
 */
export function rateLimit(
  options: RateLimitOptions | (RatePolicy & Omit<RateLimitOptions, 'policies'>),
): Guard {
  const list = 'policies' in options ? options.policies : [options as RatePolicy];
  if (list.length === 0) throw new TypeError('rateLimit needs at least one policy');
  const names = new Set<string>();
  const store = storeOf(options);
  const policies = list.map((policy, index) => compile(policy, index, names, store));
  const decide = compileFailure(options, store);
  const headers = options.headers ?? true;

  function conclude(
    context: GuardContext,
    used: Compiled[],
    keys: string[],
    decisions: (RateDecision | typeof admitted | Refused)[],
  ): undefined {
    let denied = false;
    let refused: Refused | undefined;
    for (const decision of decisions) {
      if (decision instanceof Refused) refused ??= decision;
      else if (decision !== admitted && !decision.allowed) denied = true;
    }
    if (refused) {
      // A request answered by the failure policy spends nothing: give back what the other policies took.
      for (let i = 0; i < used.length; i++) {
        const decision = decisions[i]!;
        if (decision !== admitted && !(decision instanceof Refused) && decision.allowed)
          refund(context.request, used[i]!, keys[i]!);
      }
      throw refused.error;
    }
    let policyField = '';
    let rateField = '';
    let wait = 0;
    const violated: string[] = [];
    for (let i = 0; i < used.length; i++) {
      const decision = decisions[i] as RateDecision | typeof admitted;
      if (decision === admitted) continue;
      const policy = used[i]!;
      const t = seconds(decision.allowed ? decision.reset : decision.retryAfter);
      policyField += policyField === '' ? policy.policyField : `, ${policy.policyField}`;
      const item = `${policy.label};r=${decision.remaining};t=${t}`;
      rateField += rateField === '' ? item : `, ${item}`;
      if (!decision.allowed) {
        violated.push(policy.name);
        wait = Math.max(wait, decision.retryAfter);
      } else if (denied) {
        // Another policy denied: give this one's unit back, so a denial costs nothing.
        refund(context.request, policy, keys[i]!);
      }
    }
    if (denied) {
      throw raise(
        'rateLimited',
        { policies: violated },
        {
          'retry-after': String(seconds(wait)),
          'ratelimit-policy': policyField,
          ratelimit: rateField,
        },
      );
    }
    if (headers && policyField !== '') {
      addHeader(context.headers, 'ratelimit-policy', policyField);
      addHeader(context.headers, 'ratelimit', rateField);
    }
    return undefined;
  }

  function refund(request: GuardRequest, policy: Compiled, key: string): void {
    try {
      // No deadline: a refund that runs late still gives the unit back.
      const result = decide(request, () => policy.rate(key, policy.refund));
      if (result instanceof Promise) result.catch(() => undefined);
    } catch {
      // A failed refund only costs the caller one unit.
    }
  }

  // One policy (the common case): no arrays, no closures per request.
  function concludeOne(
    context: GuardContext,
    policy: Compiled,
    decision: RateDecision | typeof admitted,
  ): undefined {
    if (decision === admitted) return undefined;
    if (!decision.allowed) {
      const wait = seconds(decision.retryAfter);
      throw policy.deny({
        'retry-after': String(wait),
        'ratelimit-policy': policy.policyField,
        ratelimit: `${policy.label};r=0;t=${wait}`,
      });
    }
    if (headers) {
      addHeader(context.headers, 'ratelimit-policy', policy.policyField);
      addHeader(
        context.headers,
        'ratelimit',
        `${policy.label};r=${decision.remaining};t=${seconds(decision.reset)}`,
      );
    }
    return undefined;
  }

  function checkOne(context: GuardContext, policy: Compiled) {
    const key = policy.key(context.request);
    if (key === undefined) return undefined;
    const deadline = decide.deadline();
    let decision: RateDecision | typeof admitted | Promise<RateDecision>;
    try {
      decision = policy.rate(key, policy.input, deadline);
    } catch (error) {
      decision = decide.fail(error, context.request);
    }
    if (decision instanceof Promise) {
      return decide
        .settle(decision, context.request, deadline)
        .then((settled) => concludeOne(context, policy, settled));
    }
    if (decision !== admitted) decide.answered();
    return concludeOne(context, policy, decision);
  }

  const single = policies.length === 1 ? policies[0] : undefined;
  const toRefused = (error: unknown) => new Refused(error);

  return {
    kind: 'rateLimit',
    check(context) {
      if (single) return checkOne(context, single);
      const used: Compiled[] = [];
      const keys: string[] = [];
      const decisions: (
        | RateDecision
        | typeof admitted
        | Refused
        | Promise<RateDecision | typeof admitted | Refused>
      )[] = [];
      let async = false;
      for (const policy of policies) {
        const key = policy.key(context.request);
        if (key === undefined) continue;
        let decision:
          | RateDecision
          | typeof admitted
          | Refused
          | Promise<RateDecision | typeof admitted | Refused>;
        try {
          const pending = decide(context.request, (deadline) => policy.rate(key, policy.input, deadline));
          decision = pending instanceof Promise ? pending.catch(toRefused) : pending;
        } catch (error) {
          decision = new Refused(error);
        }
        if (decision instanceof Promise) async = true;
        used.push(policy);
        keys.push(key);
        decisions.push(decision);
      }
      if (!async)
        return conclude(context, used, keys, decisions as (RateDecision | typeof admitted | Refused)[]);
      return Promise.all(decisions).then((settled) => conclude(context, used, keys, settled));
    },
  };
}
