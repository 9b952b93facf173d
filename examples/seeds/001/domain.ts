/**
 * The messaging platform of page 001: connectors (a token kept as its digest, a host domain, the signing
 * key their access tokens use, handoff settings), the keyring, signed access tokens, and sessions with
 * their conversation and handoff state, kept in a `SessionStore`. A session expires after 10 minutes
 * without activity; its events are numbered by a cursor and kept for replay.
 */
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../shared/run.js';
import { errors } from './catalog.js';
import {
  type Created,
  type CursorEvent,
  type MemorySessionsOptions,
  memorySessions,
  type SessionStore,
} from './sessions.js';

export interface Connector {
  id: string;
  /** The registered host domain or app namespace; subdomains match. */
  host: string | undefined;
  /** The key id access tokens of this connector are signed with. */
  keyId: string;
  /** The handoff provider's settings, when live-agent handoff is configured. */
  handoff: { queue: string } | undefined;
}

export interface SessionRecord {
  id: string;
  connector: string;
  streaming: boolean;
  createdAt: number;
  conversation: { state: 'none' } | { state: 'active'; id: string | undefined };
  handoff: string | undefined;
}

const tokenTtl = 15 * 60_000;
const digest = (token: string) => createHash('sha256').update(token).digest('base64url');

/** A domain or app namespace, lower case: dot-separated labels of letters, digits and hyphens. */
export const domainPattern = /^[a-z0-9-]+(\.[a-z0-9-]+)*$/;
const isDomain = (host: string) => host.length <= 253 && domainPattern.test(host);

/** Options of the platform. */
export interface MessagingOptions extends Omit<MemorySessionsOptions, 'now'> {
  /** How long a session lives without activity, in ms. @default 600 000 (the page's ~10 minutes) */
  sessionIdleMs?: number;
  /** Where sessions live. @default a memory store bounded by `maxSessions`, `historyLimit`, `maxHistoryBytes` */
  sessions?: SessionStore;
}

export type { CursorEvent };

export class Messaging {
  readonly connectors = new Map<string, Connector>();
  /** Signing keys by id; a connector naming a key that was retired cannot get tokens. */
  readonly keyring = new Map<string, Buffer>([['k1', randomBytes(32)]]);
  readonly #tokens = new Map<string, string>();
  readonly #idleMs: number;
  readonly #store: SessionStore;

  constructor(
    private readonly clock: Clock,
    options: MessagingOptions = {},
  ) {
    this.#idleMs = options.sessionIdleMs ?? 10 * 60_000;
    this.#store =
      options.sessions ??
      memorySessions({
        ...definedOf(options, [
          'maxSessions',
          'maxSessionsPerOwner',
          'historyLimit',
          'maxHistoryBytesPerSession',
          'maxHistoryBytes',
          'maxHistoryBytesPerOwner',
        ]),
        now: () => clock.now(),
      });
  }

  // Connectors and signing keys, as the admin routes configure them.

