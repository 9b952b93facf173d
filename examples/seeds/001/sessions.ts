/**
 * Where seed 001 keeps its sessions: each session's record (serialized, as a shared store holds it) and its
 * replay history (the events a reconnect resumes after a cursor). A session expires `ttl` ms after its
 * last write, in either store.
 *
 * In memory, the bound is stated: at most `maxSessions` sessions (expired and ended ones are dropped
 * first; past it a new session is refused), at most `historyLimit` events per session, and at most
 * `maxHistoryBytes` of history across all sessions (past it the sessions idle longest lose their oldest
 * events first). In Redis (`REDIS_URL`), every key expires with its session and a history is trimmed to
 * `historyLimit` events; the instance's `maxmemory` bounds the rest.
 */
import type { RedisSend } from 'faultline/stores';

/** A conversation event as sent to the client, numbered by its cursor. */
export type CursorEvent = Record<string, unknown> & { cursor: number };

/** A session store; every method rejects when the store cannot be reached. */
export interface SessionStore {
  /** Stores a new session for `ttl` ms; false when the store holds all it may. */
  create(id: string, record: string, ttl: number): Promise<boolean>;
  /** The stored record, or undefined when there is none or it expired. */
  get(id: string): Promise<string | undefined>;
  /** Replaces the record of a live session and gives it `ttl` ms more; an expired one stays gone. */
  put(id: string, record: string, ttl: number): Promise<void>;
  /** Removes the session and its history. */
  delete(id: string): Promise<void>;
  /** Numbers `event` with the session's next cursor and keeps it; undefined when the session is gone. */
  append(id: string, event: Record<string, unknown>, ttl: number): Promise<CursorEvent | undefined>;
  /** The kept events after `cursor`, oldest first. */
  replay(id: string, cursor: number): Promise<CursorEvent[]>;
}

/** The bounds of the memory store. */
export interface MemorySessionsOptions {
  /** Sessions held at once. @default 10 000 */
  maxSessions?: number;
  /** Events kept per session. @default 500 */
  historyLimit?: number;
  /** Bytes (of the events' JSON) kept across all sessions. @default 67 108 864 (64 MiB) */
  maxHistoryBytes?: number;
  now?: () => number;
}

interface Entry {
  record: string;
  expires: number;
  last: number;
  events: { event: CursorEvent; bytes: number }[];
}

/** What the memory store holds now, for operators and tests. */
export interface MemorySessionsStats {
  sessions: number;
  events: number;
  historyBytes: number;
}

/** Sessions in a Map of this process, in order of last write: the oldest write comes first. */
export function memorySessions(
  options: MemorySessionsOptions = {},
): SessionStore & { stats(): MemorySessionsStats } {
  const maxSessions = options.maxSessions ?? 10_000;
  const historyLimit = options.historyLimit ?? 500;
  const maxHistoryBytes = options.maxHistoryBytes ?? 64 * 1024 * 1024;
  const now = options.now ?? Date.now;
  const sessions = new Map<string, Entry>();
  let historyBytes = 0;
  let events = 0;

  const drop = (id: string, entry: Entry) => {
    sessions.delete(id);
    for (const kept of entry.events) historyBytes -= kept.bytes;
    events -= entry.events.length;
  };
  const shift = (entry: Entry) => {
    const oldest = entry.events.shift();
    if (oldest) {
      historyBytes -= oldest.bytes;
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
  // Re-inserting keeps the Map in order of last write, so expired sessions are found at its head.
  const refresh = (id: string, entry: Entry, ttl: number) => {
    entry.expires = now() + ttl;
    sessions.delete(id);
    sessions.set(id, entry);
  };
  const sweep = () => {
    const at = now();
    for (const [id, entry] of sessions) {
      if (entry.expires > at) break;
      drop(id, entry);
    }
  };

  return {
    async create(id, record, ttl) {
      sweep();
      if (sessions.size >= maxSessions) return false;
      sessions.set(id, { record, expires: now() + ttl, last: 0, events: [] });
      return true;
    },
    async get(id) {
      return live(id)?.record;
    },
    async put(id, record, ttl) {
      const entry = live(id);
      if (!entry) return;
      entry.record = record;
      refresh(id, entry, ttl);
    },
    async delete(id) {
      const entry = sessions.get(id);
      if (entry) drop(id, entry);
    },
    async append(id, event, ttl) {
      const entry = live(id);
      if (!entry) return undefined;
      const numbered = { ...event, cursor: ++entry.last };
      const bytes = Buffer.byteLength(JSON.stringify(numbered));
      entry.events.push({ event: numbered, bytes });
      historyBytes += bytes;
      events++;
      if (entry.events.length > historyLimit) shift(entry);
      refresh(id, entry, ttl);
      // Past the total, the sessions written longest ago give up their oldest events first.
      for (const other of sessions.values()) {
        if (historyBytes <= maxHistoryBytes) break;
        while (other.events.length > 0 && historyBytes > maxHistoryBytes) shift(other);
      }
      return numbered;
    },
    async replay(id, cursor) {
      return (live(id)?.events ?? []).filter((kept) => kept.event.cursor > cursor).map((kept) => kept.event);
    },
    stats: () => ({ sessions: sessions.size, events, historyBytes }),
  };
}

// One step, so that an event is never kept for a session that ended or expired meanwhile: the cursor and
// the history live only as long as the record does.
const appendScript = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local cursor = redis.call('INCR', KEYS[3])
redis.call('RPUSH', KEYS[2], cursor .. ' ' .. ARGV[1])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return cursor
`;

/** Sessions in Redis under `prefix`; a session's keys share a hash tag, so one script can touch them all. */
export function redisSessions(send: RedisSend, prefix = 'messaging:', historyLimit = 500): SessionStore {
  const keys = (id: string) => {
    const tag = `${prefix}{${id}}`;
    return { record: `${tag}:record`, history: `${tag}:history`, cursor: `${tag}:cursor` };
  };
  return {
    async create(id, record, ttl) {
      const { record: key } = keys(id);
      return (await send(['SET', key, record, 'PX', String(ttl), 'NX'], key)) === 'OK';
    },
    async get(id) {
      const { record: key } = keys(id);
      const reply = await send(['GET', key], key);
      return typeof reply === 'string' ? reply : undefined;
    },
    async put(id, record, ttl) {
      const { record: key } = keys(id);
      await send(['SET', key, record, 'PX', String(ttl), 'XX'], key);
    },
    async delete(id) {
      const k = keys(id);
      await send(['DEL', k.record, k.history, k.cursor], k.record);
    },
    async append(id, event, ttl) {
      const k = keys(id);
      const cursor = await send(
        [
          'EVAL',
          appendScript,
          '3',
          k.record,
          k.history,
          k.cursor,
          JSON.stringify(event),
          String(historyLimit),
          String(ttl),
        ],
        k.record,
      );
      return typeof cursor === 'number' ? { ...event, cursor } : undefined;
    },
    async replay(id, cursor) {
      const { history: key } = keys(id);
      const reply = await send(['LRANGE', key, '0', '-1'], key);
      const kept: CursorEvent[] = [];
      for (const line of Array.isArray(reply) ? reply : []) {
        const text = String(line);
        const space = text.indexOf(' ');
        const at = Number(text.slice(0, space));
        if (at > cursor) kept.push({ ...(JSON.parse(text.slice(space + 1)) as object), cursor: at });
      }
      return kept;
    },
  };
}
