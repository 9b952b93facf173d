/**
 * Seed 001's sessions in Redis (`REDIS_URL`): a session's record, history, cursor and history size share a
 * hash tag, so that one script can touch them all; each owner's live sessions are a sorted set by expiry
 * under the owner's own tag, which every instance counts against (an owner is one connector id: this seed's
 * connectors are made per process, so two instances count two owners for what an admin set up twice). Times are Redis's own clock, so that
 * instances whose clocks differ agree on when a session expires.
 */
import type { RedisSend } from 'faultline/stores';
import type { Created, CursorEvent, SessionStore } from './sessions.js';

/** The bounds of the Redis store. */
export interface RedisSessionsOptions {
  /** The prefix of every key. @default 'messaging:' */
  prefix?: string;
  /** Events kept per session. @default 500 */
  historyLimit?: number;
  /** Bytes (of the events' JSON) kept per session; past it its oldest events go. @default 262 144 (256 KiB) */
  maxHistoryBytesPerSession?: number;
  /** Live sessions per owner. @default 1 000 */
  maxSessionsPerOwner?: number;
}

// One step, so that an event is never kept for a session that ended or expired meanwhile: the cursor, the
// history and its size in bytes (KEYS[4]) live only as long as the record does. Past the count or the bytes,
// the oldest events go; the newest stays whatever its size.
const appendScript = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local cursor = redis.call('INCR', KEYS[3])
local line = cursor .. ' ' .. ARGV[1]
local count = redis.call('RPUSH', KEYS[2], line)
local bytes = redis.call('INCRBY', KEYS[4], #line)
while count > 1 and (count > tonumber(ARGV[2]) or bytes > tonumber(ARGV[4])) do
  local oldest = redis.call('LPOP', KEYS[2])
  count = count - 1
  bytes = redis.call('DECRBY', KEYS[4], #oldest)
end
for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
return cursor
`;

const clock = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// Admits a session into its owner's share: -1, or the ms until the owner's first session expires.
const admitScript = `${clock}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(0, tonumber(first[2]) - now)
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return -1
`;

// Moves a live session's expiry in its owner's share; one that left the share (expired) stays out.
const touchScript = `${clock}
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/** Sessions in Redis under `prefix`. */
export function redisSessions(send: RedisSend, options: RedisSessionsOptions = {}): SessionStore {
  const prefix = options.prefix ?? 'messaging:';
  const historyLimit = options.historyLimit ?? 500;
  const sessionHistoryBytes = options.maxHistoryBytesPerSession ?? 256 * 1024;
  const perOwner = options.maxSessionsPerOwner ?? 1000;
  const keys = (id: string) => {
    const tag = `${prefix}{${id}}`;
    return {
      record: `${tag}:record`,
      history: `${tag}:history`,
      cursor: `${tag}:cursor`,
      bytes: `${tag}:bytes`,
    };
  };
  const share = (owner: string) => `${prefix}owner:{${owner}}:sessions`;
  const touch = async (id: string, owner: string, ttl: number) => {
    const key = share(owner);
    await send(['EVAL', touchScript, '1', key, id, String(ttl)], key);
  };
  return {
    async create(id, owner, record, ttl): Promise<Created> {
      const owned = share(owner);
      const wait = await send(['EVAL', admitScript, '1', owned, String(perOwner), id, String(ttl)], owned);
      if (typeof wait !== 'number')
        throw new TypeError(`unexpected reply to the session admission: ${typeof wait}`);
      if (wait >= 0) return { created: false, full: 'owner', retryInMs: wait };
      const { record: key } = keys(id);
      if ((await send(['SET', key, record, 'PX', String(ttl), 'NX'], key)) === 'OK') return { created: true };
      // Not stored (an id in use): it leaves the owner's share it was admitted into.
      await send(['ZREM', owned, id], owned);
      return { created: false, full: 'store' };
    },
    async get(id) {
      const { record: key } = keys(id);
      const reply = await send(['GET', key], key);
      return typeof reply === 'string' ? reply : undefined;
    },
    async put(id, owner, record, ttl) {
      const { record: key } = keys(id);
      if ((await send(['SET', key, record, 'PX', String(ttl), 'XX'], key)) === 'OK')
        await touch(id, owner, ttl);
    },
    async delete(id, owner) {
      const k = keys(id);
      await send(['DEL', k.record, k.history, k.cursor, k.bytes], k.record);
      const owned = share(owner);
      await send(['ZREM', owned, id], owned);
    },
    async append(id, owner, event, ttl) {
      const k = keys(id);
      const cursor = await send(
        [
          'EVAL',
          appendScript,
          '4',
          k.record,
          k.history,
          k.cursor,
          k.bytes,
          JSON.stringify(event),
          String(historyLimit),
          String(ttl),
          String(sessionHistoryBytes),
        ],
        k.record,
      );
      if (typeof cursor !== 'number') return undefined;
      await touch(id, owner, ttl);
      return { ...event, cursor };
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
