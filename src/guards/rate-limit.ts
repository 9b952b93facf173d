import type { RateDecision, RateStore } from '../stores/types.js';
import { admitted, compileFailure, storeOf } from './failure.js';
import { quietly } from './per-request.js';
import { addHeader, raise, seconds } from './raise.js';
import { type Compiled, compile, type RatePolicy, type Shape } from './rate-policy.js';
import type { Guard, GuardContext, GuardRequest, StoreOptions } from './types.js';

export type { RatePolicy } from './rate-policy.js';

/** Options of `rateLimit`: one policy, or several that each request must pass. */
export interface RateLimitOptions extends StoreOptions<RateStore> {
  /** The policies; a request is admitted only when every policy admits it. */
  policies: readonly RatePolicy[];
  /**
   * Whether admitted responses carry `RateLimit-Policy` and `RateLimit` (denials always do).
   * @default true
   */
  headers?: boolean;
}

/** A policy whose store failed under a closed failure policy: its error answers, after the refunds. */
class Refused {
  constructor(readonly error: unknown) {}
}

/**
 * Limits the rate of requests per key with GCRA (exact, smooth, one timestamp per key), under one or
 * several policies; a denial answers the catalog's `RATE_LIMITED` (429) with `Retry-After` and the IETF
 * `RateLimit-Policy` / `RateLimit` fields, which admitted responses carry too, showing the limit that
 * applied. A policy's `limit` and `period` may be functions of the request (a tenant's own limit).
 * It spends at admission: an admitted request counts whatever its response (as express-rate-limit by
 * default); a denied one, or one another policy denies, costs nothing.
 * @example
 * const limit = rateLimit({
 *   policies: [
 *     { name: 'per-app', key: byHeader('x-app-id'), limit: (r) => planOf(r).perMinute, period: '1m' },
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
  const store = storeOf(options, 'rateLimit', 'RateStore');
  const decide = compileFailure(options, store);
  // An async limit is a lookup of the application's: its failures are not the store's outage.
  const lookup = compileFailure(options, undefined);
  const policies = list.map((policy, index) => compile(policy, index, names, store, lookup));
  const headers = options.headers ?? true;

  function conclude(
    context: GuardContext,
    used: Compiled[],
    keys: string[],
    shapes: Shape[] | undefined,
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
          refund(context.request, used[i]!, keys[i]!, shapes?.[i] ?? used[i]!.fixed!);
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
      const shape = shapes?.[i] ?? policy.fixed!;
      const t = seconds(decision.allowed ? decision.reset : decision.retryAfter);
      policyField += policyField === '' ? shape.policyField : `, ${shape.policyField}`;
      const item = `${policy.label};r=${decision.remaining};t=${t}`;
      rateField += rateField === '' ? item : `, ${item}`;
      if (!decision.allowed) {
        violated.push(policy.name);
        wait = Math.max(wait, decision.retryAfter);
      } else if (denied) {
        // Another policy denied: give this one's unit back, at the limit it was taken under.
        refund(context.request, policy, keys[i]!, shape);
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

  function refund(request: GuardRequest, policy: Compiled, key: string, shape: Shape): void {
    // No deadline: a refund that runs late still gives the unit back.
    quietly(() => decide(request, () => policy.rate(key, shape.refund)));
  }

  // One policy (the common case): no arrays, no closures per request.
  function concludeOne(
    context: GuardContext,
    policy: Compiled,
    shape: Shape,
    decision: RateDecision | typeof admitted,
  ): undefined {
    if (decision === admitted) return undefined;
    if (!decision.allowed) {
      const wait = seconds(decision.retryAfter);
      throw policy.deny({
        'retry-after': String(wait),
        'ratelimit-policy': shape.policyField,
        ratelimit: `${policy.label};r=0;t=${wait}`,
      });
    }
    if (headers) {
      addHeader(context.headers, 'ratelimit-policy', shape.policyField);
      addHeader(
        context.headers,
        'ratelimit',
        `${policy.label};r=${decision.remaining};t=${seconds(decision.reset)}`,
      );
    }
    return undefined;
  }

  function decideOne(context: GuardContext, policy: Compiled, key: string, shape: Shape) {
    const deadline = decide.deadline();
    let decision: RateDecision | typeof admitted | Promise<RateDecision>;
    try {
      decision = policy.rate(key, shape.input, deadline);
    } catch (error) {
      decision = decide.fail(error, context.request);
    }
    if (decision instanceof Promise) {
      return decide
        .settle(decision, context.request, deadline)
        .then((settled) => concludeOne(context, policy, shape, settled));
    }
    if (decision !== admitted) decide.answered();
    return concludeOne(context, policy, shape, decision);
  }

  function checkOne(context: GuardContext, policy: Compiled) {
    const key = policy.key(context.request);
    if (key === undefined) return undefined;
    const fixed = policy.fixed;
    if (fixed !== undefined) return decideOne(context, policy, key, fixed);
    const shape = policy.shapeOf(context.request);
    if (shape instanceof Promise) {
      return shape.then((settled) =>
        settled === admitted ? undefined : decideOne(context, policy, key, settled),
      );
    }
    return decideOne(context, policy, key, shape);
  }

  const toRefused = (error: unknown) => new Refused(error);

  // `shapes` is undefined when every policy has a fixed limit: each uses its own.
  function decideAll(context: GuardContext, used: Compiled[], keys: string[], shapes: Shape[] | undefined) {
    const decisions: (
      | RateDecision
      | typeof admitted
      | Refused
      | Promise<RateDecision | typeof admitted | Refused>
    )[] = [];
    let async = false;
    for (let i = 0; i < used.length; i++) {
      const policy = used[i]!;
      const key = keys[i]!;
      const input = (shapes?.[i] ?? policy.fixed!).input;
      let decision: (typeof decisions)[number];
      try {
        const pending = decide(context.request, (deadline) => policy.rate(key, input, deadline));
        decision = pending instanceof Promise ? pending.catch(toRefused) : pending;
      } catch (error) {
        decision = new Refused(error);
      }
      if (decision instanceof Promise) async = true;
      decisions.push(decision);
    }
    if (!async)
      return conclude(context, used, keys, shapes, decisions as (RateDecision | typeof admitted | Refused)[]);
    return Promise.all(decisions).then((settled) => conclude(context, used, keys, shapes, settled));
  }

  const single = policies.length === 1 ? policies[0] : undefined;
  const allFixed = policies.every((policy) => policy.fixed !== undefined);

  // Several policies, apart from check(): a small check stays cheap to inline for the single policy.
  function checkAll(context: GuardContext) {
    if (allFixed) {
      const used: Compiled[] = [];
      const keys: string[] = [];
      for (const policy of policies) {
        const key = policy.key(context.request);
        if (key === undefined) continue;
        used.push(policy);
        keys.push(key);
      }
      return decideAll(context, used, keys, undefined);
    }
    // Every key and limit first: a limit that fails to resolve answers before any policy spends.
    const used: Compiled[] = [];
    const keys: string[] = [];
    const shapes: (Shape | Promise<Shape | typeof admitted>)[] = [];
    let pending = false;
    for (const policy of policies) {
      const key = policy.key(context.request);
      if (key === undefined) continue;
      const shape = policy.fixed ?? policy.shapeOf(context.request);
      if (shape instanceof Promise) pending = true;
      used.push(policy);
      keys.push(key);
      shapes.push(shape);
    }
    if (!pending) return decideAll(context, used, keys, shapes as Shape[]);
    return Promise.all(shapes).then((settled) => {
      // A policy whose limit lookup failed open is skipped, as one whose key is undefined.
      if (!settled.includes(admitted)) return decideAll(context, used, keys, settled as Shape[]);
      const kept = settled.flatMap((shape, i) => (shape === admitted ? [] : [i]));
      return decideAll(
        context,
        kept.map((i) => used[i]!),
        kept.map((i) => keys[i]!),
        kept.map((i) => settled[i] as Shape),
      );
    });
  }

  return {
    kind: 'rateLimit',
    check(context) {
      if (single) return checkOne(context, single);
      return checkAll(context);
    },
  };
}
