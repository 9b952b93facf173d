import { FaultlineConfigError } from '../catalog/config-error.js';

/**
 * The budget of error events a connection may be sent in answer to its messages: a token bucket per
 * connection, so that what a client gets back is bounded by time, never by how much it sends.
 */
export interface ErrorEventOptions {
  /**
   * Error events refilled per second.
   * @default 10
   */
  rate?: number;
  /**
   * Error events that may go out at once: a client's burst of mistakes is answered in full up to it.
   * @default 20
   */
  burst?: number;
  /**
   * Close the connection with 1008 (policy violation) once this many refused messages have gone
   * unanswered since the budget was last whole; `Infinity` never closes. Failures of the server (5xx)
   * spend the budget but never count here: they are not the client's fault.
   * @default 100
   */
  closeAfter?: number;
}

/** The budget compiled once per endpoint. */
export interface ErrorBudgetSettings {
  /** Tokens per millisecond. */
  readonly perMs: number;
  readonly burst: number;
  readonly closeAfter: number;
}

function invalid(name: string, value: unknown, expected: string): never {
  throw new FaultlineConfigError(
    'FAULTLINE_INVALID_OPTION',
    `limits.errorEvents.${name} is ${String(value)}: ${expected}`,
  );
}

/**
 * The settings of `limits.errorEvents`: the defaults when the option is unset, none when it is `'off'`.
 * Under a message rate with the option unset, it holds for what the rate does not bound (`budgetHolds`).
 */
export function compileErrorBudget(
  options: ErrorEventOptions | 'off' | undefined,
): ErrorBudgetSettings | undefined {
  if (options === 'off') return undefined;
  const { rate = 10, burst = 20, closeAfter = 100 } = options ?? {};
  if (!(typeof rate === 'number' && rate > 0 && Number.isFinite(rate))) {
    invalid('rate', rate, 'a finite number of events per second above 0');
  }
  if (!(Number.isInteger(burst) && burst >= 1)) invalid('burst', burst, 'a whole number from 1');
  if (!(closeAfter === Number.POSITIVE_INFINITY || (Number.isInteger(closeAfter) && closeAfter >= 1))) {
    invalid('closeAfter', closeAfter, 'a whole number from 1, or Infinity');
  }
  return { perMs: rate / 1000, burst, closeAfter };
}

/** One connection's bucket: no timer, refilled from the monotonic clock when an event is asked for. */
export class ErrorBudget {
  private tokens: number;
  private last = performance.now();
  /** Refused messages left unanswered since the bucket was last whole. */
  private unanswered = 0;

  constructor(private readonly settings: ErrorBudgetSettings) {
    this.tokens = settings.burst;
  }

  /** True when one more event may go out now; false when it is to be dropped. */
  take(): boolean {
    const { perMs, burst } = this.settings;
    const now = performance.now();
    this.tokens = Math.min(burst, this.tokens + (now - this.last) * perMs);
    this.last = now;
    // A client that stayed within its budget long enough to refill it has stopped: its count starts over.
    if (this.tokens >= burst) this.unanswered = 0;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Counts one refused message left unanswered; true once the count reaches `closeAfter`. */
  exhausted(): boolean {
    return ++this.unanswered >= this.settings.closeAfter;
  }
}

/**
 * Whether the error-event budget holds for the message `event` answers: for every message, or, when the
 * endpoint has a rate, only for messages of the types the rate never counts (`exempt`).
 */
export function budgetHolds(
  state: {
    readonly budgetExemptOnly: boolean;
    readonly exempt: ReadonlySet<string>;
    readonly typeField: string;
  },
  event: unknown,
  status: number,
): boolean {
  // A server failure's event is budgeted whatever the rate: the rate admits every message while its own
  // store fails (it fails open), and a handler's store that fails answers each one.
  if (!state.budgetExemptOnly || status >= 500) return true;
  const type = (event as Record<string, unknown> | undefined)?.[state.typeField];
  return typeof type === 'string' && state.exempt.has(type);
}
