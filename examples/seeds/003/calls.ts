/**
 * Where the gateway keeps its calls: sessions (call legs) and conference rooms with their members and the
 * per-app name index. In memory by default; in Redis with `REDIS_URL`, so that every gateway instance
 * sees the same sessions and rooms and a conference name is taken once across all of them.
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

export interface CallStore {
  getSession(uuid: string): Promise<Session | undefined>;
  putSession(session: Session): Promise<void>;
  deleteSession(uuid: string): Promise<void>;
  getRoom(id: string): Promise<Room | undefined>;
  /** Stores `room` unless its app has a room of that name: then the existing room's id. */
  claimRoom(room: Room): Promise<{ taken: string } | undefined>;
  deleteRoom(room: Room): Promise<void>;
  members(roomId: string): Promise<string[]>;
  addMember(roomId: string, uuid: string): Promise<void>;
  removeMember(roomId: string, uuid: string): Promise<void>;
}

/** Calls in Maps of this process. */
export function memoryCalls(): CallStore {
  const sessions = new Map<string, Session>();
  const rooms = new Map<string, Room & { members: Set<string> }>();
  const names = new Map<string, string>();
  const nameKey = (room: Room) => `${room.app}\n${room.name}`;
  return {
    getSession: async (uuid) => {
      const session = sessions.get(uuid);
      return session && structuredClone(session);
    },
    putSession: async (session) => {
      sessions.set(session.uuid, structuredClone(session));
    },
    deleteSession: async (uuid) => {
      sessions.delete(uuid);
    },
    getRoom: async (id) => {
      const room = rooms.get(id);
      return room && { id: room.id, app: room.app, name: room.name };
    },
    claimRoom: async (room) => {
      const taken = names.get(nameKey(room));
      if (taken !== undefined) return { taken };
      names.set(nameKey(room), room.id);
      rooms.set(room.id, { ...room, members: new Set() });
      return undefined;
    },
    deleteRoom: async (room) => {
      rooms.delete(room.id);
      if (names.get(nameKey(room)) === room.id) names.delete(nameKey(room));
    },
    members: async (roomId) => [...(rooms.get(roomId)?.members ?? [])],
    addMember: async (roomId, uuid) => {
      rooms.get(roomId)?.members.add(uuid);
    },
    removeMember: async (roomId, uuid) => {
      rooms.get(roomId)?.members.delete(uuid);
    },
  };
}

/** How long Redis keeps a call or a room nobody touches: a day, as no call lasts longer. */
const ttlSeconds = String(24 * 60 * 60);

/** Calls in Redis under `prefix`: a JSON string per session and room, a set of members, a name hash. */
export function redisCalls(send: RedisSend, prefix = 'gateway:'): CallStore {
  const sessionKey = (uuid: string) => `${prefix}call:${uuid}`;
  const roomKey = (id: string) => `${prefix}room:${id}`;
  const membersKey = (id: string) => `${prefix}room:${id}:members`;
  const namesKey = (app: string) => `${prefix}rooms:${app}`;
  const json = <T>(reply: unknown): T | undefined =>
    typeof reply === 'string' ? (JSON.parse(reply) as T) : undefined;
  return {
    async getSession(uuid) {
      return json<Session>(await send(['GET', sessionKey(uuid)], sessionKey(uuid)));
    },
    async putSession(session) {
      const key = sessionKey(session.uuid);
      await send(['SET', key, JSON.stringify(session), 'EX', ttlSeconds], key);
    },
    async deleteSession(uuid) {
      await send(['DEL', sessionKey(uuid)], sessionKey(uuid));
    },
    async getRoom(id) {
      return json<Room>(await send(['GET', roomKey(id)], roomKey(id)));
    },
    async claimRoom(room) {
      const names = namesKey(room.app);
      // HSETNX is the one atomic step: of two instances asked for one name at once, one wins.
      if ((await send(['HSETNX', names, room.name, room.id], names)) !== 1) {
        const taken = await send(['HGET', names, room.name], names);
        return { taken: String(taken) };
      }
      try {
        await send(['SET', roomKey(room.id), JSON.stringify(room), 'EX', ttlSeconds], roomKey(room.id));
      } catch (error) {
        await send(['HDEL', names, room.name], names).catch(() => {});
        throw error;
      }
      return undefined;
    },
    async deleteRoom(room) {
      await send(['DEL', roomKey(room.id)], roomKey(room.id));
      await send(['DEL', membersKey(room.id)], membersKey(room.id));
      const names = namesKey(room.app);
      if ((await send(['HGET', names, room.name], names)) === room.id)
        await send(['HDEL', names, room.name], names);
    },
    async members(roomId) {
      const reply = await send(['SMEMBERS', membersKey(roomId)], membersKey(roomId));
      return Array.isArray(reply) ? reply.map(String) : [];
    },
    async addMember(roomId, uuid) {
      await send(['SADD', membersKey(roomId), uuid], membersKey(roomId));
      await send(['EXPIRE', membersKey(roomId), ttlSeconds], membersKey(roomId));
    },
    async removeMember(roomId, uuid) {
      await send(['SREM', membersKey(roomId), uuid], membersKey(roomId));
    },
  };
}
