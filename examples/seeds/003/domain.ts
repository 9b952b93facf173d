/**
 * The calls of the gateway: sessions (call legs) owned by the app that received them, and conference rooms
 * owned by the app that created them. Commands change a session's state; each refusal is the page's code.
 */
import { randomUUID } from 'node:crypto';
import { errors } from './catalog.js';

export interface Session {
  readonly uuid: string;
  readonly app: string;
  state: 'ringing' | 'answered' | 'ended';
  muted: boolean;
  room: string | undefined;
  playing: string[];
  recording: boolean;
}
export interface Room {
  readonly id: string;
  readonly app: string;
  readonly name: string;
  members: Set<string>;
}

/** The commands the gateway knows, by URL path, with the rate group each belongs to. */
export const commands = {
  answer: 'call',
  hangup: 'call',
  'playback/start': 'media',
  'playback/stop': 'media',
  play_and_get_digits: 'media',
  'record/start': 'record',
  'record/stop': 'record',
  mute: 'audio',
  unmute: 'audio',
  'conference/join': 'conference',
  'conference/leave': 'conference',
} as const;
export type Command = keyof typeof commands;

export const isCommand = (path: string): path is Command => Object.hasOwn(commands, path);

const commandUid = /^[\w.-]{1,128}$/;
const httpUrl = /^https?:\/\/\S+$/;

export interface CommandBody {
  command_uid?: unknown;
  urls?: unknown;
  prompt_files?: unknown;
  room_id?: unknown;
}

export class Gateway {
  readonly sessions = new Map<string, Session>();
  readonly rooms = new Map<string, Room>();

  constructor(readonly options: { recording: boolean }) {}

  /** A call arriving for `app`: in production the telephony side creates it. */
  receive(app: string): Session {
    const session: Session = {
      uuid: randomUUID(),
      app,
      state: 'ringing',
      muted: false,
      room: undefined,
      playing: [],
      recording: false,
    };
    this.sessions.set(session.uuid, session);
    return session;
  }

  session(app: string, uuid: string): Session {
    const session = this.sessions.get(uuid);
    if (!session || session.state === 'ended') throw errors.create('SESSION_NOT_FOUND');
    if (session.app !== app) throw errors.create('SESSION_FORBIDDEN');
    return session;
  }

  room(app: string, id: string): Room {
    const room = this.rooms.get(id);
    if (!room) throw errors.create('ROOM_NOT_FOUND');
    if (room.app !== app) throw errors.create('ROOM_FORBIDDEN');
    return room;
  }

  createRoom(app: string, name: string): Room {
    for (const room of this.rooms.values())
      if (room.app === app && room.name === name)
        throw errors.create('CONFERENCE_NAME_TAKEN', { room_id: room.id });
    const room: Room = { id: randomUUID(), app, name, members: new Set() };
    this.rooms.set(room.id, room);
    return room;
  }

  stopRoom(app: string, id: string): void {
    const room = this.room(app, id);
    for (const uuid of room.members) {
      const session = this.sessions.get(uuid);
      if (session) session.room = undefined;
    }
    this.rooms.delete(room.id);
  }

  run(
    app: string,
    uuid: string,
    command: string,
    body: CommandBody,
  ): { session: string; command: Command; state: Session['state'] } {
    if (!isCommand(command)) throw errors.create('INVALID_COMMAND');
    if (
      body.command_uid !== undefined &&
      !(typeof body.command_uid === 'string' && commandUid.test(body.command_uid))
    )
      throw errors.create('INVALID_COMMAND_UID');
    const session = this.session(app, uuid);
    switch (command) {
      case 'answer':
        session.state = 'answered';
        break;
      case 'hangup':
        session.state = 'ended';
        break;
      case 'playback/start':
      case 'play_and_get_digits': {
        const urls = body.urls ?? body.prompt_files;
        if (
          !Array.isArray(urls) ||
          urls.length === 0 ||
          !urls.every((u) => typeof u === 'string' && httpUrl.test(u))
        )
          throw errors.create('URLS_REQUIRED');
        session.playing = urls as string[];
        break;
      }
      case 'playback/stop':
        session.playing = [];
        break;
      case 'record/start':
      case 'record/stop':
        if (!this.options.recording) throw errors.create('RECORDING_NOT_AVAILABLE');
        session.recording = command === 'record/start';
        break;
      case 'mute':
      case 'unmute':
        if (session.muted === (command === 'mute')) throw errors.create('MUTE_STATE_UNCHANGED');
        session.muted = command === 'mute';
        break;
      case 'conference/join': {
        const room = this.room(app, String(body.room_id ?? ''));
        if (session.room !== undefined && session.room !== room.id)
          throw errors.create('SESSION_IN_OTHER_ROOM');
        session.room = room.id;
        room.members.add(session.uuid);
        break;
      }
      case 'conference/leave':
        if (session.room !== undefined) this.rooms.get(session.room)?.members.delete(session.uuid);
        session.room = undefined;
        break;
    }
    return { session: session.uuid, command, state: session.state };
  }
}
