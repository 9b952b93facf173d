/**
 * Who is calling: an `x-api-key` of a user, or a short-lived bearer token signed by the server. Keys are
 * kept as SHA-256 digests; rotating a user's key revokes the old one (the page's "403 after key
 * rotation") and every token issued before. Users carry a role; routes ask for the permission they need.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { bearerToken } from '../shared/bearer.js';
import type { Clock } from '../shared/run.js';
import { errors } from './catalog.js';

export const roles = ['admin', 'editor', 'viewer', 'external'] as const;
export type Role = (typeof roles)[number];

export interface User {
  readonly id: string;
  readonly account: string;
  readonly role: Role;
  /** May read and write the real-time configuration. */
  readonly realtime: boolean;
  deleted: boolean;
  /** Bumped by each rotation or revocation: tokens of an older generation are revoked. */
  generation: number;
}

/** What a route may ask of its caller. */
export type Permission = 'read' | 'write' | 'deploy-live' | 'account' | 'realtime';

const digest = (key: string) => createHash('sha256').update(key).digest('base64url');
const newKey = () => `key_${randomBytes(24).toString('base64url')}`;

export class Auth {
  readonly #users = new Map<string, User>();
  /** Key digest → its user, and whether it was revoked (kept so that an old key answers 403, not 401). */
  readonly #keys = new Map<string, { user: string; revoked: boolean }>();
  /** Revoked tokens: signature → when the token expires. */
  readonly #revokedTokens = new Map<string, number>();
  /** The size of `#revokedTokens` at which its expired entries are swept next. */
  #sweepAt = 1024;
  readonly #secret = randomBytes(32);

  constructor(private readonly clock: Clock) {}

  /** Adds a user with a new API key (or `key`, from configuration); returns the user and the key. */
  addUser(user: Omit<User, 'deleted' | 'generation' | 'id'>, key = newKey()): { user: User; key: string } {
    const id = `usr_${randomBytes(6).toString('hex')}`;
    const added: User = { ...user, id, deleted: false, generation: 0 };
    this.#users.set(id, added);
    this.#keys.set(digest(key), { user: id, revoked: false });
    return { user: added, key };
  }

  /** The user `id` of `account`; another account's user is as absent as one that never was. */
  user(account: string, id: string): User {
    const user = this.#users.get(id);
    if (!user || user.deleted || user.account !== account) throw errors.builtin('notFound');
    return user;
  }

  removeUser(user: User): void {
    user.deleted = true;
    this.revokeKeys(user);
  }

  /** Revokes every key and token of `user`; its old keys answer 403 from now on. */
  revokeKeys(user: User): void {
    for (const entry of this.#keys.values()) if (entry.user === user.id) entry.revoked = true;
    user.generation++;
  }

  /** Revokes `user`'s keys and tokens and returns its new key. */
  rotateKey(user: User): string {
    this.revokeKeys(user);
    const key = newKey();
    this.#keys.set(digest(key), { user: user.id, revoked: false });
    return key;
  }

  /** A bearer token for the key's user, valid `ttlMs`. */
  issueToken(user: User, ttlMs: number): string {
    const payload = `${user.id}.${user.generation}.${this.clock.now() + ttlMs}`;
    return `${payload}.${this.#sign(payload)}`;
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
    const bearer = request.headers.authorization;
    const token = bearerToken(typeof bearer === 'string' ? bearer : undefined);
    if (token !== undefined) return this.#fromToken(token);
    const key = request.headers['x-api-key'];
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
    if (permission === 'realtime') {
      if (!user.realtime) throw errors.create('REAL_TIME_CONFIG_FORBIDDEN_ACCESS');
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

  #fromToken(token: string): User {
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
    return user;
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.#secret).update(payload).digest('base64url');
  }
}
