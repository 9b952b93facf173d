/**
 * Users, sessions and the auth gates of page 004: sign-up with a mailed verification link, password
 * sign-in, Google sign-in (an ID token verified against the configured keys), a sliding idle window
 * (30 minutes by default), email verification, admin-made users and roles, admin impersonation and its
 * deny-list. A self-made registration holds its address unverified for a bound (24 hours by default); past
 * it, a sign-up with the address replaces it, so no one can squat an address they cannot read the mail of.
 * Lapsed registrations and expired links are swept oldest first, and at most a bound of registrations
 * (10 000 by default) wait for verification at once, so sign-ups with made-up addresses cannot grow memory.
 * An account holds a bound of sessions (20 by default): a sign-in ends its idle ones, then past the bound the
 * one used least recently, so sign-ins cannot pile up sessions either.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { GoogleSignIn } from '../shared/google-id-token.js';
import { PasswordHasher } from '../shared/password-hash.js';
import type { Clock } from '../shared/run.js';
import { errors } from './catalog.js';
import { type Mailer, perRecipientCap } from './mail.js';

export interface User {
  id: string;
  email: string;
  verified: boolean;
  platformAdmin: boolean;
  status: 'active' | 'suspended';
  /** The password's hash, a PHC string with its own parameters (`../shared/password-hash.ts`). */
  hash?: string;
  /** The Google account a Google user signs in with. */
  googleSub?: string;
  /** When a self-made, unverified registration was made: it holds its address for a bound from then. */
  registeredAt?: number;
}
export interface Session {
  token: string;
  user: string;
  lastActivity: number;
  /** The platform admin acting as `user`, for impersonation sessions. */
  impersonator?: string;
}

/** The page's IDLE_TIMEOUT. */
export const idleTimeout = 30 * 60_000;
/** How long a mailed link confirming an address change works. */
const verificationTtl = 24 * 60 * 60_000;
/** How long an unverified registration holds its address (and its verification link works). */
export const unverifiedTtl = 24 * 60 * 60_000;
/** The most unverified registrations held at once: the page's UNVERIFIED_MAX. */
export const unverifiedMax = 10_000;
/** The most sessions an account holds at once: the default of SESSIONS_MAX. */
const sessionsPerAccount = 20;
/** Notices of a sign-up with a taken address: at most this many per account per hour. */
const noticesPerHour = 3;
/** Change links mailed to one address nobody holds: at most this many per hour, whoever asks. */
const changeLinksPerHour = 3;

/** A duration as a mail states it. */
export const inWords = (ms: number) =>
  ms % 3_600_000 === 0
    ? `${ms / 3_600_000} hour${ms === 3_600_000 ? '' : 's'}`
    : ms % 60_000 === 0
      ? `${ms / 60_000} minute${ms === 60_000 ? '' : 's'}`
      : `${ms} ms`;

const sha = (value: string) => createHash('sha256').update(value).digest('hex');

/** What a user may see of a user: never the password hash. */
export const userView = ({ id, email, verified, platformAdmin, status }: User) => ({
  id,
  email,
  verified,
  platformAdmin,
  status,
});

/** The field error of a mailed token that is unknown, used, voided or expired. */
export const invalidToken = () =>
  errors.create('VALIDATION_FAILED', undefined, {
    fieldErrors: [{ pointer: '/token', detail: 'Invalid or expired' }],
  });

/** The field error of an address another user holds: the page's own example. */
const emailInUse = () =>
  errors.create('VALIDATION_FAILED', undefined, {
    fieldErrors: [{ pointer: '/email', detail: 'Already in use' }],
  });

/** The accounts a session is a session of: its user, and the admin who opened it to impersonate them. */
const accountsOf = ({ user, impersonator }: Session) =>
  impersonator === undefined ? [user] : [user, impersonator];

