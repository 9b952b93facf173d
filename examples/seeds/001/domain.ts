/**
 * The messaging platform of page 001, in memory: connectors (token, host domain, signing key, agent and
 * handoff settings), signed access tokens, and sessions kept as serialized records (as a shared store
 * would hold them) with their conversation and handoff state.
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
  conversation: { state: 'none' } | { state: 'active'; id: string | undefined };
  handoff: string | undefined;
}

const tokenTtl = 15 * 60_000;

/** Options of the platform. */
export interface MessagingOptions {
  /** Sessions this instance can hold. @default 100 000 */
  maxSessions?: number;
}

export class Messaging {
  readonly connectors = new Map<string, Connector>();
  /** Signing keys by id; a connector naming a key that was rotated out cannot get tokens. */
  readonly keyring = new Map<string, Buffer>([['k1', randomBytes(32)]]);
  /** Serialized session records, as a shared store holds them. */
  readonly records = new Map<string, string>();
  readonly #maxSessions: number;

  constructor(
    private readonly clock: Clock,
    options: MessagingOptions = {},
  ) {
    this.#maxSessions = options.maxSessions ?? 100_000;
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
    if (this.records.size >= this.#maxSessions)
      throw errors.create('SESSION_CREATION_FAILED', undefined, {
        cause: new RangeError('session store full'),
      });
    const record: SessionRecord = {
      id: randomUUID(),
      connector: connector.id,
      streaming,
      createdAt: this.clock.now(),
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
    const raw = this.records.get(id);
    if (raw === undefined) return undefined;
    let record: SessionRecord;
    try {
      record = JSON.parse(raw) as SessionRecord;
    } catch (cause) {
      throw errors.create('SESSION_RETRIEVAL_FAILED', undefined, { cause });
    }
    return record.connector === connector.id ? record : undefined;
  }

  /** The session a live connection works on: gone, or unreadable, are the page's session-state errors. */
  session(id: string): SessionRecord {
    const raw = this.records.get(id);
    if (raw === undefined) throw errors.create('SESSION_STATE_NOT_FOUND');
    try {
      return JSON.parse(raw) as SessionRecord;
    } catch (cause) {
      throw errors.create('SESSION_RETRIEVAL_FAILED', undefined, { cause });
    }
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
