/**
 * The product-tour SaaS of page 002, in memory: users (password or Google), companies (tenants) with
 * members and roles, invites, password resets, signed access and refresh tokens, content (flows) that
 * references audiences, SDK API keys and the event buffer they feed.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { RoleError } from 'faultline';
import type { GoogleIdentity } from '../shared/google-id-token.js';
import { type HashSlots, PasswordHasher } from '../shared/password-hash.js';
import type { Clock } from '../shared/run.js';
import { errors } from './catalog.js';
import { EventBuffer, type EventSink } from './events.js';

export type Role = 'owner' | 'admin' | 'member';

export interface User {
  id: string;
  email: string;
  provider: 'password' | 'google';
  /** The Google account id of a Google user. */
  googleSub?: string;
  /** A PHC string that records its own cost (`../shared/password-hash.ts`). */
  passwordHash?: string;
}
export interface Tenant {
  id: string;
  name: string;
  members: Map<string, Role>;
  audiences: Map<string, Audience>;
  flows: Map<string, Flow>;
  /**
   * The company's SDK keys by id (an expired one until the company makes its next key); the key itself is
   * shown once, at creation, and kept only hashed.
   */
  apiKeys: Map<string, ApiKey>;
}

export interface Audience {
  id: string;
  name: string;
}
/** A product tour, shown to one audience of its company when it names one. */
export interface Flow {
  id: string;
  title: string;
  audienceId?: string | undefined;
}

export interface ApiKey {
  id: string;
  /** The first characters of the key, to tell keys apart in a list. */
  prefix: string;
  createdAt: number;
  expiresAt: number;
}

const day = 24 * 60 * 60_000;
const accessTtl = 15 * 60_000;
const refreshTtl = 7 * day;
/** Sessions one account holds at once; a new sign-in past it ends the oldest. */
const maxSessions = 20;
const inviteTtl = 7 * day;
/** An SDK key's lifetime unless asked otherwise, and the longest one may be asked for. */
export const apiKeyDays = { default: 90, max: 365 };
const digest = (key: string) => createHash('sha256').update(key).digest('base64url');

/** Options of the domain. */
export interface ToursOptions {
  /** How many companies this instance holds; registration past it fails. @default 10 000 */
  maxTenants?: number;
  /** Accounts this instance holds, by password or Google; making one past it fails. @default 100 000 */
  maxUsers?: number;
  /** How many SDK events the buffer holds; past it the oldest are evicted. @default 100 000 */
  eventBuffer?: number;
  /** How many bytes of SDK events (as JSON) the buffer holds; past it the oldest are evicted. @default 64 MiB */
  eventBytes?: number;
  /** Where accepted SDK events go. @default an `EventBuffer` of `eventBuffer` events and `eventBytes` */
  eventSink?: EventSink;
  /** Flows one company holds; past it a new one answers 429 RATE_LIMITED. @default 1000 */
  maxFlows?: number;
  /** Audiences one company holds; past it a new one answers 429 RATE_LIMITED. @default 200 */
  maxAudiences?: number;
  /** Invites of one company waiting to be accepted; past it a new one answers 429 RATE_LIMITED. @default 100 */
  maxPendingInvites?: number;
  /** Unexpired SDK keys one company holds; past it a new one answers 429 RATE_LIMITED. @default 100 */
  maxApiKeys?: number;
  /** log2 of scrypt's N for new password hashes (10 to 20). @default 17, OWASP's setting */
  passwordHashCost?: number;
  /** Password hashes run at once, and waiting; past both, a sign-in answers 429 RATE_LIMITED. @default 2 and 8 */
  passwordHashes?: HashSlots;
}

const id = (prefix: string) => `${prefix}_${randomBytes(6).toString('hex')}`;

