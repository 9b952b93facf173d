/**
 * Who is calling: an `x-api-key` of a user, or a short-lived bearer token signed by the server. Users
 * carry a role; the routes ask for the permission they need.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../shared/run.js';
import { errors } from './catalog.js';

export type Role = 'admin' | 'editor' | 'viewer' | 'external';

export interface User {
  readonly id: string;
  readonly account: string;
  readonly role: Role;
  /** May read and write the real-time configuration. */
  readonly realtime: boolean;
  deleted: boolean;
}

/** What a route may ask of its caller. */
export type Permission = 'read' | 'write' | 'deploy-live' | 'account' | 'realtime';

export class Auth {
  readonly #users = new Map<string, User>();
  readonly #keys = new Map<string, string>();
  readonly #revoked = new Set<string>();
  readonly #secret = randomBytes(32);

  constructor(private readonly clock: Clock) {}

  /** Adds a user with an API key; returns the key. */
  addUser(user: Omit<User, 'deleted'>, key = `key_${randomBytes(12).toString('hex')}`): string {
    this.#users.set(user.id, { ...user, deleted: false });
    this.#keys.set(key, user.id);
    return key;
  }

  removeUser(id: string): void {
    const user = this.#users.get(id);
    if (user) user.deleted = true;
  }

  /** A bearer token for the key's user, valid `ttlMs`. */
  issueToken(user: User, ttlMs: number): string {
    const payload = `${user.id}.${this.clock.now() + ttlMs}`;
    return `${payload}.${this.#sign(payload)}`;
  }

  revoke(token: string): void {
    this.#revoked.add(token);
  }

  /** The caller of a request, or the page's 401 for why there is none. */
  authenticate(request: { headers: Readonly<Record<string, string | string[] | undefined>> }): User {
    const bearer = request.headers.authorization;
    if (typeof bearer === 'string' && bearer.startsWith('Bearer ')) return this.#fromToken(bearer.slice(7));
    const key = request.headers['x-api-key'];
    if (typeof key !== 'string' || key === '') throw errors.create('AUTH_USER_UNAUTHORISED');
    const id = this.#keys.get(key);
    if (id === undefined) throw errors.create('AUTH_USER_UNAUTHORISED');
    return this.#live(id);
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
    const [id, expires, signature] = token.split('.');
    if (id === undefined || expires === undefined || signature === undefined)
      throw errors.create('AUTH_USER_INVALID_TOKEN');
    const expected = Buffer.from(this.#sign(`${id}.${expires}`));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw errors.create('AUTH_USER_INVALID_TOKEN');
    if (Number(expires) <= this.clock.now() || this.#revoked.has(token))
      throw errors.create('AUTH_USER_INVALID_TOKEN');
    return this.#live(id);
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.#secret).update(payload).digest('base64url');
  }
}
