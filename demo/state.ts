import { randomUUID } from 'node:crypto';

/** A call session. */
export interface Session {
  id: string;
  appId: string;
  from: string;
  to: string;
  state: 'ringing' | 'answered' | 'ended';
  commands: { command: string; at: string }[];
}

/** A conference room. */
export interface Room {
  id: string;
  appId: string;
  name: string;
  sessionIds: string[];
}

/** The bounds of the demo's state. */
export interface DemoStateOptions {
  /** Sessions kept per app; past it, the app's oldest session is forgotten (a later read is 404). */
  maxSessionsPerApp?: number;
  /** Conference rooms kept per app; past it, the app's oldest room is forgotten. */
  maxRoomsPerApp?: number;
  /** Commands a session's history keeps; past it, the oldest are dropped. */
  maxCommands?: number;
}

/**
 * The demo's state, in memory: it needs no other service. Every part an app can grow is bounded: the
 * daily quota alone lets one app create 100 000 sessions a day, which would otherwise be kept for good.
 */
export class DemoState {
  readonly sessions = new Map<string, Session>();
  readonly rooms = new Map<string, Room>();
  /** Switches the store off, so the demo can show how an outage is answered. */
  available = true;
  // Each app's ids, oldest first (a Set keeps insertion order): what is forgotten first past a bound.
  readonly #sessionsOf = new Map<string, Set<string>>();
  readonly #roomsOf = new Map<string, Set<string>>();
  readonly #maxSessions: number;
  readonly #maxRooms: number;
  readonly #maxCommands: number;

  constructor(options: DemoStateOptions = {}) {
    this.#maxSessions = options.maxSessionsPerApp ?? 1000;
    this.#maxRooms = options.maxRoomsPerApp ?? 1000;
    this.#maxCommands = options.maxCommands ?? 100;
  }

  createSession(appId: string, from: string, to: string): Session {
    const session: Session = { id: randomUUID(), appId, from, to, state: 'ringing', commands: [] };
    this.sessions.set(session.id, session);
    keep(this.#sessionsOf, appId, session.id, this.#maxSessions, (id) => this.sessions.delete(id));
    return session;
  }

  createRoom(appId: string, name: string): Room {
    const room: Room = { id: randomUUID(), appId, name, sessionIds: [] };
    this.rooms.set(room.id, room);
    keep(this.#roomsOf, appId, room.id, this.#maxRooms, (id) => this.rooms.delete(id));
    return room;
  }

  /** Adds a command to a session's history, which keeps the latest ones. */
  record(session: Session, command: string): void {
    session.commands.push({ command, at: new Date().toISOString() });
    if (session.commands.length > this.#maxCommands) session.commands.shift();
  }

  /**
   * The session `id` of app `appId`, or undefined: another app's session is as absent as a missing one, so
   * that no app learns which ids exist in another.
   */
  sessionOf(appId: string, id: string): Session | undefined {
    const session = this.sessions.get(id);
    return session?.appId === appId ? session : undefined;
  }

  /** The room `id` of app `appId`, or undefined: another app's room is as absent as a missing one. */
  roomOf(appId: string, id: string): Room | undefined {
    const room = this.rooms.get(id);
    return room?.appId === appId ? room : undefined;
  }

  roomByName(appId: string, name: string): Room | undefined {
    for (const id of this.#roomsOf.get(appId) ?? []) {
      const room = this.rooms.get(id);
      if (room?.name === name) return room;
    }
    return undefined;
  }
}

/** Adds `id` to the app's ids, forgetting the oldest past `max`. */
function keep(
  byApp: Map<string, Set<string>>,
  appId: string,
  id: string,
  max: number,
  forget: (id: string) => void,
): void {
  let ids = byApp.get(appId);
  if (ids === undefined) {
    ids = new Set();
    byApp.set(appId, ids);
  }
  ids.add(id);
  for (const oldest of ids) {
    if (ids.size <= max) break;
    ids.delete(oldest);
    forget(oldest);
  }
}
