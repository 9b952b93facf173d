/**
 * Who is calling: an `x-api-key` of a user, or a short-lived bearer token signed by the server. Keys are
 * kept as SHA-256 digests; rotating a user's key revokes the old one (the page's "403 after key
 * rotation") and every token issued before. Users carry a role; routes ask for the permission they need.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { bearerToken } from '../shared/bearer.js';
import type { Clock } from '../shared/run.js';
import { errors } from './catalog.js';
import { defaultLimits, ensureRoom } from './limits.js';

export const roles = ['admin', 'editor', 'viewer', 'external'] as const;
export type Role = (typeof roles)[number];

export interface User {
  readonly id: string;
  readonly account: string;
  readonly role: Role;
  /** May write the real-time configuration, when its role writes at all (a viewer never does). */
  readonly realtime: boolean;
  deleted: boolean;
  /** Bumped by each rotation or revocation: tokens of an older generation are revoked. */
  generation: number;
}

/** The caller of a request and what it authenticated with. */
export type Credential =
  | { readonly user: User; readonly via: 'key' }
  | { readonly user: User; readonly via: 'token'; readonly expires: number };

/** What a route may ask of its caller. */
export type Permission = 'read' | 'write' | 'deploy-live' | 'account' | 'realtime';

const digest = (key: string) => createHash('sha256').update(key).digest('base64url');
const newKey = () => `key_${randomBytes(24).toString('base64url')}`;
/** The rotated or revoked keys of a user that still answer 403; older ones are forgotten and answer 401. */
const keptRevokedKeys = 10;

export class Auth {
  readonly #users = new Map<string, User>();
  /** Key digest → its user, and whether it was revoked (kept so that an old key answers 403, not 401). */
  readonly #keys = new Map<string, { user: string; revoked: boolean }>();
  /** Revoked tokens: signature → when the token expires. */
  readonly #revokedTokens = new Map<string, number>();
  /** The size of `#revokedTokens` at which its expired entries are swept next. */
  #sweepAt = 1024;
  readonly #secret = randomBytes(32);
  /** Each user's key digests, oldest first: the last is the live one unless revoked. */
  readonly #digests = new Map<string, string[]>();
  /** Each account's live user count and its removed users, oldest first. */
  readonly #members = new Map<string, { live: number; removed: string[] }>();

  constructor(
    private readonly clock: Clock,
    /** Users of one account; as many removed ones are remembered (their keys answer 401 once forgotten). */
    private readonly usersPerAccount = defaultLimits.users,
  ) {}

  /** Adds a user with a new API key (or `key`, from configuration); returns the user and the key. */
  addUser(user: Omit<User, 'deleted' | 'generation' | 'id'>, key = newKey()): { user: User; key: string } {
    const members = this.#members.get(user.account) ?? { live: 0, removed: [] };
    ensureRoom('account', 'users', members.live, 1, this.usersPerAccount);
    this.#members.set(user.account, members);
    members.live++;
    const id = `usr_${randomBytes(6).toString('hex')}`;
    const added: User = { ...user, id, deleted: false, generation: 0 };
    this.#users.set(id, added);
    this.#addKey(id, key);
    return { user: added, key };
  }

  /** The user `id` of `account`; another account's user is as absent as one that never was. */
  user(account: string, id: string): User {
    const user = this.#users.get(id);
    if (!user || user.deleted || user.account !== account) throw errors.builtin('notFound');
    return user;
  }

