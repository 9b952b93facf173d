/**
 * The calls of the gateway: sessions (call legs) owned by the app that received them, and conference rooms
 * owned by the app that created them. Commands change a session's state; each refusal is the page's code.
 * The state lives in a `CallStore` (memory, or Redis shared by every instance).
 */
import { randomUUID } from 'node:crypto';
import type { CallStore, Room, Session } from './calls.js';
import { errors } from './catalog.js';

export type { Room, Session };

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
/**
 * A playlist's bounds. A session keeps its playlist while it plays, so that a 64 KiB body of tiny URLs
 * would hold far more than 64 KiB per session: a prompt list is a few files, and 2048 characters hold a
 * signed URL.
 */
export const maxUrls = 10;
export const maxUrlLength = 2048;
// The ids the gateway mints (`randomUUID`). Any other id names nothing, and is refused before it reaches
// the store, where it would be part of a key.
const mintedId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True when `id` has the shape of a session or room id the gateway mints. */
export const isMintedId = (id: string): boolean => mintedId.test(id);

export interface CommandBody {
  command_uid?: unknown;
  urls?: unknown;
  prompt_files?: unknown;
  room_id?: unknown;
}

/**
 * The refusals of a command that depend on nothing but the request: an unknown command, a malformed
 * `command_uid`, missing `urls` (or more of them, or longer, than a playlist holds), a `conference/join`
 * without a `room_id` string, recording switched off. They are checked before the command group's
 * cooldown, so a refused command does not start it.
 */
export function checkCommand(command: string, body: CommandBody, options: { recording: boolean }): Command {
  if (!isCommand(command)) throw errors.create('INVALID_COMMAND');
  if (
    body.command_uid !== undefined &&
    !(typeof body.command_uid === 'string' && commandUid.test(body.command_uid))
  )
    throw errors.create('INVALID_COMMAND_UID');
  if (command === 'playback/start' || command === 'play_and_get_digits') {
    const urls = body.urls ?? body.prompt_files;
    if (
      !Array.isArray(urls) ||
      urls.length === 0 ||
      urls.length > maxUrls ||
      !urls.every((u) => typeof u === 'string' && u.length <= maxUrlLength && httpUrl.test(u))
    )
      throw errors.create('URLS_REQUIRED');
  }
  // A join without a room is malformed, as a play without a playlist is; a room_id of no room is 404.
  if (command === 'conference/join' && typeof body.room_id !== 'string')
    throw errors.create('INVALID_REQUEST_BODY');
  if ((command === 'record/start' || command === 'record/stop') && !options.recording)
    throw errors.create('RECORDING_NOT_AVAILABLE');
  return command;
}

export class Gateway {
  constructor(
    readonly options: { recording: boolean },
    private readonly calls: CallStore,
  ) {}

  /** A call arriving for `app`: in production the telephony side creates it. */
  async receive(app: string): Promise<Session> {
    const session: Session = {
      uuid: randomUUID(),
      app,
      state: 'ringing',
      muted: false,
      room: undefined,
      playing: [],
      recording: false,
    };
    await this.calls.putSession(session);
    return session;
  }

  async session(app: string, uuid: string): Promise<Session> {
    const session = isMintedId(uuid) ? await this.calls.getSession(uuid) : undefined;
    if (!session) throw errors.create('SESSION_NOT_FOUND');
    if (session.app !== app) throw errors.create('SESSION_FORBIDDEN');
    await this.leaveDestroyedRoom(session);
    return session;
  }

  async room(app: string, id: string): Promise<Room & { members: string[] }> {
    const room = isMintedId(id) ? await this.calls.getRoom(id) : undefined;
    if (!room) throw errors.create('ROOM_NOT_FOUND');
    if (room.app !== app) throw errors.create('ROOM_FORBIDDEN');
    return { ...room, members: await this.calls.members(room.id) };
  }

