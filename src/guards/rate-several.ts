import { type RoleError, roleError } from '../catalog/role-error.js';
import type { RateDecision } from '../stores/types.js';
import { admitted, type Decide } from './failure.js';
import { addRateFields, seconds } from './raise.js';
import { notify, type RateDenial, refundUnless, setTrio, trioOf } from './rate-options.js';
import type { Compiled } from './rate-policy.js';
import { afterRefund, refundOf, type Shape, weigh } from './rate-shape.js';
import type { GuardContext, GuardRequest } from './types.js';

/** What the check of several policies shares with the guard. */
export interface Several {
  readonly policies: readonly Compiled[];
  readonly decide: Decide;
  /** Whether admitted responses carry the draft's `RateLimit` fields. */
  readonly headers: boolean;
  readonly trio: 'draft-6' | 'legacy' | undefined;
  readonly costFn: ((request: GuardRequest) => number) | undefined;
  readonly onDenied: ((request: GuardRequest, denial: RateDenial) => unknown) | undefined;
  /** Which admitted requests keep their spend; undefined for all. */
  readonly counting: 'succeeded' | 'failed' | undefined;
  /** The catalog code a denial answers instead of the role's (`error`). */
  readonly code: string | undefined;
}

/** A policy whose store failed under a closed failure policy: its error answers, after the refunds. */
class Refused {
  constructor(readonly error: unknown) {}
}

/**
 * The check of `rateLimit` under several policies: every key and limit first, then one decision per
 * policy; a denial by one gives back what the others took.
 */
export function checkSeveral({ policies, decide, headers, trio, costFn, onDenied, counting, code }: Several) {
  function conclude(
    context: GuardContext,
    used: Compiled[],
    keys: string[],
    shapes: Shape[] | undefined,
    decisions: (RateDecision | typeof admitted | Refused)[],
  ): RoleError | undefined {
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
          refund(context.request, used[i]!, keys[i]!, shapes?.[i] ?? used[i]!.fixed!, decision);
      }
      throw refused.error;
    }
    let policyField = '';
    let rateField = '';
    let wait = 0;
    const violated: string[] = [];
    // The policy a trio shows: the one whose wait answers a denial, else the one with the fewest units left.
    let shown = -1;
    let shownRemaining = Number.POSITIVE_INFINITY;
    let shownT = 0;
    for (let i = 0; i < used.length; i++) {
      const decision = decisions[i] as RateDecision | typeof admitted;
      if (decision === admitted) continue;
      const policy = used[i]!;
      const shape = shapes?.[i] ?? policy.fixed!;
      // On a denial, an admitting policy's units are given back below: it shows what it holds after that.
      const shownAs = denied && decision.allowed ? afterRefund(shape, decision) : decision;
      const t = seconds(decision.allowed ? shownAs.reset : decision.retryAfterMs);
      policyField += policyField === '' ? shape.policyField : `, ${shape.policyField}`;
      const item = `${policy.label};r=${shownAs.remaining};t=${t}`;
      rateField += rateField === '' ? item : `, ${item}`;
      if (
        (denied
          ? !decision.allowed && (shown < 0 || decision.retryAfterMs > wait)
          : decision.remaining < shownRemaining) ||
        (!denied && decision.remaining === shownRemaining && t > shownT)
      ) {
        shown = i;
        shownRemaining = decision.remaining;
        shownT = t;
      }
      if (!decision.allowed) {
        violated.push(policy.name);
        wait = Math.max(wait, decision.retryAfterMs);
      } else if (denied) {
        // Another policy denied: give this one's unit back, at the limit it was taken under.
        refund(context.request, policy, keys[i]!, shape, decision);
      }
    }
    const shownShape = shown < 0 ? undefined : (shapes?.[shown] ?? used[shown]!.fixed!);
    if (denied) {
      const retryAfter = seconds(wait);
      const fields: Record<string, string> = { 'retry-after': String(retryAfter) };
      if (trio) trioOf(trio, shownShape!.limit, shownShape!.window, 0, retryAfter, fields);
      else {
        fields['ratelimit-policy'] = policyField;
        fields.ratelimit = rateField;
      }
      notify(onDenied, context.request, {
        policy: used[shown]!.name,
        policies: violated,
        key: keys[shown]!,
        retryAfter,
      });
      return roleError('rateLimited', { details: { policies: violated }, headers: fields, code });
    }
    if (counting !== undefined) {
      refundUnless(context, counting, () => {
        for (let i = 0; i < used.length; i++) {
          const decision = decisions[i]!;
          if (decision !== admitted && !(decision instanceof Refused))
            refund(context.request, used[i]!, keys[i]!, shapes?.[i] ?? used[i]!.fixed!, decision);
        }
      });
    }
    if (headers && policyField !== '') {
      addRateFields(context.headers, policyField, rateField);
    } else if (trio && shownShape !== undefined) {
      setTrio(context.headers, trioOf(trio, shownShape.limit, shownShape.window, shownRemaining, shownT));
    }
    return undefined;
  }

  function refund(
    request: GuardRequest,
    policy: Compiled,
    key: string,
    shape: Shape,
    decision: RateDecision,
  ): void {
    // No deadline: a refund that runs late still gives the unit back (to the window it was spent in).
    const input = refundOf(shape, decision);
    decide.giveBack(request, () => policy.rate(key, input));
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

  // A cost given per request weighs each policy's shape: the general path.
  const allFixed = costFn === undefined && policies.every((policy) => policy.fixed !== undefined);

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
    // Every key, limit and cost first: one that fails to resolve answers before any policy spends.
    const weight = costFn?.(context.request);
    const used: Compiled[] = [];
    const keys: string[] = [];
    const shapes: (Shape | Promise<Shape | typeof admitted>)[] = [];
    let pending = false;
    for (const policy of policies) {
      const key = policy.key(context.request);
      if (key === undefined) continue;
      let shape = policy.fixed ?? policy.shapeOf(context.request);
      if (shape instanceof Promise) pending = true;
      if (weight !== undefined) {
        shape =
          shape instanceof Promise
            ? shape.then((s) => (s === admitted ? s : weigh(s, weight)))
            : weigh(shape, weight);
      }
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

  return checkAll;
}