export class Identity {
  readonly users = new Map<string, User>();
  /** Sessions by token. */
  readonly #sessions = new Map<string, Session>();
  /**
   * The tokens of each account's sessions, used least recently first: ending an account's sessions, and
   * making room for a new one, touch these and never another account's.
   */
  readonly #sessionsOf = new Map<string, Set<string>>();
  /**
   * Verification links by the hash of their token: the token itself is only in the mail. `change` marks
   * the confirmation of a new address, which the user gets only once it is redeemed.
   */
  readonly #verifications = new Map<
    string,
    { user: string; email: string; expires: number; change: boolean }
  >();
  /**
   * The one pending address change of each user: the hash of its token, replaced by a newer request. Oldest
   * request first: every change link lives as long, so they expire in this order.
   */
  readonly #changes = new Map<string, string>();
  /** The sign-up verification link of each unverified registration: the hash of its token. */
  readonly #signUpLinks = new Map<string, string>();
  /** Unverified self-made registrations, user id to when it was made, oldest first: they lapse in this order. */
  readonly #pending = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    /** Verifies Google ID tokens against the configured keys. */
    private readonly googleSignIn: GoogleSignIn,
    private readonly mail: Mailer,
    /** The sliding idle window of a session. */
    private readonly idleMs = idleTimeout,
    /** How long an unverified registration holds its address. */
    private readonly unverifiedMs = unverifiedTtl,
    /** The most unverified registrations held at once; past it, sign-up answers 429. */
    private readonly pendingMax = unverifiedMax,
    /** The most sessions an account holds at once; a new one past it ends the one used least recently. */
    private readonly sessionsMax = sessionsPerAccount,
    /** Hashes and verifies passwords. */
    private readonly passwords = new PasswordHasher(() =>
      errors.create('RATE_LIMITED', undefined, { headers: { 'retry-after': '1' } }),
    ),
  ) {}

  /** How many unverified registrations hold an address now (lapsed ones are swept first). */
  get unverifiedCount(): number {
    this.#sweep();
    return this.#pending.size;
  }

  /** Bounds the notices a caller can make the server send one account by signing up with its address. */
  readonly #notice = perRecipientCap(() => this.clock.now(), noticesPerHour, 60 * 60_000);
  /**
   * Bounds the change links mailed to one address nobody holds, whoever asks: each user's own budget is
   * small, but many cheap sign-ups could otherwise flood one mailbox. Keyed by the address as it is looked up.
   */
  readonly #changeLinks = perRecipientCap(() => this.clock.now(), changeLinksPerHour, 60 * 60_000);

  /** A user as the operator seeds one (verified, unless `init` says otherwise), with no check of its address. */
  async addUser(email: string, password: string, init: Partial<User> = {}): Promise<User> {
    return this.#add(email, await this.passwords.hash(password), init);
  }

  // Synchronous, with the hash made before: no other request runs between a caller's look-up of the address
  // and this insertion, so two sign-ups with one address never both find it free.
  #add(email: string, hash: string | undefined, init: Partial<User>): User {
    const user: User = {
      id: `usr_${randomBytes(5).toString('hex')}`,
      email,
      verified: true,
      platformAdmin: false,
      status: 'active',
      ...(hash === undefined ? {} : { hash }),
      ...init,
    };
    this.users.set(user.id, user);
    return user;
  }

  byEmail(email: string): User | undefined {
    const wanted = email.toLowerCase();
    for (const user of this.users.values()) if (user.email.toLowerCase() === wanted) return user;
    return undefined;
  }

  /**
   * Public sign-up: a new address gets an unverified user and a verification link; a taken one gets a
   * mail saying someone tried, and how to take the address back if it was not its owner. The caller is
   * answered alike either way, in bytes and in time (the hash is the slow part of both): sign-up is no
   * address oracle. An address held only by an unverified registration past its bound is free: the new
   * registration replaces the old one, whose sessions and links end. With `pendingMax` registrations
   * waiting for verification, every sign-up is refused alike (429, before the address is looked at) until
   * the oldest lapses or is verified.
   */
  async signUp(email: string, password: string): Promise<void> {
    // Hashed before the address is looked at, and thrown away for a taken one: the time tells nothing.
    const hash = await this.passwords.hash(password);
    this.#sweep();
    const existing = this.byEmail(email);
    if (existing && this.#lapsed(existing)) this.#remove(existing);
    else if (existing) {
      if (this.#notice(existing.id)) this.mail(this.#signUpNotice(existing));
      return;
    }
    // Full: the registration that has waited longest gives way (its link no longer works; a sign-up again
    // makes another). Refusing every sign-up instead would let one flood close sign-up for everyone.
    if (this.#pending.size >= this.pendingMax) this.#evictOldest();
    const user = this.#add(email, hash, { verified: false, registeredAt: this.clock.now() });
    this.#pending.set(user.id, user.registeredAt!);
    this.#signUpLinks.set(user.id, this.#sendVerification(user));
  }

  /**
   * Forgets the registrations past their bound and the change links past theirs, from the oldest, stopping
   * at the first that still holds: the work is the entries that lapsed, never a scan of every user.
   */
  #sweep(): void {
    const now = this.clock.now();
    for (const [id, at] of this.#pending) {
      if (at + this.unverifiedMs > now) break;
      const user = this.users.get(id);
      if (user && this.#lapsed(user)) this.#remove(user);
      else this.#pending.delete(id);
    }
    for (const [user, key] of this.#changes) {
      const link = this.#verifications.get(key);
      if (link && link.expires > now) break;
      this.#verifications.delete(key);
      this.#changes.delete(user);
    }
  }

  /** Forgets the registration that has waited longest for its link. */
  #evictOldest(): void {
    const oldest = this.#pending.keys().next();
    if (oldest.done) return;
    const user = this.users.get(oldest.value);
    if (user && !user.verified) this.#remove(user);
    else this.#pending.delete(oldest.value);
  }

  /** `user` is verified: its registration no longer lapses, and its sign-up link is spent. */
  #verified(user: User): void {
    user.verified = true;
    delete user.registeredAt;
    this.#pending.delete(user.id);
    const link = this.#signUpLinks.get(user.id);
    if (link !== undefined) this.#verifications.delete(link);
    this.#signUpLinks.delete(user.id);
  }

  #signUpNotice(holder: User) {
    const reset = 'reset the password with POST /auth/forgot-password';
    return {
      to: holder.email,
      subject: 'Someone tried to sign up with your address',
      text: holder.verified
        ? `You already have an account. If this was you, sign in, or ${reset}. If it was not you, ignore this mail: nothing was changed.`
        : `This address already has an account, never verified: whoever made it chose its password. If it was not you, ${reset}; the reset makes the account yours and ends every session of it. Or ignore this mail: an unverified account lapses ${inWords(this.unverifiedMs)} after it was made, and then the address is free to sign up with.`,
    };
  }

  /** Whether `user` is a self-made registration left unverified past its bound. */
  #lapsed(user: User): boolean {
    return (
      !user.verified &&
      user.registeredAt !== undefined &&
      user.registeredAt + this.unverifiedMs <= this.clock.now()
    );
  }

  /** Forgets `user` and ends everything of it: sessions, verification links, a pending change. */
  #remove(user: User): void {
    this.users.delete(user.id);
    this.#pending.delete(user.id);
    this.endSessions(user.id);
    this.#forgetLinks(user.id);
  }

  /** Voids the sign-up link and the pending change of `user`: each user has at most one of each. */
  #forgetLinks(user: string): void {
    for (const links of [this.#signUpLinks, this.#changes]) {
      const key = links.get(user);
      if (key !== undefined) this.#verifications.delete(key);
      links.delete(user);
    }
  }

  /** Ends every session of `user`, and every impersonation session it opened (a session is its refresh). */
  endSessions(user: string): void {
    for (const token of this.#sessionsOf.get(user) ?? []) this.#end(token);
  }

  /** A hash of `password` for `setPassword`, made before the reset token is spent. */
  hashPassword(password: string): Promise<string> {
    return this.passwords.hash(password);
  }

  /**
   * A password reset redeemed: the new password's hash, the address verified (its mailbox is proven), and
   * whoever else held the account out of it — every session ends, and links and a change asked for before
   * are void.
   */
  setPassword(user: User, hash: string): void {
    user.hash = hash;
    this.#verified(user);
    this.endSessions(user.id);
    this.#forgetLinks(user.id);
    this.mail({
      to: user.email,
      subject: 'Your password was changed',
      text: 'The password of your account was reset, and every session of it was signed out. If this was not you, reset it again with POST /auth/forgot-password.',
    });
  }

  /**
   * Redeems a mailed verification link: the address it was sent to is now the user's, verified. A change's
   * link moves the user to the new address only if no one else has taken it meanwhile, and tells the old
   * address.
   */
  verifyEmail(token: string): User {
    const key = sha(token);
    const pending = this.#verifications.get(key);
    const user = pending && this.users.get(pending.user);
    if (
      !pending ||
      !user ||
      pending.expires <= this.clock.now() ||
      (pending.change ? this.#changes.get(user.id) !== key : user.email !== pending.email)
    )
      throw invalidToken();
    this.#verifications.delete(key);
    if (pending.change) {
      this.#changes.delete(user.id);
      const holder = this.byEmail(pending.email);
      // Whoever redeems holds the new address's mailbox: telling them it is taken tells them nothing new.
      if (holder && holder.id !== user.id) throw emailInUse();
      const old = user.email;
      user.email = pending.email;
      this.mail({
        to: old,
        subject: 'Your email address was changed',
        text: `Your account now signs in with ${pending.email}. If this was not you, contact support.`,
      });
    }
    this.#verified(user);
    return user;
  }

  /**
   * Asks to move `user` to `email`: answered alike whether the address is free or taken (no address
   * oracle), and nothing changes until the token mailed to the new address is redeemed, so an unconfirmed
   * request never holds an address someone else could sign up with. The holder of a taken address gets a
   * notice with nothing to redeem, within the cap it shares with sign-up notices; a free address gets at
   * most `changeLinksPerHour` links, whoever asks.
   */
  requestEmailChange(user: User, email: string): void {
    const holder = this.byEmail(email);
    // One pending change per user: any newer request voids the older link, to a free address, a taken one
    // or the user's own (a link that outlived a request for a taken address would tell the requester it
    // was taken).
    this.#sweep();
    const previous = this.#changes.get(user.id);
    if (previous !== undefined) this.#verifications.delete(previous);
    this.#changes.delete(user.id);
    if (holder?.id === user.id) return;
    if (holder) {
      if (this.#notice(holder.id))
        this.mail({
          to: holder.email,
          subject: 'Someone tried to change an account to your address',
          text: 'Another account asked to use this address, which already has an account. Nothing was changed.',
        });
      return;
    }
    // Past the address's cap no link is made: the answer stays the same, and the mailbox is left alone.
    if (!this.#changeLinks(email.toLowerCase())) return;
    // The entry goes to the end, so that #changes stays in the order its links expire.
    this.#changes.set(user.id, this.#sendVerification(user, email, true));
  }

  /** A user made by a platform admin, with its role: verified, since the platform vouches for it. */
  async create(email: string, password: string, platformAdmin: boolean): Promise<User> {
    const hash = await this.passwords.hash(password);
    if (this.byEmail(email)) throw emailInUse();
    return this.#add(email, hash, { platformAdmin });
  }

  /** Mails a verification link to `email` (the user's own address unless `change`); the token's hash. */
  #sendVerification(user: User, email = user.email, change = false): string {
    const token = randomBytes(24).toString('base64url');
    const key = sha(token);
    this.#verifications.set(key, {
      user: user.id,
      email,
      expires: this.clock.now() + (change ? verificationTtl : this.unverifiedMs),
      change,
    });
    this.mail({
      to: email,
      subject: 'Verify your email address',
      text: change
        ? `Your verification token: ${token}\n\nIt moves an account to this address. If this was not you, ignore this mail: nothing changes unless it is redeemed.`
        : `Your verification token: ${token}\n\nIf it was not you who signed up with this address, do not redeem it: whoever signed up chose the password. Ignore this mail (the registration lapses in ${inWords(this.unverifiedMs)}), or make the account yours with a password reset: POST /auth/forgot-password.`,
    });
    return key;
  }

  /**
   * Password sign-in. An unknown address takes a hash's time too. A hash made at another cost than the
   * current one is made again at it, so that raising the cost reaches every account that signs in.
   */
  async login(email: string, password: string): Promise<Session> {
    const user = this.byEmail(email);
    const stored = user?.hash;
    const { ok, rehashed } = await this.passwords.verify(password, stored);
    // While the hash ran, the account may have been removed or its password reset: the check is void then.
    if (!user || !ok || !this.#holds(user, stored)) throw errors.create('AUTH_INVALID_CREDENTIALS');
    if (rehashed !== undefined) user.hash = rehashed;
    return this.#open(user.id);
  }

  /** Whether `user` is still an account, with the password hash `stored`. */
  #holds(user: User, stored: string | undefined): boolean {
    return this.users.get(user.id) === user && user.hash === stored;
  }

  /**
   * Google sign-in. The token's signature, audience, issuer and expiry are checked first; an unverified
   * email is refused; a Google account signs in to the user it created, never to a password account of
   * the same address (that would hand the account to whoever holds a Google login for the address).
   */
  async google(idToken: string): Promise<Session> {
    const verdict = await this.googleSignIn.verify(idToken, this.clock.now());
    if (!verdict.ok) {
      if (verdict.reason === 'invalid-token')
        throw errors.create('AUTH_INVALID_CREDENTIALS', undefined, { reason: 'invalid-id-token' });
      throw errors.create('DEPENDENCY_UNAVAILABLE', undefined, {
        reason: `google-${verdict.reason}`,
        ...(verdict.cause === undefined ? {} : { cause: verdict.cause }),
      });
    }
    const { sub, email, emailVerified } = verdict.identity;
    if (!emailVerified) throw errors.create('AUTH_EMAIL_NOT_VERIFIED');
    const existing = this.byEmail(email);
    if (existing && existing.googleSub !== sub)
      throw errors.create('AUTH_INVALID_CREDENTIALS', undefined, {
        reason: existing.googleSub === undefined ? 'password-account' : 'other-google-account',
      });
    const user = existing ?? this.#add(email, undefined, { googleSub: sub });
    return this.#open(user.id);
  }

  /** The user a bearer token is a session of, without sliding its window: for keys of limits. */
  principalOf(token: string | undefined): string | undefined {
    return token ? this.#sessions.get(token)?.user : undefined;
  }

  /** The session of a bearer token, its idle window slid forward. */
  session(token: string | undefined): { session: Session; user: User } {
    const session = token ? this.#sessions.get(token) : undefined;
    if (!session) throw errors.builtin('unauthorized');
    if (this.#idle(session)) {
      this.#end(session.token);
      throw errors.create('AUTH_SESSION_IDLE_EXPIRED');
    }
    session.lastActivity = this.clock.now();
    // To the end of its accounts' lists: they stay in the order of last use, so the cap ends the session used
    // least recently rather than one in use, and the idle ones lead.
    for (const account of accountsOf(session)) {
      const mine = this.#sessionsOf.get(account)!;
      mine.delete(session.token);
      mine.add(session.token);
    }
    return { session, user: this.users.get(session.user)! };
  }

  /** The refresh endpoint: a new token for a session still inside its idle window. */
  refresh(token: string | undefined): Session {
    const { session } = this.session(token);
    this.#end(session.token);
    return this.#open(session.user, session.impersonator);
  }

  requireVerified(user: User): void {
    if (!user.verified) throw errors.create('EMAIL_VERIFICATION_REQUIRED');
  }

  /** Endpoints an impersonating admin may not use on the target's behalf. */
  denyImpersonation(session: Session): void {
    if (session.impersonator !== undefined) throw errors.create('IMPERSONATION_FORBIDDEN');
  }

  impersonate(admin: User, targetId: string): Session {
    if (!admin.platformAdmin) throw errors.create('RESOURCE_FORBIDDEN');
    const target = this.users.get(targetId);
    if (target?.status !== 'active' || target.platformAdmin || target.id === admin.id)
      throw errors.create('IMPERSONATION_TARGET_INVALID');
    return this.#open(target.id, admin.id);
  }

  /** Whether `session` has been idle past the window: it no longer works. */
  #idle(session: Session): boolean {
    return this.clock.now() - session.lastActivity > this.idleMs;
  }

  /** A new session of `user`, opened by `impersonator` if any, after each of its accounts made room for it. */
  #open(user: string, impersonator?: string): Session {
    const session: Session = {
      token: randomBytes(24).toString('base64url'),
      user,
      lastActivity: this.clock.now(),
      ...(impersonator === undefined ? {} : { impersonator }),
    };
    const accounts = accountsOf(session);
    for (const account of accounts) this.#makeRoom(account);
    this.#sessions.set(session.token, session);
    for (const account of accounts)
      this.#sessionsOf.set(account, (this.#sessionsOf.get(account) ?? new Set<string>()).add(session.token));
    return session;
  }

  /**
   * Ends the idle sessions of `account`, then its least recently used while it holds `sessionsMax`: at most
   * its own sessions are looked at, and the list is in the order of last use, so the idle ones lead it.
   */
  #makeRoom(account: string): void {
    const mine = this.#sessionsOf.get(account);
    if (!mine) return;
    for (const token of mine) {
      if (!this.#idle(this.#sessions.get(token)!)) break;
      this.#end(token);
    }
    for (const token of mine) {
      if (mine.size < this.sessionsMax) break;
      this.#end(token);
    }
  }

  /** Ends the session of `token`, in the lists of each of its accounts too. */
  #end(token: string): void {
    const session = this.#sessions.get(token);
    if (!session) return;
    this.#sessions.delete(token);
    for (const account of accountsOf(session)) {
      const mine = this.#sessionsOf.get(account);
      mine?.delete(token);
      if (mine?.size === 0) this.#sessionsOf.delete(account);
    }
  }
}
