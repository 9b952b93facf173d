/** What a rate-limit policy sends its store, and how a fixed window's answer reads as a rate decision. */
import { FaultlineConfigError } from '../catalog/config-error.js';
import type {
  Awaitable,
  Deadline,
  RateDecision,
  RateInput,
  RateStore,
  WindowDecision,
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

/** A fixed window's decision, with the start of its window on the store's clock. */
interface WindowRateDecision extends RateDecision {
  readonly start: number;
}

/**
 * What gives back an admission's units: GCRA's refund, or a fixed window's refund bound to the window they
 * were spent in, so that a refund that comes late (a slow response, a slow link to the store) never gives a
 * unit of one window to the next.
 */
export function refundOf(shape: Shape, decision: RateDecision): PolicyInput {
  const { start } = decision as Partial<WindowRateDecision>;
  return start === undefined ? shape.refund : { ...(shape.refund as WindowInput), start };
}

/**
 * What a policy's admission reads as once its units are given back (another policy denied the request):
 * the units it took are left again, and GCRA's reset moves back by their time; a window's reset stays.
 */
export function afterRefund(shape: Shape, decision: RateDecision): { remaining: number; reset: number } {
  const { cost } = shape.input;
  const remaining = Math.min(shape.limit, decision.remaining + cost);
  if ((decision as Partial<WindowRateDecision>).start !== undefined)
    return { remaining, reset: decision.reset };
  const reset = Math.max(0, decision.reset - (shape.input as RateInput).interval * cost);
  return { remaining, reset };
}

function fromWindow(limit: number, decision: WindowDecision): WindowRateDecision {
  const { allowed, used, reset, start } = decision;
  // A denial shows no units left, as GCRA's does, though a smaller request might still fit.
  const remaining = allowed ? Math.max(0, limit - used) : 0;
  return { allowed, remaining, retryAfterMs: allowed ? 0 : reset, reset, start };
}

const maxWindow = 2 ** 40;

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
    // Whole milliseconds, as a store keeps a window's end; a window of more than about 34 years is a mistake.
    const span = Math.ceil(period);
    if (span > maxWindow) {
      throw new FaultlineConfigError(
        'FAULTLINE_INVALID_OPTION',
        `a fixed-window period must be at most ${maxWindow} ms, got ${period}`,
      );
    }
    return {
      limit,
      window,
      input: { limit, period: span, cost },
      refund: { limit, period: span, cost: -cost },
      // Whatever the limit it was spent under: the store clamps the count at 0, which ends the window.
      clear: { limit, period: span, cost: -Number.MAX_SAFE_INTEGER },
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
    // A synchronous store may keep each policy's windows apart, as `rateIn` keeps its GCRA state.
    const spaced =
      store.synchronous === true && typeof store.windowIn === 'function' ? store.windowIn(prefix) : undefined;
    return (key, input, deadline) => {
      const { limit } = input as WindowInput;
      const decision = spaced
        ? spaced(key, input as WindowInput)
        : store.window!(prefix + key, input as WindowInput, deadline);
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
