/** What a rate-limit policy sends its store, and how a fixed window's answer reads as a rate decision. */
import type {
  Awaitable,
  Deadline,
  QuotaDecision,
  RateDecision,
  RateInput,
  RateStore,
  WindowInput,
  WindowStore,
} from '../stores/types.js';

/** The store step of one decision: GCRA's or a fixed window's. */
export type PolicyInput = RateInput | WindowInput;

/** What a policy's limit and period make of one decision: its store steps and its `RateLimit-Policy` item. */
export interface Shape {
  readonly limit: number;
  /** The period in whole seconds, as `w=` shows it. */
  readonly window: number;
  readonly input: PolicyInput;
  readonly refund: PolicyInput;
  /** A refund of everything the key has spent: what `reset(key)` sends. */
  readonly clear: PolicyInput;
  readonly policyField: string;
}

/** A fixed window's decision, with the end of its window on this process's clock. */
interface WindowRateDecision extends RateDecision {
  readonly until: number;
}

/**
 * Whether an admission's units may still be given back: always under GCRA; under a fixed window, until
 * the window it spent in ends, so that a late refund never gives a unit of one window to the next.
 */
export function refundable(decision: RateDecision): boolean {
  const { until } = decision as Partial<WindowRateDecision>;
  return until === undefined || Date.now() < until;
}

function fromWindow(limit: number, decision: QuotaDecision): WindowRateDecision {
  const { allowed, used, reset } = decision;
  return {
    allowed,
    remaining: Math.max(0, limit - used),
    retryAfterMs: allowed ? 0 : reset,
    reset,
    until: Date.now() + reset,
  };
}

/** The store steps and `RateLimit-Policy` item of `limit` per `period` (ms), under GCRA or a fixed window. */
export function shapeFor(
  label: string,
  limit: number,
  period: number,
  burst: number | undefined,
  cost: number,
  windowed: boolean,
): Shape {
  const window = Math.max(1, Math.ceil(period / 1000));
  const policyField = `${label};q=${limit};w=${window}`;
  if (windowed) {
    return {
      limit,
      window,
      input: { limit, period, cost },
      refund: { limit, period, cost: -cost },
      clear: { limit, period, cost: -limit },
      policyField,
    };
  }
  const interval = period / limit;
  const tolerance = interval * (burst ?? limit);
  return {
    limit,
    window,
    input: { interval, tolerance, cost },
    refund: { interval, tolerance, cost: -cost },
    // More than a full burst: the store clamps the refund at an empty state.
    clear: { interval, tolerance, cost: -(Math.ceil(tolerance / interval) + 1) },
    policyField,
  };
}

/** The shape of one request of weight `cost` (a cost given per request). */
export function weigh(shape: Shape, cost: number): Shape {
  return { ...shape, input: { ...shape.input, cost }, refund: { ...shape.input, cost: -cost } };
}

/** One decision under the caller's key (unprefixed). */
export type PolicyRate = (key: string, input: PolicyInput, deadline?: Deadline) => Awaitable<RateDecision>;

/** A policy's decisions under the caller's key, in the policy's namespace `prefix` on the store. */
export function decisionsOf(
  store: Partial<RateStore & WindowStore>,
  prefix: string,
  windowed: boolean,
): PolicyRate {
  if (windowed) {
    return (key, input, deadline) => {
      const { limit } = input as WindowInput;
      const decision = store.window!(prefix + key, input as WindowInput, deadline);
      return decision instanceof Promise
        ? decision.then((settled) => fromWindow(limit, settled))
        : fromWindow(limit, decision);
    };
  }
  // A synchronous store may offer decisions in the policy's own namespace: no prefixed key per decision.
  if (store.synchronous === true && typeof store.rateIn === 'function') {
    return store.rateIn(prefix) as PolicyRate;
  }
  return (key, input, deadline) => store.rate!(prefix + key, input as RateInput, deadline);
}
