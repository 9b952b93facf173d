/** Options of the retry budget a client shares across its requests. */
export interface RetryBudgetOptions {
  /**
   * Tokens in a full bucket.
   * @default 500
   */
  capacity?: number;
  /**
   * Tokens a retry costs.
   * @default 5
   */
  retryCost?: number;
  /**
   * Tokens a retry after a timeout or a network error costs.
   * @default 10
   */
  timeoutCost?: number;
  /**
   * Tokens a request that succeeds at its first attempt puts back.
   * @default 1
   */
  successReward?: number;
}

/**
 * A token bucket shared by every request of a client, as the AWS SDKs' retry quota: retries spend tokens,
 * successes earn them back, and an empty bucket stops retries, so an outage does not multiply the load.
 */
export class RetryBudget {
  readonly capacity: number;
  private tokens: number;
  private readonly retryCost: number;
  private readonly timeoutCost: number;
  private readonly successReward: number;

  constructor(options: RetryBudgetOptions = {}) {
    this.capacity = options.capacity ?? 500;
    this.tokens = this.capacity;
    this.retryCost = options.retryCost ?? 5;
    this.timeoutCost = options.timeoutCost ?? 10;
    this.successReward = options.successReward ?? 1;
  }

  /** The tokens left. */
  get available(): number {
    return this.tokens;
  }

  /** Takes the cost of one retry; false (and nothing taken) when the bucket cannot pay it. */
  acquire(kind: 'error' | 'timeout'): number | false {
    const cost = kind === 'timeout' ? this.timeoutCost : this.retryCost;
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return cost;
  }

  /** Returns tokens after a success: what its retries cost, or the reward of a first-attempt success. */
  release(spent: number): void {
    this.tokens = Math.min(this.capacity, this.tokens + (spent > 0 ? spent : this.successReward));
  }
}
