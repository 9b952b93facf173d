import type { Deadline } from '../types.js';

/**
 * Where this process's clock stands against Redis's, so that a script can check a caller's deadline on
 * the Redis clock. Every reply carries the Redis time it ran at; since it ran after the command was sent,
 * `redisTime + 1 - sentAt` bounds the offset from above, and the smallest bound seen is kept. A deadline
 * sent to Redis is thus never earlier than the caller's own: a skewed clock never refuses a decision
 * that arrived in time, it only lets one arrive a round trip late, which the store then undoes.
 */
export class RedisClock {
  // Until a reply is seen, the clocks are taken to agree; a refusal that came back in time corrects it.
  #offset = 0;

  /** The deadline as the script's argument, on the Redis clock; `0` for none. */
  arg(deadline: Deadline | undefined): string {
    return deadline === undefined ? '0' : String(Math.ceil(deadline.at + this.#offset));
  }

  /** Narrows the offset with one reply's Redis time (ms) and the local time its command was sent. */
  sample(sentAt: number, redisTime: number): void {
    const bound = redisTime + 1 - sentAt;
    if (Number.isFinite(bound) && bound < this.#offset) this.#offset = bound;
  }

  /**
   * Takes one reply's bound whatever it is: a script refused a decision as late although its reply came
   * back before the deadline, so the Redis clock moved ahead of the kept offset.
   */
  reset(sentAt: number, redisTime: number): void {
    const bound = redisTime + 1 - sentAt;
    if (Number.isFinite(bound)) this.#offset = bound;
  }
}
