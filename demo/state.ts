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

/** The demo's state, in memory: it needs no other service. */
export class DemoState {
  readonly sessions = new Map<string, Session>();
  readonly rooms = new Map<string, Room>();
  /** Switches the store off, so the demo can show how an outage is answered. */
  available = true;

  createSession(appId: string, from: string, to: string): Session {
    const session: Session = { id: randomUUID(), appId, from, to, state: 'ringing', commands: [] };
    this.sessions.set(session.id, session);
    return session;
  }

  createRoom(appId: string, name: string): Room {
    const room: Room = { id: randomUUID(), appId, name, sessionIds: [] };
    this.rooms.set(room.id, room);
    return room;
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
    for (const room of this.rooms.values()) if (room.appId === appId && room.name === name) return room;
    return undefined;
  }
}
