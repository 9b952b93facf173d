/**
 * Where the gateway keeps its calls: sessions (call legs) and conference rooms with their members and
 * their names, unique per app. In memory by default; in Redis with `REDIS_URL`, so that every gateway
 * instance sees the same sessions and rooms and a conference name is taken once across all of them.
 */
import type { RedisSend } from 'faultline/stores';

export interface Session {
  readonly uuid: string;
  readonly app: string;
  state: 'ringing' | 'answered';
  muted: boolean;
  room: string | undefined;
  playing: string[];
  recording: boolean;
}
export interface Room {
  readonly id: string;
  readonly app: string;
  readonly name: string;
}

/** A session change's outcome: the session as written, or why nothing was. */
export type Updated = Session | 'gone' | 'contended';

export interface CallStore {
  getSession(uuid: string): Promise<Session | undefined>;
  /** Stores a new session. */
  putSession(session: Session): Promise<void>;
  /**
   * Applies `change` to the session as stored and writes it, unless another write came first: then
   * applies it again to what that one wrote, `updateAttempts` times at most ('contended' past them).
   * 'gone' when the session has ended or expired: a change never brings it back. When `change` throws,
   * nothing is written.
   */
  updateSession(uuid: string, change: (session: Session) => Promise<void> | void): Promise<Updated>;
  deleteSession(session: Session): Promise<void>;
  getRoom(id: string): Promise<Room | undefined>;
  /** Stores `room` unless its app has a room of that name: then the existing room's id. */
  claimRoom(room: Room): Promise<{ taken: string } | undefined>;
  deleteRoom(room: Room): Promise<void>;
  members(roomId: string): Promise<string[]>;
  addMember(roomId: string, uuid: string): Promise<void>;
  removeMember(roomId: string, uuid: string): Promise<void>;
}

/** How many sessions and rooms the gateway keeps, and for how long a session nobody touches lives. */
export interface CallBounds {
  /** A session with no command for this long has ended: it answers "Session not found". @default 1 hour */
  idleTimeout?: number;
  /** Live sessions per app; a new one past it ends the app's least recently used. @default 1000 */
  maxSessionsPerApp?: number;
  /** Conference rooms per app; a new one past it destroys the app's oldest. @default 1000 */
  maxRoomsPerApp?: number;
}

/** How many times a session change is applied again when other writes keep coming first. */
const updateAttempts = 8;

export const defaultBounds = {
  idleTimeout: 60 * 60 * 1000,
  maxSessionsPerApp: 1000,
  maxRoomsPerApp: 1000,
} as const;

/**
 * Calls in Maps of this process, bounded: an ended session is deleted, an idle one expires, and each app
 * keeps at most `maxSessionsPerApp` sessions (a new one ends its least recently used) and
 * `maxRoomsPerApp` rooms (a new one destroys its oldest). Apps exist only through the admin API, so what
 * is held is at most apps × those bounds. No timer per session: expired sessions are dropped when read,
 * and the least recently used ones when any session is written.
 */
