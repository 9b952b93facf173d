/**
 * Users, sessions and the auth gates of page 004: password sign-in, Google sign-in (the provider's signed
 * claims), a sliding 30-minute idle window, email verification, admin impersonation and its deny-list.
 */
import { createHmac, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../shared/run.js';
import { errors } from './catalog.js';

export interface User {
  id: string;
  email: string;
  verified: boolean;
  platformAdmin: boolean;
  status: 'active' | 'suspended';
  salt?: string;
  hash?: string;
}
export interface Session {
  token: string;
  user: string;
  lastActivity: number;
  /** The platform admin acting as `user`, for impersonation sessions. */
  impersonator?: string;
}

export const idleTimeout = 30 * 60_000;

const hash = (password: string, salt: string) => scryptSync(password, salt, 32, { N: 1024 }).toString('hex');

export class Identity {
  readonly users = new Map<string, User>();
  readonly sessions = new Map<string, Session>();

  constructor(
    private readonly clock: Clock,
    /** The key the identity provider signs its claims with (Google's, in production its JWKS). */
    private readonly providerKey: Buffer,
  ) {}

  addUser(email: string, password: string | undefined, init: Partial<User> = {}): User {
    const salt = randomBytes(8).toString('hex');
    const user: User = {
      id: `usr_${randomBytes(5).toString('hex')}`,
      email,
      verified: true,
      platformAdmin: false,
      status: 'active',
      ...(password === undefined ? {} : { salt, hash: hash(password, salt) }),
      ...init,
    };
    this.users.set(user.id, user);
    return user;
  }

  byEmail(email: string): User | undefined {
    for (const user of this.users.values()) if (user.email === email) return user;
    return undefined;
  }

  login(email: string, password: string): Session {
    const user = this.byEmail(email);
    const candidate = Buffer.from(hash(password, user?.salt ?? 'decoy'), 'hex');
    if (!user?.hash || !timingSafeEqual(candidate, Buffer.from(user.hash, 'hex')))
      throw errors.create('AUTH_INVALID_CREDENTIALS');
    return this.#open(user.id);
  }

  /** Google sign-in: the provider's claims `base64url(json).hmac`; an unverified email is refused. */
  google(idToken: string): Session {
    const [payload, signature] = idToken.split('.');
    const expected = createHmac('sha256', this.providerKey)
      .update(payload ?? '')
      .digest('base64url');
    if (
      !payload ||
      !signature ||
      signature.length !== expected.length ||
      !timingSafeEqual(Buffer.from(signature), Buffer.from(expected))
    )
      throw errors.create('AUTH_INVALID_CREDENTIALS');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      email: string;
      email_verified: boolean;
    };
    if (!claims.email_verified) throw errors.create('AUTH_EMAIL_NOT_VERIFIED');
    const user = this.byEmail(claims.email) ?? this.addUser(claims.email, undefined);
    return this.#open(user.id);
  }

  /** The session of a bearer token, its idle window slid forward. */
  session(token: string | undefined): { session: Session; user: User } {
    const session = token ? this.sessions.get(token) : undefined;
    if (!session) throw errors.builtin('unauthorized');
    if (this.clock.now() - session.lastActivity > idleTimeout) {
      this.sessions.delete(session.token);
      throw errors.create('AUTH_SESSION_IDLE_EXPIRED');
    }
    session.lastActivity = this.clock.now();
    return { session, user: this.users.get(session.user)! };
  }

  /** The refresh endpoint: a new token for a session still inside its idle window. */
  refresh(token: string | undefined): Session {
    const { session } = this.session(token);
    this.sessions.delete(session.token);
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

  #open(user: string, impersonator?: string): Session {
    const session: Session = {
      token: randomBytes(24).toString('base64url'),
      user,
      lastActivity: this.clock.now(),
      ...(impersonator === undefined ? {} : { impersonator }),
    };
    this.sessions.set(session.token, session);
    return session;
  }
}
