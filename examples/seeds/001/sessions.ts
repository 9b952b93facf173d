/**
 * Where seed 001 keeps its sessions: each session's record (serialized, as a shared store holds it) and its
 * replay history (the events a reconnect resumes after a cursor). A session expires `ttl` ms after its
 * last write, in either store, and belongs to an owner (its connector).
 *
 * Sessions are the owner's to mint, so each owner has its share: at most `maxSessionsPerOwner` live
 * sessions, or one connector would take every slot and the others get the page's 500. In either store a
 * history keeps at most `historyLimit` events and `maxHistoryBytesPerSession` bytes, its oldest going
 * first, so an owner holds at most its sessions times that. In memory the rest of the bound is stated
 * too: at most `maxSessions` sessions in all (expired and ended ones are dropped first), at most
 * `maxHistoryBytesPerOwner` of history per owner and `maxHistoryBytes` in all (past either, the sessions
 * written longest ago lose their oldest events first: an owner's own before anyone else's). In Redis
 * (`redis-sessions.ts`), every key expires with its session; the instance's `maxmemory` bounds the rest.
 */

/** A conversation event as sent to the client, numbered by its cursor. */
export type CursorEvent = Record<string, unknown> & { cursor: number };

/** What `create` did: stored the session, or refused it because the store or the owner's share is full. */
export type Created =
  | { created: true }
  | { created: false; full: 'store' }
  /** The owner holds its share; its session that expires first does so in `retryInMs`. */
  | { created: false; full: 'owner'; retryInMs: number };

/** A session store; every method rejects when the store cannot be reached. */
export interface SessionStore {
  /** Stores a new session of `owner` for `ttl` ms, within the store's bounds. */
  create(id: string, owner: string, record: string, ttl: number): Promise<Created>;
  /** The stored record, or undefined when there is none or it expired. */
  get(id: string): Promise<string | undefined>;
  /** Replaces the record of a live session and gives it `ttl` ms more; an expired one stays gone. */
  put(id: string, owner: string, record: string, ttl: number): Promise<void>;
  /** Removes the session and its history. */
  delete(id: string, owner: string): Promise<void>;
  /** Numbers `event` with the session's next cursor and keeps it; undefined when the session is gone. */
  append(
    id: string,
    owner: string,
    event: Record<string, unknown>,
    ttl: number,
  ): Promise<CursorEvent | undefined>;
  /** The kept events after `cursor`, oldest first. */
  replay(id: string, cursor: number): Promise<CursorEvent[]>;
}

/** The bounds of the memory store. */
export interface MemorySessionsOptions {
  /** Sessions held at once. @default 10 000 */
  maxSessions?: number;
  /** Live sessions per owner. @default 1 000 */
  maxSessionsPerOwner?: number;
  /** Events kept per session. @default 500 */
  historyLimit?: number;
  /** Bytes (of the events' JSON) kept per session; past it its oldest events go. @default 262 144 (256 KiB) */
  maxHistoryBytesPerSession?: number;
  /** Bytes (of the events' JSON) kept across all sessions. @default 67 108 864 (64 MiB) */
  maxHistoryBytes?: number;
  /** Bytes of history kept across one owner's sessions. @default an eighth of `maxHistoryBytes` */
  maxHistoryBytesPerOwner?: number;
  now?: () => number;
}

interface Entry {
  owner: Owner;
  record: string;
  expires: number;
  last: number;
  events: { event: CursorEvent; bytes: number }[];
  /** Bytes of `events`. */
  bytes: number;
}

/** An owner's live sessions in order of last write (so the first expires first), and their history bytes. */
interface Owner {
  name: string;
  sessions: Map<string, Entry>;
  bytes: number;
}

/** What the memory store holds now, for operators and tests. */
export interface MemorySessionsStats {
  sessions: number;
  events: number;
  historyBytes: number;
}