export function memoryCalls(bounds: CallBounds = {}, now: () => number = Date.now): CallStore {
  const idleTimeout = bounds.idleTimeout ?? defaultBounds.idleTimeout;
  const maxPerApp = bounds.maxSessionsPerApp ?? defaultBounds.maxSessionsPerApp;
  const maxRooms = bounds.maxRoomsPerApp ?? defaultBounds.maxRoomsPerApp;
  // Each app's rooms in order of creation: the first is the oldest.
  const roomsByApp = new Map<string, Map<string, true>>();
  // Both Maps are in order of last use: the first entry is the least recently used.
  const sessions = new Map<string, { session: Session; touched: number }>();
  const byApp = new Map<string, Map<string, true>>();
  const rooms = new Map<string, Room & { members: Set<string> }>();
  const names = new Map<string, string>();
  const nameKey = (room: Room) => `${room.app}\n${room.name}`;
  const drop = (uuid: string) => {
    const held = sessions.get(uuid);
    if (!held) return;
    sessions.delete(uuid);
    const app = byApp.get(held.session.app);
    app?.delete(uuid);
    if (app?.size === 0) byApp.delete(held.session.app);
    if (held.session.room !== undefined) rooms.get(held.session.room)?.members.delete(uuid);
  };
  const destroyRoom = (room: Room & { members: Set<string> }) => {
    for (const uuid of room.members) {
      const held = sessions.get(uuid);
      if (held?.session.room === room.id) held.session.room = undefined;
    }
    rooms.delete(room.id);
    if (names.get(nameKey(room)) === room.id) names.delete(nameKey(room));
    const owned = roomsByApp.get(room.app);
    owned?.delete(room.id);
    if (owned?.size === 0) roomsByApp.delete(room.app);
  };
  const expired = (touched: number) => now() - touched >= idleTimeout;
  const sweep = () => {
    for (const [uuid, held] of sessions) {
      if (!expired(held.touched)) break;
      drop(uuid);
    }
  };
  const live = (uuid: string) => {
    const held = sessions.get(uuid);
    if (held && expired(held.touched)) {
      drop(uuid);
      return undefined;
    }
    return held;
  };
  const store: CallStore = {
    getSession: async (uuid) => {
      const held = live(uuid);
      return held && structuredClone(held.session);
    },
    putSession: async (session) => {
      sweep();
      let app = byApp.get(session.app);
      if (!app) {
        app = new Map();
        byApp.set(session.app, app);
      }
      if (!app.has(session.uuid)) {
        for (const uuid of app.keys()) {
          if (app.size < maxPerApp) break;
          drop(uuid);
        }
      }
      sessions.delete(session.uuid);
      sessions.set(session.uuid, { session: structuredClone(session), touched: now() });
      app.delete(session.uuid);
      app.set(session.uuid, true);
    },
    updateSession: async (uuid, change) => {
      for (let attempt = 0; attempt < updateAttempts; attempt++) {
        const held = live(uuid);
        if (!held) return 'gone';
        const session = structuredClone(held.session);
        await change(session);
        // Every write stores a new entry: another one here is a write made while `change` ran.
        const current = sessions.get(uuid);
        if (!current) return 'gone';
        if (current === held) {
          await store.putSession(session);
          return session;
        }
      }
      return 'contended';
    },
    deleteSession: async (session) => {
      drop(session.uuid);
    },
    getRoom: async (id) => {
      const room = rooms.get(id);
      return room && { id: room.id, app: room.app, name: room.name };
    },
    claimRoom: async (room) => {
      const taken = names.get(nameKey(room));
      if (taken !== undefined) return { taken };
      let owned = roomsByApp.get(room.app);
      if (!owned) {
        owned = new Map();
        roomsByApp.set(room.app, owned);
      }
      for (const id of owned.keys()) {
        if (owned.size < maxRooms) break;
        const oldest = rooms.get(id);
        if (oldest) destroyRoom(oldest);
        else owned.delete(id);
      }
      names.set(nameKey(room), room.id);
      rooms.set(room.id, { ...room, members: new Set() });
      owned.set(room.id, true);
      return undefined;
    },
    deleteRoom: async (room) => {
      const held = rooms.get(room.id);
      if (held) destroyRoom(held);
    },
    members: async (roomId) => [...(rooms.get(roomId)?.members ?? [])].filter((uuid) => sessions.has(uuid)),
    addMember: async (roomId, uuid) => {
      rooms.get(roomId)?.members.add(uuid);
    },
    removeMember: async (roomId, uuid) => {
      rooms.get(roomId)?.members.delete(uuid);
    },
  };
  return store;
}

/** How long Redis keeps a room nobody touches: a day, as no call lasts longer. */
const roomTtlSeconds = 24 * 60 * 60;
/** How many times a name is claimed again when the room holding it is found gone. */
const claimAttempts = 3;

// Writes a session's JSON only while it is still the one the change was applied to. 1: written; 0: the
// session is gone (a hung-up call stays ended); -1: another command wrote it meanwhile.
const swapScript = `
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
if stored ~= ARGV[1] then return -1 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`;

