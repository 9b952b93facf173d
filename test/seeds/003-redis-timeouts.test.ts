/**
 * Seed 003's Redis state when commands time out mid-write (a frozen Redis under the shipped client's
 * commandTimeout): a timed-out command still runs once Redis answers, so a write that failed must be
 * cleaned up whole, and a clean-up whose first command times out must still send the rest.
 */
import { randomUUID } from 'node:crypto';
import { redisSend } from 'faultline/stores';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisCalls, type Session } from '../../examples/seeds/003/calls.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';

let redis: RedisServer;
let client: Redis;
beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
}, 30_000);
afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

/**
 * A send whose commands named in `timeOut` run in Redis but answer as a timed-out command does: the first
 * time each is sent, the caller gets the timeout once Redis has run it.
 */
function timingOut(timeOut: Set<string>) {
  const send = redisSend(client);
  return async (args: string[], key: string) => {
    const reply = await send(args, key);
    const name = args[0]!.toUpperCase();
    if (timeOut.delete(name)) throw new Error('Command timed out');
    return reply;
  };
}

const session = (app: string): Session => ({
  uuid: randomUUID(),
  app,
  state: 'ringing',
  muted: false,
  room: undefined,
  playing: [],
  recording: false,
});

describe('seed 003 on Redis, commands that time out mid-write', () => {
  it('leaves no session nor index entry behind when the index write and the first clean-up time out', async () => {
    const prefix = `t${randomUUID().slice(0, 8)}:`;
    const calls = redisCalls(timingOut(new Set(['ZADD', 'DEL'])), prefix);
    const made = session('app-a');
    await expect(calls.putSession(made)).rejects.toThrow('timed out');
    expect(await client.exists(`${prefix}call:${made.uuid}`)).toBe(0);
    expect(await client.zscore(`${prefix}calls:app-a`, made.uuid)).toBeNull();
  });

  it('leaves no room behind when its own write times out', async () => {
    const prefix = `t${randomUUID().slice(0, 8)}:`;
    const calls = redisCalls(timingOut(new Set(['SET'])), prefix);
    const room = { id: randomUUID(), app: 'app-a', name: 'standup' };
    await expect(calls.claimRoom(room)).rejects.toThrow('timed out');
    expect(await client.exists(`${prefix}room:${room.id}`)).toBe(0);
  });
});