  async createRoom(app: string, name: string): Promise<Room> {
    const room: Room = { id: randomUUID(), app, name };
    const claimed = await this.calls.claimRoom(room);
    if (claimed) throw errors.create('CONFERENCE_NAME_TAKEN', { room_id: claimed.taken });
    return room;
  }

  async stopRoom(app: string, id: string): Promise<void> {
    const room = await this.room(app, id);
    for (const uuid of room.members) {
      // A member hung up meanwhile stays ended; one left behind by a contended write leaves on its next read.
      await this.calls.updateSession(uuid, (session) => {
        if (session.room === room.id) session.room = undefined;
      });
    }
    await this.calls.deleteRoom(room);
  }

  /**
   * The refusals of a command that the session as stored decides before it runs: no such session, another
   * app's, a mute state already as asked. They come before the group's cooldown, as the request's own do: a
   * client that sends one mute twice is told it is already muted (the page's idempotency guard), not to wait.
   * `run` checks again as it writes.
   */
  async refuseByState(app: string, uuid: string, command: Command): Promise<void> {
    const session = await this.session(app, uuid);
    if ((command === 'mute' || command === 'unmute') && session.muted === (command === 'mute'))
      throw errors.create('MUTE_STATE_UNCHANGED');
  }

  async run(
    app: string,
    uuid: string,
    command: Command,
    body: CommandBody,
  ): Promise<{ session: string; command: Command; state: Session['state'] | 'ended' }> {
    const session = await this.session(app, uuid);
    if (command === 'hangup') {
      // An ended call is gone: later commands on it answer "Session not found".
      if (session.room !== undefined) await this.calls.removeMember(session.room, session.uuid);
      await this.calls.deleteSession(session);
      return { session: session.uuid, command, state: 'ended' };
    }
    // The command is applied to the session as it is stored when written: one sent at the same time as
    // another is applied after it, never over it, and never to a call hung up meanwhile.
    const updated = await this.calls.updateSession(uuid, (current) =>
      this.apply(app, current, command, body),
    );
    if (updated === 'gone') throw errors.create('SESSION_NOT_FOUND');
    // Commands kept coming in on this session faster than one could be written: it waits, as for a cooldown.
    if (updated === 'contended') throw errors.create('COMMAND_RATE_LIMITED');
    return { session: uuid, command, state: updated.state };
  }

  /** Changes `session` as `command` asks; what is refused throws, and nothing is written. */
  private async apply(
    app: string,
    session: Session,
    command: Exclude<Command, 'hangup'>,
    body: CommandBody,
  ): Promise<void> {
    await this.leaveDestroyedRoom(session);
    switch (command) {
      case 'answer':
        session.state = 'answered';
        break;
      case 'playback/start':
      case 'play_and_get_digits':
        session.playing = (body.urls ?? body.prompt_files) as string[];
        break;
      case 'playback/stop':
        session.playing = [];
        break;
      case 'record/start':
      case 'record/stop':
        session.recording = command === 'record/start';
        break;
      case 'mute':
      case 'unmute':
        if (session.muted === (command === 'mute')) throw errors.create('MUTE_STATE_UNCHANGED');
        session.muted = command === 'mute';
        break;
      case 'conference/join': {
        const room = await this.room(app, String(body.room_id));
        if (session.room !== undefined && session.room !== room.id)
          throw errors.create('SESSION_IN_OTHER_ROOM');
        session.room = room.id;
        await this.calls.addMember(room.id, session.uuid);
        break;
      }
      case 'conference/leave':
        if (session.room !== undefined) await this.calls.removeMember(session.room, session.uuid);
        session.room = undefined;
        break;
    }
  }

  /** A room destroyed past its app's bound (or stopped) leaves its members in no room. */
  private async leaveDestroyedRoom(session: Session): Promise<void> {
    if (session.room !== undefined && !(await this.calls.getRoom(session.room))) session.room = undefined;
  }
}