  removeUser(user: User): void {
    if (user.deleted) return;
    user.deleted = true;
    this.revokeKeys(user);
    const members = this.#members.get(user.account)!;
    members.live--;
    members.removed.push(user.id);
    // A removed user is remembered (its key answers "user not found") until as many are removed after it.
    if (members.removed.length > this.usersPerAccount) {
      const forgotten = members.removed.shift()!;
      for (const gone of this.#digests.get(forgotten) ?? []) this.#keys.delete(gone);
      this.#digests.delete(forgotten);
      this.#users.delete(forgotten);
    }
  }

  /** Revokes every key and token of `user`; its old keys answer 403 from now on. */
  revokeKeys(user: User): void {
    for (const key of this.#digests.get(user.id) ?? []) this.#keys.get(key)!.revoked = true;
    user.generation++;
  }

  /** Revokes `user`'s keys and tokens and returns its new key. */
  rotateKey(user: User): string {
    this.revokeKeys(user);
    return this.#addKey(user.id, newKey());
  }

  /** Records `key` for user `id`, forgetting its oldest revoked key past `keptRevokedKeys`. */
  #addKey(id: string, key: string): string {
    const digests = this.#digests.get(id) ?? [];
    this.#digests.set(id, digests);
    digests.push(digest(key));
    this.#keys.set(digests.at(-1)!, { user: id, revoked: false });
    if (digests.length > keptRevokedKeys + 1) this.#keys.delete(digests.shift()!);
    return key;
  }

  /**
   * A bearer token for the caller, valid `ttlMs`, and when it expires. A token asking for a token gets one
   * that expires with it at the latest: a leaked token cannot be stretched into a longer one.
   */
  issueToken(caller: Credential, ttlMs: number): { token: string; ttlMs: number } {
    const { user } = caller;
    const now = this.clock.now();
    const expires = caller.via === 'token' ? Math.min(now + ttlMs, caller.expires) : now + ttlMs;
    const payload = `${user.id}.${user.generation}.${expires}`;
    return { token: `${payload}.${this.#sign(payload)}`, ttlMs: expires - now };
  }

  /** The caller's user when it holds the API key itself; a bearer token answers the page's 403. */
  keyHolder(caller: Credential): User {
    if (caller.via === 'token')
      throw errors.create('USER_ACCESS_FORBIDDEN', undefined, {
        reason: 'minting or rotating an API key needs an API key, not a bearer token',
      });
    return caller.user;
  }

  /**
   * Revokes the bearer token of an `Authorization` header, as it authenticates: by its signature, so that no
   * other spelling of the same token (more spaces, a suffix) escapes the revocation. Anything else in the
   * header is no token and revokes nothing. Revocations are kept until their token would have expired.
   */
  revokeBearer(header: string | undefined): void {
    const parts = bearerToken(header)?.split('.');
    if (parts?.length !== 4) return;
    // Each time the set has doubled, the expired revocations go: it stays bounded by twice the tokens still
    // live, at an amortized constant cost per revocation (lifetimes differ, so the oldest is not the first due).
    if (this.#revokedTokens.size >= this.#sweepAt) {
      const now = this.clock.now();
      for (const [signature, expires] of this.#revokedTokens)
        if (expires <= now) this.#revokedTokens.delete(signature);
      this.#sweepAt = Math.max(1024, 2 * this.#revokedTokens.size);
    }
    this.#revokedTokens.set(parts[3]!, Number(parts[2]));
  }

  /** The caller of a request, or the page's 401 (or 403 for a revoked key) for why there is none. */
  authenticate(request: { headers: Readonly<Record<string, string | string[] | undefined>> }): User {
    return this.credential(request).user;
  }

  /**
   * The caller of a request and how it proved who it is: its API key, or a bearer token and when that
   * expires. What a credential may mint depends on it: a token never mints a key or an outliving token.
   */
  credential(request: { headers: Readonly<Record<string, string | string[] | undefined>> }): Credential {
    const bearer = request.headers.authorization;
    const token = bearerToken(typeof bearer === 'string' ? bearer : undefined);
    if (token !== undefined) return this.#fromToken(token);
    return { user: this.#fromKey(request.headers['x-api-key']), via: 'key' };
  }

  #fromKey(key: string | string[] | undefined): User {
    if (typeof key !== 'string' || key === '') throw errors.create('AUTH_USER_UNAUTHORISED');
    const entry = this.#keys.get(digest(key));
    if (entry === undefined) throw errors.create('AUTH_USER_UNAUTHORISED');
    const user = this.#live(entry.user);
    if (entry.revoked)
      throw errors.create('USER_ACCESS_FORBIDDEN', undefined, {
        reason: 'the API key was revoked or rotated',
      });
    return user;
  }

  /** Raises the page's 403 when `user` lacks `permission`. */
  authorize(user: User, permission: Permission): void {
    if (permission === 'read') return;
    // The real-time flag grants the configuration to a role that writes; it makes no viewer a writer.
    if (permission === 'realtime') {
      if (!user.realtime || user.role === 'viewer') throw errors.create('REAL_TIME_CONFIG_FORBIDDEN_ACCESS');
      return;
    }
    if (permission === 'account') {
      if (user.role !== 'admin') throw errors.create('ACCOUNT_INSUFFICIENT_PERMISSIONS');
      return;
    }
    if (user.role === 'viewer') throw errors.create('USER_ACCESS_FORBIDDEN');
    if (permission === 'deploy-live' && user.role === 'external')
      throw errors.create('EXTERNAL_USER_FORBIDDEN');
  }

  #live(id: string): User {
    const user = this.#users.get(id);
    if (!user || user.deleted) throw errors.create('AUTH_USER_NOT_FOUND');
    return user;
  }

  #fromToken(token: string): Credential {
    const parts = token.split('.');
    // Exactly the four parts a token is made of: a suffix is another token, never the same one.
    if (parts.length !== 4) throw errors.create('AUTH_USER_INVALID_TOKEN');
    const [id, generation, expires, signature] = parts as [string, string, string, string];
    const expected = Buffer.from(this.#sign(`${id}.${generation}.${expires}`));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw errors.create('AUTH_USER_INVALID_TOKEN');
    if (Number(expires) <= this.clock.now() || this.#revokedTokens.has(signature))
      throw errors.create('AUTH_USER_INVALID_TOKEN');
    const user = this.#live(id);
    if (Number(generation) !== user.generation) throw errors.create('AUTH_USER_INVALID_TOKEN');
    return { user, via: 'token', expires: Number(expires) };
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.#secret).update(payload).digest('base64url');
  }
}
