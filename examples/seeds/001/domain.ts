/**
 * The messaging platform of page 001, in memory: connectors (token, host domain, signing key, agent and
 * handoff settings), signed access tokens, and sessions kept as serialized records (as a shared store
 * would hold them) with their conversation and handoff state. A session expires after 10 minutes without
 * activity; its events are numbered by a cursor and kept (the newest `historyLimit`) for replay.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../shared/run.js';
import { errors } from './catalog.js';

export interface Connector {
  id: string;
  token: string;
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
  /** The last request or message on the session: it expires `sessionIdleMs` after. */
  lastActivity?: number;
  conversation: { state: 'none' } | { state: 'active'; id: string | undefined };
  handoff: string | undefined;
}

const tokenTtl = 15 * 60_000;

/** Options of the platform. */
export interface MessagingOptions {
  /** Sessions this instance can hold. @default 100 000 */
  maxSessions?: number;
  /** How long a session lives without activity, in ms. @default 600 000 (the page's ~10 minutes) */
  sessionIdleMs?: number;
  /** Events kept per session for replay; older ones are dropped. @default 500 */
  historyLimit?: number;
}

/** A conversation event as sent to the client, numbered by its cursor. */
export type CursorEvent = Record<string, unknown> & { cursor: number };

export class Messaging {
  readonly connectors = new Map<string, Connector>();
  /** Signing keys by id; a connector naming a key that was rotated out cannot get tokens. */
  readonly keyring = new Map<string, Buffer>([['k1', randomBytes(32)]]);
  /** Serialized session records, as a shared store holds them. */
  readonly records = new Map<string, string>();
  readonly #maxSessions: number;
  readonly #idleMs: number;
  readonly #historyLimit: number;
  readonly #history = new Map<string, { last: number; events: CursorEvent[] }>();

  constructor(
    private readonly clock: Clock,
    options: MessagingOptions = {},
  ) {
    this.#maxSessions = options.maxSessions ?? 100_000;
    this.#idleMs = options.sessionIdleMs ?? 10 * 60_000;
    this.#historyLimit = options.historyLimit ?? 500;
  }

  addConnector(init: Partial<Connector> & { host: string | undefined }): Connector {
    const connector: Connector = {
      id: `con_${randomBytes(4).toString('hex')}`,
      token: `ct_${randomBytes(12).toString('hex')}`,
      keyId: 'k1',
      handoff: undefined,
      ...init,
    };
    this.connectors.set(connector.id, connector);
    return connector;
  }

  /** `POST /api/v1/access-token`: the connector token and host, checked in the page's order. */
  accessToken(
    token: string | undefined,
    host: string | undefined,
  ): { access_token: string; expires_in: number } {
    if (!token || !host) throw errors.create('MISSING_AUTH_HEADERS');
    const connector = [...this.connectors.values()].find((c) => safeEqual(c.token, token));
    if (!connector) throw errors.create('CONNECTOR_TOKEN_NOT_FOUND');
    if (!connector.host) throw errors.create('CONNECTOR_HOST_MISSING');
    const wanted = host.toLowerCase();
    if (wanted !== connector.host && !wanted.endsWith(`.${connector.host}`))
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

  createSession(connector: Connector, streaming: boolean): SessionRecord {
    // Expired sessions nobody asked for again still hold their place: clear them before refusing.
    if (this.records.size >= this.#maxSessions) for (const id of [...this.records.keys()]) this.#expired(id);
    if (this.records.size >= this.#maxSessions)
      throw errors.create('SESSION_CREATION_FAILED', undefined, {
        cause: new RangeError('session store full'),
      });
    const record: SessionRecord = {
      id: randomUUID(),
      connector: connector.id,
      streaming,
      createdAt: this.clock.now(),
      lastActivity: this.clock.now(),
      conversation: { state: 'none' },
      handoff: undefined,
    };
    this.save(record);
    return record;
  }

  /**
   * The session `id` as `connector` may see it: `undefined` when it does not exist or belongs to another
   * connector, so that a caller cannot tell another tenant's session from one that never existed.
   */
  sessionOf(connector: Connector, id: string): SessionRecord | undefined {
    const record = this.#live(id);
    if (record?.connector !== connector.id) return undefined;
    this.#touch(record);
    return record;
  }

  /** The session a live connection works on: gone, expired or unreadable are the page's session-state errors. */
  session(id: string): SessionRecord {
    const record = this.#live(id);
    if (!record) throw errors.create('SESSION_STATE_NOT_FOUND');
    this.#touch(record);
    return record;
  }

  /** Ends a session: its record and its history go; a reconnect is refused as "session not found". */
  end(id: string): void {
    this.records.delete(id);
    this.#history.delete(id);
  }

  /** Numbers `event` with the session's next cursor and keeps it for replay; returns it as sent. */
  record(id: string, event: Record<string, unknown>): CursorEvent {
    let history = this.#history.get(id);
    if (!history) {
      history = { last: 0, events: [] };
      this.#history.set(id, history);
    }
    const numbered = { ...event, cursor: ++history.last };
    history.events.push(numbered);
    if (history.events.length > this.#historyLimit) history.events.shift();
    return numbered;
  }

  /** The kept events after `cursor` (0: all of them), oldest first. */
  replay(id: string, cursor: number): CursorEvent[] {
    return (this.#history.get(id)?.events ?? []).filter((event) => event.cursor > cursor);
  }

  /** The stored record, or undefined when there is none or it has been idle too long (then it goes). */
  #live(id: string): SessionRecord | undefined {
    const raw = this.records.get(id);
    if (raw === undefined) return undefined;
    let record: SessionRecord;
    try {
      record = JSON.parse(raw) as SessionRecord;
    } catch (cause) {
      throw errors.create('SESSION_RETRIEVAL_FAILED', undefined, { cause });
    }
    if (this.clock.now() - (record.lastActivity ?? record.createdAt) > this.#idleMs) {
      this.end(id);
      return undefined;
    }
    return record;
  }

  #expired(id: string): void {
    try {
      this.#live(id);
    } catch {
      // An unreadable record stays, answered as the page's retrieval error when asked for.
    }
  }

  #touch(record: SessionRecord): void {
    record.lastActivity = this.clock.now();
    this.save(record);
  }

  connectorOf(session: SessionRecord): Connector {
    const connector = this.connectors.get(session.connector);
    if (!connector) throw errors.create('CONNECTOR_NOT_FOUND');
    return connector;
  }

  save(record: SessionRecord): void {
    this.records.set(record.id, JSON.stringify(record));
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
