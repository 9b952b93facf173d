/**
 * Password reset of seed 004: `POST /auth/forgot-password` mails a single-use token to the address's account,
 * `POST /auth/reset-password` redeems it. The reset is how the owner of an address takes it back from a
 * registration someone else made with it (account pre-hijacking): proving the mailbox sets the password,
 * verifies the address and ends every session of the account.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../shared/run.js';
import { type Identity, invalidToken, inWords, type User } from './identity.js';
import { type Mailer, perRecipientCap } from './mail.js';

/** How long a mailed reset token works. */
export const resetTtl = 30 * 60_000;
/** Reset mails an account is sent at most per hour, however often it is asked for. */
const resetsPerHour = 3;

const sha = (value: string) => createHash('sha256').update(value).digest('hex');

export class PasswordResets {
  /** Tokens by their hash (the token itself is only in the mail), oldest first: they expire in that order. */
  readonly #tokens = new Map<string, { user: string; email: string; expires: number }>();
  /** The one live token of each account: a newer request voids the older. */
  readonly #live = new Map<string, string>();
  readonly #cap = perRecipientCap(() => this.clock.now(), resetsPerHour, 60 * 60_000);

  constructor(
    private readonly clock: Clock,
    private readonly identity: Identity,
    private readonly mail: Mailer,
    private readonly ttlMs = resetTtl,
    /** Where a failure of the work done after the answer goes. @default one JSON line on stderr */
    private readonly onFailure: (cause: unknown) => void = (cause) =>
      process.stderr.write(
        `${JSON.stringify({ level: 'error', event: 'password-reset-failed', cause: String(cause) })}\n`,
      ),
  ) {}

  /**
   * Mails a reset token to the account of `email`, if there is one and it has not had its mails for the
   * hour. The caller learns nothing: what runs before the route answers is the same for every address (a
   * sweep of expired tokens, and scheduling the rest); looking the address up, the token and the mail run
   * after the answer (`setImmediate`), and a failure there is logged through `onFailure`, never answered.
   */
  request(email: string): void {
    this.#sweep();
    setImmediate(() => {
      try {
        this.#send(email);
      } catch (cause) {
        this.onFailure(cause);
      }
    });
  }

  #send(email: string): void {
    const user = this.identity.byEmail(email);
    if (!user || !this.#cap(user.id)) return;
    const token = randomBytes(24).toString('base64url');
    const key = sha(token);
    const previous = this.#live.get(user.id);
    if (previous !== undefined) this.#tokens.delete(previous);
    this.#live.set(user.id, key);
    this.#tokens.set(key, { user: user.id, email: user.email, expires: this.clock.now() + this.ttlMs });
    this.mail({
      to: user.email,
      subject: 'Reset your password',
      text: `Your password reset token: ${token}\n\nRedeem it with POST /auth/reset-password within ${inWords(this.ttlMs)}; it works once, and every session of the account ends. If you did not ask for it, ignore this mail: your password stays.`,
    });
  }

  /**
   * Redeems a reset token: the account's new password, its address verified, its sessions ended. A token
   * unknown, used, voided by a newer one, expired, or sent to an address the account no longer has (or an
   * account a newer registration replaced) is the catalog's validation error, as a bad verification link is.
   */
  async reset(token: string, password: string): Promise<User> {
    const key = sha(token);
    this.#redeemable(key);
    // Hashed before the token is spent, so that a hash refused while the server is busy leaves it working;
    // looked at again after, since the hash gives other requests time to use or void it.
    const hash = await this.identity.hashPassword(password);
    const user = this.#redeemable(key);
    this.#tokens.delete(key);
    this.#live.delete(user.id);
    this.identity.setPassword(user, hash);
    return user;
  }

  /** The account the token `key` resets, or the validation error when it is no longer good. */
  #redeemable(key: string): User {
    const pending = this.#tokens.get(key);
    const user = pending && this.identity.users.get(pending.user);
    if (
      !pending ||
      !user ||
      pending.expires <= this.clock.now() ||
      user.email !== pending.email ||
      this.#live.get(user.id) !== key
    )
      throw invalidToken();
    return user;
  }

  /** Drops expired tokens from the front: memory stays bounded by the tokens of the last TTL. */
  #sweep(): void {
    for (const [key, { user, expires }] of this.#tokens) {
      if (expires > this.clock.now()) return;
      this.#tokens.delete(key);
      if (this.#live.get(user) === key) this.#live.delete(user);
    }
  }
}