  /** Adds a connector; its token is returned this once and kept only as a digest. */
  addConnector(init: Partial<Omit<Connector, 'id'>> & { host: string | undefined; token?: string }): {
    connector: Connector;
    token: string;
  } {
    const token = init.token ?? `ct_${randomBytes(16).toString('hex')}`;
    if (this.#tokens.has(digest(token))) throw new RangeError('connector token already in use');
    const connector: Connector = {
      id: `con_${randomBytes(6).toString('hex')}`,
      host: init.host,
      keyId: init.keyId ?? 'k1',
      handoff: init.handoff,
    };
    this.connectors.set(connector.id, connector);
    this.#tokens.set(digest(token), connector.id);
    return { connector, token };
  }

  /** Removes a connector: its token and access tokens stop working; its sessions answer "Connector not found". */
  removeConnector(id: string): boolean {
    if (!this.connectors.delete(id)) return false;
    for (const [hash, owner] of this.#tokens) if (owner === id) this.#tokens.delete(hash);
    return true;
  }

  /** A new signing key; its id is returned. */
  addKey(): string {
    const id = `k_${randomBytes(6).toString('hex')}`;
    this.keyring.set(id, randomBytes(32));
    return id;
  }

  /** Retires a key at once (as after a leak): tokens it signed stop verifying, connectors naming it get none. */
  retireKey(id: string): boolean {
    return this.keyring.delete(id);
  }

  /** `POST /api/v1/access-token`: the connector token and host, checked in the page's order. */
  accessToken(
    token: string | undefined,
    host: string | undefined,
  ): { access_token: string; expires_in: number } {
    if (!token || !host) throw errors.create('MISSING_AUTH_HEADERS');
    const connector = this.connectors.get(this.#tokens.get(digest(token)) ?? '');
    if (!connector) throw errors.create('CONNECTOR_TOKEN_NOT_FOUND');
    if (!connector.host) throw errors.create('CONNECTOR_HOST_MISSING');
    const wanted = host.toLowerCase();
    // Only a domain name can be the registered one or a subdomain of it: a suffix alone would pass
    // `evil.org,.example.com` or `.example.com`.
    if (!isDomain(wanted) || (wanted !== connector.host && !wanted.endsWith(`.${connector.host}`)))
      throw errors.create('CONNECTOR_VALIDATION_FAILED');
    const key = this.keyring.get(connector.keyId);
    if (!key)
      throw errors.create('ACCESS_TOKEN_CREATION_FAILED', undefined, {
        cause: new Error(`signing key ${connector.keyId} is not in the keyring`),
      });
    const payload = Buffer.from(
      JSON.stringify({ con: connector.id, kid: connector.keyId, exp: this.clock.now() + tokenTtl }),
    ).toString('base64url');
    const signature = createHmac('sha256', key).update(payload).digest('base64url');
    return { access_token: `${payload}.${signature}`, expires_in: tokenTtl / 1000 };
  }

  /** The connector an access token was issued to, or `undefined` for a malformed, forged or expired one. */
  verify(token: string): Connector | undefined {
    const [payload, signature] = token.split('.');
    if (!payload || !signature) return undefined;
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    // Any JSON parses, `null` and numbers included: only an object can carry the claims.
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return undefined;
    const { kid, con, exp } = claims as Record<string, unknown>;
    if (typeof kid !== 'string' || typeof con !== 'string') return undefined;
    const key = this.keyring.get(kid);
    if (!key || !safeEqual(signature, createHmac('sha256', key).update(payload).digest('base64url')))
      return undefined;
    if (typeof exp !== 'number' || exp <= this.clock.now()) return undefined;
    return this.connectors.get(con);
  }

  // Sessions

  async createSession(connector: Connector, streaming: boolean): Promise<SessionRecord> {
    const record: SessionRecord = {
      id: randomUUID(),
      connector: connector.id,
      streaming,
      createdAt: this.clock.now(),
      conversation: { state: 'none' },
      handoff: undefined,
    };
    let made: Created;
    try {
      made = await this.#store.create(record.id, connector.id, JSON.stringify(record), this.#idleMs);
    } catch (cause) {
      throw errors.create('SESSION_CREATION_FAILED', undefined, { cause });
    }
    if (made.created) return record;
    // A connector at its share is told when one of its sessions frees a place: the page's 429.
    if (made.full === 'owner')
      throw errors.create('SESSION_RATE_LIMITED', undefined, {
        headers: { 'retry-after': String(Math.max(1, Math.ceil(made.retryInMs / 1000))) },
      });
    throw errors.create('SESSION_CREATION_FAILED', undefined, {
      cause: new RangeError('session store full'),
    });
  }

  /**
   * The session `id` as `connector` may see it: `undefined` when it does not exist, expired or belongs to
   * another connector, so that a caller cannot tell another tenant's session from one that never existed.
   */
  async sessionOf(connector: Connector, id: string): Promise<SessionRecord | undefined> {
    const record = await this.#read(id);
    if (record?.connector !== connector.id) return undefined;
    await this.save(record);
    return record;
  }

  /**
   * Whether the session `id` belongs to `connector`, at the handshake: `'missing'` when it does not exist or
   * expired, `'foreign'` when it is another connector's (the page's "doesn't match the session", 401). The
   * caller proved its connector first, and session ids are random: no one learns of an id it did not hold.
   */
  async matchOf(connector: Connector, id: string): Promise<'own' | 'missing' | 'foreign'> {
    const record = await this.#read(id);
    if (!record) return 'missing';
    if (record.connector !== connector.id) return 'foreign';
    await this.save(record);
    return 'own';
  }

  /** The session a live connection works on: gone, expired or unreadable are the page's session-state errors. */
  async session(id: string): Promise<SessionRecord> {
    const record = await this.#read(id);
    if (!record) throw errors.create('SESSION_STATE_NOT_FOUND');
    await this.save(record);
    return record;
  }

  /** Ends a session: its record and its history go; a reconnect is refused as "session not found". */
  async end(id: string, connector: string): Promise<void> {
    try {
      await this.#store.delete(id, connector);
    } catch (cause) {
      throw errors.create('SESSION_RETRIEVAL_FAILED', undefined, { cause });
    }
  }

  /** Numbers `event` with the session's next cursor and keeps it for replay; undefined once the session is gone. */
  async record(
    id: string,
    connector: string,
    event: Record<string, unknown>,
  ): Promise<CursorEvent | undefined> {
    try {
      return await this.#store.append(id, connector, event, this.#idleMs);
    } catch (cause) {
      throw errors.create('SESSION_RETRIEVAL_FAILED', undefined, { cause });
    }
  }

  /** The kept events after `cursor` (0: all of them), oldest first. */
  async replay(id: string, cursor: number): Promise<CursorEvent[]> {
    try {
      return await this.#store.replay(id, cursor);
    } catch (cause) {
      throw errors.create('SESSION_RETRIEVAL_FAILED', undefined, { cause });
    }
  }

  connectorOf(session: SessionRecord): Connector {
    const connector = this.connectors.get(session.connector);
    if (!connector) throw errors.create('CONNECTOR_NOT_FOUND');
    return connector;
  }

  /** Stores `record` and gives the session its idle time again. */
  async save(record: SessionRecord): Promise<void> {
    try {
      await this.#store.put(record.id, record.connector, JSON.stringify(record), this.#idleMs);
    } catch (cause) {
      throw errors.create('SESSION_RETRIEVAL_FAILED', undefined, { cause });
    }
  }

  /** The stored record, or undefined when there is none or it has expired; a failed read is the page's 500. */
  async #read(id: string): Promise<SessionRecord | undefined> {
    try {
      const raw = await this.#store.get(id);
      return raw === undefined ? undefined : (JSON.parse(raw) as SessionRecord);
    } catch (cause) {
      throw errors.create('SESSION_RETRIEVAL_FAILED', undefined, { cause });
    }
  }
}

/** The options among `names` that are set, so that an unset one keeps the store's default. */
function definedOf<T extends object, K extends keyof T>(
  options: T,
  names: readonly K[],
): Partial<Pick<T, K>> {
  return Object.fromEntries(
    names.filter((n) => options[n] !== undefined).map((n) => [n, options[n]]),
  ) as Partial<Pick<T, K>>;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