/** Sessions in Maps of this process, in order of last write: the oldest write comes first. */
export function memorySessions(
  options: MemorySessionsOptions = {},
): SessionStore & { stats(): MemorySessionsStats } {
  const maxSessions = options.maxSessions ?? 10_000;
  const perOwner = options.maxSessionsPerOwner ?? 1000;
  const historyLimit = options.historyLimit ?? 500;
  const sessionHistoryBytes = options.maxHistoryBytesPerSession ?? 256 * 1024;
  const maxHistoryBytes = options.maxHistoryBytes ?? 64 * 1024 * 1024;
  const ownerHistoryBytes = options.maxHistoryBytesPerOwner ?? Math.floor(maxHistoryBytes / 8);
  const now = options.now ?? Date.now;
  const sessions = new Map<string, Entry>();
  const owners = new Map<string, Owner>();
  let historyBytes = 0;
  let events = 0;

  const drop = (id: string, entry: Entry) => {
    sessions.delete(id);
    for (const kept of entry.events) historyBytes -= kept.bytes;
    events -= entry.events.length;
    const { owner } = entry;
    owner.sessions.delete(id);
    for (const kept of entry.events) owner.bytes -= kept.bytes;
    if (owner.sessions.size === 0) owners.delete(owner.name);
  };
  const shift = (entry: Entry) => {
    const oldest = entry.events.shift();
    if (oldest) {
      historyBytes -= oldest.bytes;
      entry.bytes -= oldest.bytes;
      entry.owner.bytes -= oldest.bytes;
      events--;
    }
  };
  const live = (id: string): Entry | undefined => {
    const entry = sessions.get(id);
    if (entry && entry.expires <= now()) {
      drop(id, entry);
      return undefined;
    }
    return entry;
  };
  // Re-inserting keeps both Maps in order of last write, so expired sessions are found at their heads.
  const refresh = (id: string, entry: Entry, ttl: number) => {
    entry.expires = now() + ttl;
    sessions.delete(id);
    sessions.set(id, entry);
    entry.owner.sessions.delete(id);
    entry.owner.sessions.set(id, entry);
  };
  const sweep = () => {
    const at = now();
    for (const [id, entry] of sessions) {
      if (entry.expires > at) break;
      drop(id, entry);
    }
  };
  // Past a budget, the sessions written longest ago give up their oldest events first.
  const trim = (written: Iterable<Entry>, over: () => boolean) => {
    for (const entry of written) {
      if (!over()) break;
      while (entry.events.length > 0 && over()) shift(entry);
    }
  };

  return {
    async create(id, name, record, ttl) {
      sweep();
      const owner = owners.get(name) ?? { name, sessions: new Map(), bytes: 0 };
      if (owner.sessions.size >= perOwner) {
        const first = owner.sessions.values().next().value as Entry;
        return { created: false, full: 'owner', retryInMs: Math.max(0, first.expires - now()) };
      }
      if (sessions.size >= maxSessions) return { created: false, full: 'store' };
      const entry: Entry = { owner, record, expires: now() + ttl, last: 0, events: [], bytes: 0 };
      sessions.set(id, entry);
      owner.sessions.set(id, entry);
      owners.set(name, owner);
      return { created: true };
    },
    async get(id) {
      return live(id)?.record;
    },
    async put(id, _owner, record, ttl) {
      const entry = live(id);
      if (!entry) return;
      entry.record = record;
      refresh(id, entry, ttl);
    },
    async delete(id) {
      const entry = sessions.get(id);
      if (entry) drop(id, entry);
    },
    async append(id, _owner, event, ttl) {
      const entry = live(id);
      if (!entry) return undefined;
      const numbered = { ...event, cursor: ++entry.last };
      const bytes = Buffer.byteLength(JSON.stringify(numbered));
      entry.events.push({ event: numbered, bytes });
      historyBytes += bytes;
      entry.bytes += bytes;
      entry.owner.bytes += bytes;
      events++;
      // The newest event stays whatever its size: it was sent, and a reconnect resumes after it.
      while (
        entry.events.length > historyLimit ||
        (entry.bytes > sessionHistoryBytes && entry.events.length > 1)
      )
        shift(entry);
      refresh(id, entry, ttl);
      const { owner } = entry;
      trim(owner.sessions.values(), () => owner.bytes > ownerHistoryBytes);
      trim(sessions.values(), () => historyBytes > maxHistoryBytes);
      return numbered;
    },
    async replay(id, cursor) {
      return (live(id)?.events ?? []).filter((kept) => kept.event.cursor > cursor).map((kept) => kept.event);
    },
    stats: () => ({ sessions: sessions.size, events, historyBytes }),
  };
}