export class Tours {
  readonly users = new Map<string, User>();
  readonly byEmail = new Map<string, string>();
  readonly tenants = new Map<string, Tenant>();
  /** Accepted SDK events, until the analytics pipeline drains them. */
  readonly events: EventBuffer;
  readonly #secret = randomBytes(32);
  /**
   * Live sessions by id: one per sign-in, carried on by its refresh token and named in every access token
   * it mints. Logout ends one, a password reset all of an account's: their access tokens stop at once.
   * `generation` counts the session's refreshes: only the refresh token of the current one is live.
   */
  readonly #sessions = new Map<string, { user: string; generation: number; expires: number }>();
  readonly #sessionsOf = new Map<string, Set<string>>();
  readonly #resets = new Map<string, { user: string; expires: number }>();
  /** The one reset token each user may hold: a new one replaces it, so resets stay one per user. */
  readonly #resetOf = new Map<string, string>();
  /** Pending invites by token, oldest first: all live as long, so this is also the order they expire in. */
  readonly #invites = new Map<string, { tenant: string; email: string; role: Role; expires: number }>();
  /** The pending invites of each company, oldest first, to count them against the company's cap. */
  readonly #invitesOf = new Map<string, Set<string>>();
  /** SDK keys by the hash of the key: a lookup never walks the companies. */
  readonly #keys = new Map<string, { tenant: string; id: string }>();
  /** The hash each key record is found under in `#keys`: revoking or forgetting a key walks nothing. */
  readonly #hashOf = new WeakMap<ApiKey, string>();
  readonly #caps: {
    tenants: number;
    users: number;
    flows: number;
    audiences: number;
    invites: number;
    apiKeys: number;
  };
  readonly #sink: EventSink;
  readonly #passwords: PasswordHasher;

  constructor(
    private readonly clock: Clock,
    options: ToursOptions = {},
  ) {
    this.#caps = {
      tenants: options.maxTenants ?? 10_000,
      users: options.maxUsers ?? 100_000,
      flows: options.maxFlows ?? 1000,
      audiences: options.maxAudiences ?? 200,
      invites: options.maxPendingInvites ?? 100,
      apiKeys: options.maxApiKeys ?? 100,
    };
    this.#passwords = new PasswordHasher(
      () => errors.create('RATE_LIMITED', undefined, { headers: { 'retry-after': '1' } }),
      options.passwordHashCost,
      options.passwordHashes,
    );
    this.events = new EventBuffer(options.eventBuffer ?? 100_000, options.eventBytes);
    this.#sink = options.eventSink ?? this.events;
  }

  // Registration and sign-in

  async register(email: string, password: string, company: string): Promise<{ user: User; tenant: Tenant }> {
    this.#canRegister(email, company);
    // The hash is awaited before anything is stored, and the checks run again after it: another
    // registration of the address or the company may have landed meanwhile.
    const passwordHash = await this.#passwords.hash(password);
    this.#canRegister(email, company);
    // Both rows or neither: a company that cannot be stored leaves no orphan user behind (and `#addUser`
    // refuses before storing anything). A full instance is the page's registration that cannot be
    // completed, logged as an error: the operator has a limit to raise.
    if (this.tenants.size >= this.#caps.tenants)
      throw instanceFull(`tenant store full (${this.#caps.tenants})`);
    const user = this.#addUser({ id: id('usr'), email, provider: 'password', passwordHash });
    const tenant = this.createTenant(company, user.id);
    return { user, tenant };
  }

  #canRegister(email: string, company: string): void {
    if (this.byEmail.has(email.toLowerCase())) throw errors.create('EMAIL_EXISTS');
    if ([...this.tenants.values()].some((t) => t.name.toLowerCase() === company.toLowerCase()))
      throw errors.create('TENANT_EXISTS');
  }

  /**
   * Google sign-in with an identity whose ID token was verified: its account, created on first sign-in.
   * An address registered with a password is refused, as a Google account is at password login.
   */
  signInWithGoogle(identity: GoogleIdentity): User {
    if (!identity.emailVerified) throw errors.create('AUTH_INVALID_TOKEN');
    const existing = this.users.get(this.byEmail.get(identity.email.toLowerCase()) ?? '');
    if (!existing)
      return this.#addUser({
        id: id('usr'),
        email: identity.email,
        provider: 'google',
        googleSub: identity.sub,
      });
    if (existing.provider !== 'google') throw errors.create('AUTH_PROVIDER_MISMATCH');
    // The address now belongs to another Google account than the one that signed up with it.
    if (existing.googleSub !== identity.sub) throw errors.create('AUTH_INVALID_CREDENTIALS');
    return existing;
  }

  async login(email: string, password: string): Promise<User> {
    const user = this.users.get(this.byEmail.get(email.toLowerCase()) ?? '');
    // An unknown address (or a Google account) costs the hash a known one does: the answer's time tells no
    // one who has an account.
    const stored = user?.provider === 'password' ? user.passwordHash : undefined;
    const { ok, rehashed } = await this.#passwords.verify(password, stored);
    if (!user) throw errors.create('AUTH_INVALID_CREDENTIALS');
    if (user.provider !== 'password') throw errors.create('AUTH_PROVIDER_MISMATCH');
    // A password reset while the hash ran has ended every session and made the checked one stale: a
    // session issued now, for the old password, would outlive the reset.
    if (!ok || user.passwordHash !== stored) throw errors.create('AUTH_INVALID_CREDENTIALS');
    // A hash made at an older cost is made again at the current one.
    if (rehashed !== undefined) user.passwordHash = rehashed;
    return user;
  }

  createTenant(name: string, owner: string): Tenant {
    const tenant: Tenant = {
      id: id('ten'),
      name,
      members: new Map([[owner, 'owner']]),
      audiences: new Map(),
      flows: new Map(),
      apiKeys: new Map(),
    };
    this.tenants.set(tenant.id, tenant);
    return tenant;
  }

  // Tokens: access tokens are `base64url(json).signature`, each naming its session; refresh tokens are
  // `session.generation.signature`, single-use, and carry their session on. A refresh token names its
  // session even once rotated, so that its reuse can end that session without a record of old tokens.

  /** A new session of `user`, or the next tokens of session `sid` (a refresh). */
  issue(user: User, sid?: string): { access: string; refresh: string } {
    const now = this.clock.now();
    const session = sid ?? id('ses');
    if (sid === undefined) this.#open(user.id, session);
    const generation = sid === undefined ? 0 : this.#sessions.get(sid)!.generation + 1;
    this.#sessions.set(session, { user: user.id, generation, expires: now + refreshTtl });
    const refresh = `${session}.${generation}.${this.#mac(refreshClaim(session, String(generation)))}`;
    const access = this.#sign({ sub: user.id, sid: session, exp: now + accessTtl, jti: id('jti') });
    return { access, refresh };
  }

  verify(token: string | undefined): User {
    if (!token) throw errors.create('AUTH_NO_TOKEN');
    // Exactly `payload.signature`: a token with anything after its signature is malformed, not this one.
    const [payload, signature, ...rest] = token.split('.');
    if (!payload || !signature || rest.length > 0 || !safeEqual(signature, this.#mac(payload)))
      throw errors.create('AUTH_INVALID_TOKEN');
    let claims: { sub: string; sid: string; exp: number };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw errors.create('AUTH_INVALID_TOKEN');
    }
    if (claims.exp <= this.clock.now()) throw errors.create('AUTH_INVALID_TOKEN');
    const session = this.#sessions.get(claims.sid);
    // Signed by this server, unexpired, but its session was ended (logout, password reset) or has expired.
    if (!session || session.user !== claims.sub || session.expires <= this.clock.now())
      throw errors.create('AUTH_TOKEN_REVOKED');
    const user = this.users.get(claims.sub);
    if (!user) throw errors.create('AUTH_INVALID_TOKEN');
    return user;
  }

  /** Ends the session a verified access token belongs to: its access and refresh tokens alike. */
  revoke(token: string): void {
    const [payload] = token.split('.');
    try {
      this.#end(JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')).sid);
    } catch {
      // A token that does not parse was never valid: nothing to revoke.
    }
  }

  refresh(token: string | undefined): { access: string; refresh: string } {
    if (!token) throw errors.create('AUTH_NO_REFRESH_TOKEN');
    const presented = this.#readRefresh(token);
    const session = presented && this.#sessions.get(presented.sid);
    if (!presented || !session) throw errors.create('AUTH_INVALID_REFRESH_TOKEN');
    // A token this server issued for the session, but not its current one, was already used: whoever
    // holds the current one (the owner or a thief) is not the only holder. The session ends for both
    // (refresh token rotation, OAuth 2.0 Security BCP, RFC 9700 §4.14.2).
    if (presented.generation !== session.generation || session.expires <= this.clock.now()) {
      this.#end(presented.sid);
      throw errors.create('AUTH_INVALID_REFRESH_TOKEN');
    }
    return this.issue(this.users.get(session.user)!, presented.sid);
  }

  /** The session and generation a refresh token signed by this server names; undefined for any other. */
  #readRefresh(token: string): { sid: string; generation: number } | undefined {
    const [sid, generation, signature, ...rest] = token.split('.');
    if (!sid || !generation || !signature || rest.length > 0 || !/^\d{1,9}$/.test(generation))
      return undefined;
    if (!safeEqual(signature, this.#mac(refreshClaim(sid, generation)))) return undefined;
    return { sid, generation: Number(generation) };
  }

  /** Ends every session of `user` (OWASP: after a password reset or change). */
  endSessions(user: string): void {
    for (const sid of [...(this.#sessionsOf.get(user) ?? [])]) this.#end(sid);
  }

  #open(user: string, sid: string): void {
    const mine = this.#sessionsOf.get(user) ?? new Set<string>();
    this.#sessionsOf.set(user, mine);
    // The account's expired sessions go first, then the oldest past the cap: memory stays bounded per account.
    for (const old of [...mine])
      if ((this.#sessions.get(old)?.expires ?? 0) <= this.clock.now()) this.#end(old);
    for (const old of mine) {
      if (mine.size < maxSessions) break;
      this.#end(old);
    }
    mine.add(sid);
  }

  #end(sid: string): void {
    const session = this.#sessions.get(sid);
    if (!session) return;
    this.#sessions.delete(sid);
    const mine = this.#sessionsOf.get(session.user);
    mine?.delete(sid);
    if (mine?.size === 0) this.#sessionsOf.delete(session.user);
  }

  // Password resets and invites: single-use tokens sent by mail.

  /** A reset token for the account of `email` and its address, or undefined when there is none. */
  forgot(email: string): { token: string; to: string } | undefined {
    const user = this.byEmail.get(email.toLowerCase());
    if (!user) return undefined;
    const previous = this.#resetOf.get(user);
    if (previous !== undefined) this.#resets.delete(previous);
    const token = randomBytes(24).toString('base64url');
    this.#resets.set(token, { user, expires: this.clock.now() + 60 * 60_000 });
    this.#resetOf.set(user, token);
    return { token, to: this.users.get(user)!.email };
  }

  async reset(token: string, password: string): Promise<void> {
    this.#resetEntry(token);
    // The token is spent once the new hash is made, not before: a reset refused while the hashes are
    // queued (429) keeps its token for the retry. The token is read again then: of two requests that
    // carry it, the first to finish its hash spends it and the other is refused.
    const passwordHash = await this.#passwords.hash(password);
    const entry = this.#resetEntry(token);
    this.#resets.delete(token);
    if (this.#resetOf.get(entry.user) === token) this.#resetOf.delete(entry.user);
    const user = this.users.get(entry.user)!;
    user.passwordHash = passwordHash;
    // The reset proves the address: whoever signed in before it (an account pre-registered by someone
    // else, a stolen session) is signed out everywhere.
    this.endSessions(user.id);
  }

  /** The live entry of a reset token; an unknown or lapsed one is the page's INVALID_RESET_TOKEN. */
  #resetEntry(token: string): { user: string; expires: number } {
    const entry = this.#resets.get(token);
    if (!entry || entry.expires <= this.clock.now()) {
      if (entry) {
        this.#resets.delete(token);
        if (this.#resetOf.get(entry.user) === token) this.#resetOf.delete(entry.user);
      }
      throw errors.create('INVALID_RESET_TOKEN');
    }
    return entry;
  }

  /** A new invite of `tenant`; past the company's cap of pending invites, 429 until its oldest lapses. */
  invite(tenant: Tenant, email: string, role: Role): string {
    this.#sweepInvites();
    const pending = this.#invitesOf.get(tenant.id) ?? new Set<string>();
    if (pending.size >= this.#caps.invites) {
      const oldest = this.#invites.get(pending.values().next().value!)!;
      throw full('max-pending-invites', oldest.expires - this.clock.now());
    }
    const token = randomBytes(24).toString('base64url');
    this.#invites.set(token, {
      tenant: tenant.id,
      email: email.toLowerCase(),
      role,
      expires: this.clock.now() + inviteTtl,
    });
    this.#invitesOf.set(tenant.id, pending.add(token));
    return token;
  }

  /** Withdraws an invite whose mail could not be sent. */
  withdraw(token: string): void {
    this.#dropInvite(token);
  }

  accept(user: User, token: string): Tenant {
    this.#sweepInvites();
    const invite = this.#invites.get(token);
    if (!invite || invite.expires <= this.clock.now() || invite.email !== user.email.toLowerCase())
      throw errors.create('INVALID_INVITE_TOKEN');
    const tenant = this.tenants.get(invite.tenant);
    if (!tenant) throw errors.create('TENANT_NOT_FOUND');
    if (tenant.members.has(user.id)) throw errors.create('MEMBER_EXISTS');
    this.#dropInvite(token);
    tenant.members.set(user.id, invite.role);
    return tenant;
  }

  /** Forgets the invites that have lapsed: the oldest come first, so the walk stops at the first live one. */
  #sweepInvites(): void {
    const now = this.clock.now();
    for (const [token, invite] of this.#invites) {
      if (invite.expires > now) break;
      this.#dropInvite(token);
    }
  }

  #dropInvite(token: string): void {
    const invite = this.#invites.get(token);
    if (!invite) return;
    this.#invites.delete(token);
    const pending = this.#invitesOf.get(invite.tenant);
    pending?.delete(token);
    if (pending?.size === 0) this.#invitesOf.delete(invite.tenant);
  }

  // Company context: the `X-Tenant-ID` header, or the user's only company.

  tenantOf(user: User, header: string | undefined): { tenant: Tenant; role: Role } {
    if (header === undefined) {
      const mine = [...this.tenants.values()].filter((t) => t.members.has(user.id));
      if (mine.length !== 1) throw errors.create('MISSING_TENANT_ID');
      return { tenant: mine[0]!, role: mine[0]!.members.get(user.id)! };
    }
    // A company the caller is not a member of is answered as one that does not exist: a 403 would tell
    // any signed-in user which company ids are real.
    const tenant = this.tenants.get(header);
    const role = tenant?.members.get(user.id);
    if (!tenant || !role) throw errors.create('TENANT_NOT_FOUND');
    return { tenant, role };
  }

  requireAdmin(role: Role): void {
    if (role === 'member') throw errors.create('INSUFFICIENT_ROLE');
  }

  member(tenant: Tenant, userId: string): { id: string; email: string; role: Role } {
    const role = tenant.members.get(userId);
    const user = this.users.get(userId);
    if (!role || !user) throw errors.create('USER_NOT_FOUND');
    return { id: user.id, email: user.email, role };
  }

  /** A new audience of `tenant`; past the company's cap, 429. */
  addAudience(tenant: Tenant, name: string): Audience {
    if (tenant.audiences.size >= this.#caps.audiences) throw full('max-audiences');
    const audience = { id: id('aud'), name };
    tenant.audiences.set(audience.id, audience);
    return audience;
  }

  /** A new flow of `tenant`, for `audienceId` when given (an audience of that company); past the cap, 429. */
  addFlow(tenant: Tenant, input: Omit<Flow, 'id'>): Flow {
    if (input.audienceId !== undefined && !tenant.audiences.has(input.audienceId))
      throw errors.create('CONTENT_NOT_FOUND');
    if (tenant.flows.size >= this.#caps.flows) throw full('max-flows');
    const flow = { id: id('flow'), ...input };
    tenant.flows.set(flow.id, flow);
    return flow;
  }

  deleteAudience(tenant: Tenant, audienceId: string): void {
    if (!tenant.audiences.has(audienceId)) throw errors.create('CONTENT_NOT_FOUND');
    if ([...tenant.flows.values()].some((f) => f.audienceId === audienceId))
      throw errors.create('AUDIENCE_IN_USE');
    tenant.audiences.delete(audienceId);
  }

  // SDK: API keys and the event buffer.

  /**
   * A new SDK key of `tenant`, valid for `days`: the key is returned this once. The company's expired keys
   * are forgotten first; past its cap of unexpired ones, 429 until the soonest of them expires.
   */
  createApiKey(tenant: Tenant, days = apiKeyDays.default): { key: string } & ApiKey {
    const now = this.clock.now();
    for (const record of tenant.apiKeys.values()) if (record.expiresAt <= now) this.#dropKey(tenant, record);
    if (tenant.apiKeys.size >= this.#caps.apiKeys) {
      let soonest = Number.POSITIVE_INFINITY;
      for (const record of tenant.apiKeys.values()) soonest = Math.min(soonest, record.expiresAt);
      throw full('max-api-keys', soonest - now);
    }
    const key = `pk_${randomBytes(18).toString('hex')}`;
    const record: ApiKey = {
      id: id('key'),
      prefix: key.slice(0, 7),
      createdAt: now,
      expiresAt: now + days * day,
    };
    const keyHash = digest(key);
    tenant.apiKeys.set(record.id, record);
    this.#keys.set(keyHash, { tenant: tenant.id, id: record.id });
    this.#hashOf.set(record, keyHash);
    return { key, ...record };
  }

  /** Revokes a key of `tenant`; another company's key id is answered as one that does not exist. */
  revokeApiKey(tenant: Tenant, keyId: string): void {
    const record = tenant.apiKeys.get(keyId);
    if (!record) throw errors.create('NOT_FOUND');
    this.#dropKey(tenant, record);
  }

  /** Forgets a key: it stops authenticating at once, and nothing of it is kept. */
  #dropKey(tenant: Tenant, record: ApiKey): void {
    tenant.apiKeys.delete(record.id);
    const keyHash = this.#hashOf.get(record);
    if (keyHash !== undefined) this.#keys.delete(keyHash);
  }

  /** The id of a live SDK key, for keying its limit; the key itself otherwise (it is refused next). */
  keyIdOf(key: string | undefined): string | undefined {
    if (!key) return undefined;
    return this.#keys.get(digest(key))?.id ?? `unknown:${digest(key)}`;
  }

  /** The company and key id an SDK key belongs to; missing, unknown, revoked and expired keys alike fail. */
  tenantOfKey(key: string | undefined): { tenant: Tenant; keyId: string } {
    const entry = key ? this.#keys.get(digest(key)) : undefined;
    const tenant = entry && this.tenants.get(entry.tenant);
    const record = entry && tenant?.apiKeys.get(entry.id);
    if (!tenant || !record || record.expiresAt <= this.clock.now()) throw errors.create('AUTH_FAILED');
    return { tenant, keyId: record.id };
  }

  async ingest(events: readonly unknown[]): Promise<number> {
    await this.#sink.append(events);
    return events.length;
  }

  /** The companies `user` belongs to, with the role in each. */
  tenantsOf(user: User): { id: string; name: string; role: Role }[] {
    const mine: { id: string; name: string; role: Role }[] = [];
    for (const tenant of this.tenants.values()) {
      const role = tenant.members.get(user.id);
      if (role) mine.push({ id: tenant.id, name: tenant.name, role });
    }
    return mine;
  }

  /** Stores a new account; past the instance's cap, the page's REGISTRATION_FAILED. */
  #addUser(user: User): User {
    if (this.users.size >= this.#caps.users) throw instanceFull(`user store full (${this.#caps.users})`);
    this.users.set(user.id, user);
    this.byEmail.set(user.email.toLowerCase(), user.id);
    return user;
  }

  #sign(claims: object): string {
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${payload}.${this.#mac(payload)}`;
  }

  #mac(payload: string): string {
    return createHmac('sha256', this.#secret).update(payload).digest('base64url');
  }
}

/** The instance holds all the companies or accounts it may: the page's 500 REGISTRATION_FAILED. */
function instanceFull(reason: string) {
  return errors.create('REGISTRATION_FAILED', undefined, { cause: new RangeError(reason) });
}

/**
 * A company's collection is full: 429 RATE_LIMITED, the page's one answer for "too many", naming its
 * policy in `details.policies` as the rate limits' answers do (both raise the catalog's `rateLimited`
 * role). `Retry-After` only when waiting frees room (a pending invite lapses, an SDK key expires); a flow
 * or an audience makes room only by being deleted.
 */
function full(policy: string, freedInMs?: number): RoleError {
  const headers =
    freedInMs === undefined ? undefined : { 'retry-after': String(Math.max(1, Math.ceil(freedInMs / 1000))) };
  return new RoleError('rateLimited', { details: { policies: [policy] }, headers });
}

/** What a refresh token's signature covers; the prefix keeps it apart from access tokens (base64url has no `:`). */
function refreshClaim(sid: string, generation: string): string {
  return `refresh:${sid}.${generation}`;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
