/**
 * Password hashes of the seeds (002, 004): scrypt with r=8 and p=1, kept as a PHC string that records its own
 * parameters (`$scrypt$ln=17,r=8,p=1$<salt>$<key>`), so that a hash made under another cost still verifies
 * once the setting changes, and is made again at the current cost on its next sign-in. The work runs off the
 * event loop, in node's thread pool (4 threads by default), which file, DNS and other crypto work share: so
 * that a burst of sign-ins cannot take the pool (nor 128 MiB a hash of memory), a few hashes run at once,
 * a few more wait for them, and past that a hash is refused with the seed's own error (its page's 429 with
 * `Retry-After`).
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { count, type Env } from './env.js';

/** log2 of scrypt's N by default: N=2^17, r=8, p=1 is OWASP's recommendation for scrypt (128 MiB a hash). */
export const defaultHashCost = 17;
/** The costs a setting may choose: below 2^10 a hash is no work; past 2^20 one takes 1 GiB. */
export const hashCosts = { min: 10, max: 20 } as const;
const blockSize = 8;
const parallelism = 1;
const keyLength = 32;
/**
 * Hashes at once and hashes waiting for them, by default: two of the thread pool's four threads, so that two
 * stay free for everything else, and a queue of about four hashes' time at the default cost.
 */
export const defaultHashSlots = { running: 2, waiting: 8 } as const;
const phc = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

interface Parameters {
  ln: number;
  r: number;
  p: number;
}

const base64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

function derive(password: string, salt: Buffer, { ln, r, p }: Parameters): Promise<Buffer> {
  const N = 2 ** ln;
  // Node refuses by default past 32 MiB; scrypt needs about 128·N·r bytes.
  const maxmem = 256 * N * r * p;
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keyLength, { N, r, p, maxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** How many hashes run at once, and how many may wait for one of them. */
export interface HashSlots {
  running: number;
  waiting: number;
}

/**
 * A semaphore with a bounded queue: `run` starts its work when one of `running` slots is free, waits for one
 * while fewer than `waiting` wait, and refuses at once past that (the caller is told to come back, rather
 * than held for longer than the queue takes).
 */
class Slots {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(
    private readonly limits: HashSlots,
    private readonly busy: () => unknown,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running < this.limits.running) this.#running++;
    else if (this.#waiting.length < this.limits.waiting)
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else throw this.busy();
    try {
      return await work();
    } finally {
      // The slot passes to the first waiting hash, if any, so that none overtakes the queue.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}

/** Hashes passwords at one cost, and verifies hashes made at any, a bounded number at once. */
export class PasswordHasher {
  readonly #current: Parameters;
  readonly #slots: Slots;
  /** The salt of the hash run for an account that has none, so that its answer takes as long. */
  readonly #decoySalt = randomBytes(16);

  /**
   * @param busy what a hash past the queue throws: the seed's 429 with `Retry-After`
   */
  constructor(busy: () => unknown, cost = defaultHashCost, slots: HashSlots = defaultHashSlots) {
    if (!Number.isInteger(cost) || cost < hashCosts.min || cost > hashCosts.max)
      throw new RangeError(
        `the password hash cost must be ${hashCosts.min} to ${hashCosts.max}, not ${cost}`,
      );
    if (!Number.isSafeInteger(slots.running) || slots.running < 1)
      throw new RangeError(`the hashes run at once must be a positive integer, not ${slots.running}`);
    if (!Number.isSafeInteger(slots.waiting) || slots.waiting < 0)
      throw new RangeError(`the hashes waiting must be a whole number, not ${slots.waiting}`);
    this.#current = { ln: cost, r: blockSize, p: parallelism };
    this.#slots = new Slots(slots, busy);
  }

  /** A new hash of `password` at the current cost, as a PHC string; `busy()` past the queue. */
  hash(password: string): Promise<string> {
    return this.#slots.run(() => this.#hash(password));
  }

  async #hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const { ln, r, p } = this.#current;
    return `$scrypt$ln=${ln},r=${r},p=${p}$${base64(salt)}$${base64(await derive(password, salt, this.#current))}`;
  }

  /**
   * Whether `password` matches `stored` (a hash of any cost; none, or one unreadable, matches nothing but
   * takes a hash's time) and, when it matches a hash made at another cost than the current one, a new hash
   * at the current cost. Both hashes run in one slot: a password found right is never refused halfway.
   * `busy()` when the queue is full.
   */
  verify(password: string, stored: string | undefined): Promise<{ ok: boolean; rehashed?: string }> {
    return this.#slots.run(async () => {
      const parsed = stored === undefined ? null : phc.exec(stored);
      if (!parsed) {
        await derive(password, this.#decoySalt, this.#current);
        return { ok: false };
      }
      const parameters = { ln: Number(parsed[1]), r: Number(parsed[2]), p: Number(parsed[3]) };
      const expected = Buffer.from(parsed[5]!, 'base64');
      const key = await derive(password, Buffer.from(parsed[4]!, 'base64'), parameters);
      if (key.length !== expected.length || !timingSafeEqual(key, expected)) return { ok: false };
      const { ln, r, p } = this.#current;
      const stale = parameters.ln !== ln || parameters.r !== r || parameters.p !== p;
      return stale ? { ok: true, rehashed: await this.#hash(password) } : { ok: true };
    });
  }
}

/** `PASSWORD_HASH_COST` of `env`, refused (naming the variable) outside the costs a setting may choose. */
export function hashCostFromEnv(env: Env): number | undefined {
  const cost = count(env, 'PASSWORD_HASH_COST');
  if (cost !== undefined && (cost < hashCosts.min || cost > hashCosts.max))
    throw new TypeError(`PASSWORD_HASH_COST must be ${hashCosts.min} to ${hashCosts.max}, not "${cost}"`);
  return cost;
}