// Gives a room name to room ARGV[1] when it is free, or held by ARGV[2], a room found gone. Otherwise
// answers the id of the room that holds it, and changes nothing.
const claimNameScript = `
local held = redis.call('GET', KEYS[1])
if held and held ~= ARGV[2] then return held end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
return ''
`;

// Frees a room's name, unless it names another room by now.
const releaseNameScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * Calls in Redis under `prefix`: a JSON string per session and room, a set of members, a key per room
 * name. A session expires with its idle timeout (Redis drops it), and each app's sessions are indexed in a
 * sorted set by last use, so that past `maxSessionsPerApp` the least recently used are ended; its rooms are
 * indexed by creation, so that past `maxRoomsPerApp` the oldest is destroyed. A room and its name expire
 * after a day; a name whose room is gone is free.
 */
export function redisCalls(send: RedisSend, prefix = 'gateway:', bounds: CallBounds = {}): CallStore {
  const idleTimeout = bounds.idleTimeout ?? defaultBounds.idleTimeout;
  const maxPerApp = bounds.maxSessionsPerApp ?? defaultBounds.maxSessionsPerApp;
  const maxRooms = bounds.maxRoomsPerApp ?? defaultBounds.maxRoomsPerApp;
  const appRoomsKey = (app: string) => `${prefix}rooms-by-age:${app}`;
  const sessionKey = (uuid: string) => `${prefix}call:${uuid}`;
  const appSessionsKey = (app: string) => `${prefix}calls:${app}`;
  const roomKey = (id: string) => `${prefix}room:${id}`;
  const membersKey = (id: string) => `${prefix}room:${id}:members`;
  // An app id has no colon: what follows the app's is the name, whatever it holds.
  const nameKey = (room: Room) => `${prefix}room-name:${room.app}:${room.name}`;
  const json = <T>(reply: unknown): T | undefined =>
    typeof reply === 'string' ? (JSON.parse(reply) as T) : undefined;
  /** Gives `room` its name: undefined, or the id of the live room that holds it. */
  const claimName = async (room: Room): Promise<string | undefined> => {
    const key = nameKey(room);
    let gone = '';
    for (let attempt = 0; attempt < claimAttempts; attempt++) {
      const held = await send(
        ['EVAL', claimNameScript, '1', key, room.id, gone, String(roomTtlSeconds)],
        key,
      );
      if (held === '') return undefined;
      if (await store.getRoom(String(held))) return String(held);
      gone = String(held);
    }
    return gone;
  };
  /** Indexes a new room by age; past the app's bound, its oldest rooms are destroyed. */
  const indexRoom = async (room: Room) => {
    const index = appRoomsKey(room.app);
    const now = Date.now();
    await send(['ZADD', index, String(now), room.id], index);
    // Rooms past their day are gone from Redis: their ids leave the index.
    await send(['ZREMRANGEBYSCORE', index, '-inf', `(${now - roomTtlSeconds * 1000}`], index);
    await send(['EXPIRE', index, String(roomTtlSeconds)], index);
    const held = Number(await send(['ZCARD', index], index));
    if (held > maxRooms) {
      const popped = await send(['ZPOPMIN', index, String(held - maxRooms)], index);
      const ids = Array.isArray(popped) ? popped.filter((_, i) => i % 2 === 0).map(String) : [];
      for (const id of ids) {
        const oldest = await store.getRoom(id);
        if (oldest) await store.deleteRoom(oldest);
      }
    }
  };
  const store: CallStore = {
    async getSession(uuid) {
      return json<Session>(await send(['GET', sessionKey(uuid)], sessionKey(uuid)));
    },
    async putSession(session) {
      const key = sessionKey(session.uuid);
      const index = appSessionsKey(session.app);
      const now = Date.now();
      try {
        await send(['SET', key, JSON.stringify(session), 'PX', String(idleTimeout)], key);
        await send(['ZADD', index, String(now), session.uuid], index);
        await send(['ZREMRANGEBYSCORE', index, '-inf', `(${now - idleTimeout}`], index);
        const held = Number(await send(['ZCARD', index], index));
        if (held > maxPerApp) {
          const popped = await send(['ZPOPMIN', index, String(held - maxPerApp)], index);
          const uuids = Array.isArray(popped) ? popped.filter((_, i) => i % 2 === 0).map(String) : [];
          for (const uuid of uuids) await send(['DEL', sessionKey(uuid)], sessionKey(uuid));
        }
        await send(['PEXPIRE', index, String(idleTimeout)], index);
      } catch (error) {
        // Answered 500, the session was never given to the client: kept, it would count toward the app's
        // bound (or outside it, unindexed) until its idle timeout.
        await store.deleteSession(session).catch(() => {});
        throw error;
      }
    },
    async updateSession(uuid, change) {
      const key = sessionKey(uuid);
      for (let attempt = 0; attempt < updateAttempts; attempt++) {
        const read = await send(['GET', key], key);
        if (typeof read !== 'string') return 'gone';
        const session = JSON.parse(read) as Session;
        await change(session);
        const written = Number(
          await send(['EVAL', swapScript, '1', key, read, JSON.stringify(session), String(idleTimeout)], key),
        );
        if (written === 0) return 'gone';
        if (written === 1) {
          // A use: the session moves to the end of its app's order, unless it has left it meanwhile.
          const index = appSessionsKey(session.app);
          await send(['ZADD', index, 'XX', String(Date.now()), uuid], index);
          await send(['PEXPIRE', index, String(idleTimeout)], index);
          return session;
        }
      }
      return 'contended';
    },
    // Every command of a clean-up is sent at once, in order: one that times out (a frozen Redis) does not keep
    // the next from being sent, and all of them run once Redis answers again.
    async deleteSession(session) {
      await Promise.all([
        send(['DEL', sessionKey(session.uuid)], sessionKey(session.uuid)),
        send(['ZREM', appSessionsKey(session.app), session.uuid], appSessionsKey(session.app)),
      ]);
    },
    async getRoom(id) {
      return json<Room>(await send(['GET', roomKey(id)], roomKey(id)));
    },
    async claimRoom(room) {
      const key = roomKey(room.id);
      // The room first, then its name: a name never names a room still being made, so a name whose room
      // is gone is free (the room's day is over, or it is being stopped).
      try {
        // Inside: a write that timed out may still land, and is then cleaned up like the rest.
        await send(['SET', key, JSON.stringify(room), 'EX', String(roomTtlSeconds)], key);
        const taken = await claimName(room);
        if (taken !== undefined) {
          await send(['DEL', key], key);
          return { taken };
        }
        await indexRoom(room);
        return undefined;
      } catch (error) {
        // Answered 500, the room was never given to the client: kept, it would hold its name (a retry's
        // 409 would name it) and count toward the app's bound, or escape it unindexed. The room goes
        // first, so that its name is free even if releasing the name fails.
        await store.deleteRoom(room).catch(() => {});
        throw error;
      }
    },
    async deleteRoom(room) {
      await Promise.all([
        send(['DEL', roomKey(room.id)], roomKey(room.id)),
        send(['DEL', membersKey(room.id)], membersKey(room.id)),
        send(['ZREM', appRoomsKey(room.app), room.id], appRoomsKey(room.app)),
        send(['EVAL', releaseNameScript, '1', nameKey(room), room.id], nameKey(room)),
      ]);
    },
    async members(roomId) {
      const reply = await send(['SMEMBERS', membersKey(roomId)], membersKey(roomId));
      const listed = Array.isArray(reply) ? reply.map(String) : [];
      // A member whose session expired or was ended past its app's bound has left the room.
      const live: string[] = [];
      for (const uuid of listed) {
        if (Number(await send(['EXISTS', sessionKey(uuid)], sessionKey(uuid))) === 1) live.push(uuid);
        else await send(['SREM', membersKey(roomId), uuid], membersKey(roomId));
      }
      return live;
    },
    async addMember(roomId, uuid) {
      await send(['SADD', membersKey(roomId), uuid], membersKey(roomId));
      await send(['EXPIRE', membersKey(roomId), String(roomTtlSeconds)], membersKey(roomId));
    },
    async removeMember(roomId, uuid) {
      await send(['SREM', membersKey(roomId), uuid], membersKey(roomId));
    },
  };
  return store;
}
