/**
 * Conversation recordings, kept in one folder under ids the server makes (`rec_<uuid>.wav`). A request
 * names a conversation, never a file: the path comes from the id the conversation holds, and an id that
 * is not one the store made is refused before any path is built.
 */
import { randomUUID } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const recordingId = /^rec_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True when `bytes` is a RIFF/WAVE file (what `audio/wav` promises). */
export const isWave = (bytes: Buffer) =>
  bytes.length >= 12 &&
  bytes.toString('latin1', 0, 4) === 'RIFF' &&
  bytes.toString('latin1', 8, 12) === 'WAVE';

export class RecordingStore {
  constructor(readonly folder: string) {}

  /** Stores `audio` under a new id and returns the id. */
  async put(audio: Buffer): Promise<string> {
    const id = `rec_${randomUUID()}`;
    await writeFile(this.#path(id), audio, { flag: 'wx' });
    return id;
  }

  /** The audio of `id`; a file lost from the folder rejects (a server fault, not the caller's). */
  get(id: string): Promise<Buffer> {
    return readFile(this.#path(id));
  }

  async remove(id: string): Promise<void> {
    await rm(this.#path(id), { force: true });
  }

  #path(id: string): string {
    if (!recordingId.test(id)) throw new TypeError('not a recording id of this store');
    return join(this.folder, `${id}.wav`);
  }
}
