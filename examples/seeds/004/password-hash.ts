/**
 * Password hashes of seed 004: scrypt with r=8 and p=1, kept as a PHC string that records its own
 * parameters (`$scrypt$ln=17,r=8,p=1$<salt>$<key>`), so that a hash made under another cost still verifies
 * once the setting changes, and is made again at the current cost on its next sign-in. The work runs off the
 * event loop (node's thread pool): a sign-in costs its caller the hash's time, never every other request.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** log2 of scrypt's N by default: N=2^17, r=8, p=1 is OWASP's recommendation for scrypt (128 MiB a hash). */
export const defaultHashCost = 17;
/** The costs a setting may choose: below 2^10 a hash is no work; past 2^20 one takes 1 GiB. */
export const hashCosts = { min: 10, max: 20 } as const;
const blockSize = 8;
const parallelism = 1;
const keyLength = 32;
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

/** Hashes passwords at one cost, and verifies hashes made at any. */
export class PasswordHasher {
  readonly #current: Parameters;
  /** The salt of the hash run for an account that has none, so that its answer takes as long. */
  readonly #decoySalt = randomBytes(16);

  constructor(cost = defaultHashCost) {
    if (!Number.isInteger(cost) || cost < hashCosts.min || cost > hashCosts.max)
      throw new RangeError(
        `the password hash cost must be ${hashCosts.min} to ${hashCosts.max}, not ${cost}`,
      );
    this.#current = { ln: cost, r: blockSize, p: parallelism };
  }

  /** A new hash of `password` at the current cost, as a PHC string. */
  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const { ln, r, p } = this.#current;
    return `$scrypt$ln=${ln},r=${r},p=${p}$${base64(salt)}$${base64(await derive(password, salt, this.#current))}`;
  }

  /**
   * Whether `password` matches `stored` (a hash of any cost; none, or one unreadable, matches nothing but
   * takes a hash's time), and whether `stored` was made at another cost than the current one.
   */
  async verify(password: string, stored: string | undefined): Promise<{ ok: boolean; stale: boolean }> {
    const parsed = stored === undefined ? null : phc.exec(stored);
    if (!parsed) {
      await derive(password, this.#decoySalt, this.#current);
      return { ok: false, stale: false };
    }
    const parameters = { ln: Number(parsed[1]), r: Number(parsed[2]), p: Number(parsed[3]) };
    const expected = Buffer.from(parsed[5]!, 'base64');
    const key = await derive(password, Buffer.from(parsed[4]!, 'base64'), parameters);
    const { ln, r, p } = this.#current;
    return {
      ok: key.length === expected.length && timingSafeEqual(key, expected),
      stale: parameters.ln !== ln || parameters.r !== r || parameters.p !== p,
    };
  }
}
