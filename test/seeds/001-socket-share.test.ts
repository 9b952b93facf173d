/**
 * Seed 001 over its socket, as it ships: a flood is closed rather than read and dropped for ever, a client
 * event is bounded (its size, `metadata.custom`'s keys), and a connector's sessions share a message rate
 * besides each session's own, since sessions are the connector's to mint.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SeedProcess, startSeed } from './harness.js';
import { connect, type Socket } from './ws.js';

const demoToken = `ct_${randomBytes(16).toString('hex')}`;
let seed: SeedProcess;
let accessToken = '';

beforeAll(async () => {
  seed = await startSeed('001', {
    ADMIN_API_KEY: randomBytes(24).toString('base64url'),
    DEMO_CONNECTOR_TOKEN: demoToken,
  });
  const issued = await fetch(`${seed.url}/api/v1/access-token`, {
    method: 'POST',
    headers: { 'x-token': demoToken, 'x-host': 'app.example.com' },
  });
  expect(issued.status).toBe(200);
  accessToken = ((await issued.json()) as { access_token: string }).access_token;
}, 60_000);
afterAll(async () => {
  await seed?.stop();
});

/** A socket on a new session of the demo connector. */
async function newSession(): Promise<Socket> {
  const made = await fetch(`${seed.url}/api/v1/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}` },
  });
  expect(made.status).toBe(200);
  const { session_id: id } = (await made.json()) as { session_id: string };
  const socket = await connect(`${seed.wsUrl}/api/v1/ws?session_id=${id}&access_token=${accessToken}`);
  if ('kind' in socket) throw new Error(`refused: ${socket.status} ${socket.body}`);
  return socket;
}

const rateLimited = {
  type: 'EVENT_TYPE_SYSTEM_MESSAGE',
  system_message: {
    level: 'SYSTEM_MESSAGE_LEVEL_ERROR',
    message: 'Rate limit exceeded — check the Retry-After header for when to retry',
  },
};
const invalid = 'Unknown event type or invalid message format';
const messageOf = (event: any): string | undefined => event?.system_message?.message;

describe('seed 001 socket limits', () => {
  it('answers an event over 32 KiB, or whose metadata.custom has more than 32 keys, as an invalid event', async () => {
    const socket = await newSession();
    const custom = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i]));
    socket.send({ type: 'EVENT_TYPE_USER_MESSAGE', text: 'hi', metadata: { custom } });
    expect(messageOf(await socket.next())).toBe(invalid);
    socket.send({
      type: 'EVENT_TYPE_USER_MESSAGE',
      text: 'hi',
      metadata: { custom: { pad: 'x'.repeat(33_000) } },
    });
    expect(messageOf(await socket.next())).toBe(invalid);
    // Within both, the event passes its schema: without an agent, the page's "no conversation" answer.
    delete custom.k32;
    socket.send({ type: 'EVENT_TYPE_USER_MESSAGE', text: 'hi', metadata: { custom } });
    expect(messageOf(await socket.next())).toBe('Error: Conversation not found');
    socket.ws.close();
  });

  it('drops messages over the rate, and closes a socket whose drops come to 100 (4429)', async () => {
    const socket = await newSession();
    for (let i = 0; i < 200; i++) socket.send({ type: 'EVENT_TYPE_TYPING' });
    expect(await socket.closed(5000)).toBe(4429);
    // Typing is never answered: the one event is the rate's, before the close.
    expect(socket.messages).toEqual([expect.objectContaining(rateLimited)]);
  });

  it("drops the messages of a connector's sessions past the connector's rate, each within its own", async () => {
    // 25 sessions each send their burst of 10 (within the session's rate, 250 in all) then 100 more, so
    // that each is closed once the messages it sent over a rate come to 100: every answer is in by then.
    // Events without a text are answered at once (a handler's answer still pending at the close is lost).
    const sockets: Socket[] = [];
    for (let i = 0; i < 25; i++) sockets.push(await newSession());
    for (const socket of sockets)
      for (let i = 0; i < 110; i++) socket.send({ type: 'EVENT_TYPE_USER_MESSAGE', id: `m${i}` });
    const closes = await Promise.all(sockets.map((s) => s.closed(10_000)));
    expect(new Set(closes)).toEqual(new Set([4429]));
    const answered = sockets.flatMap((s) => s.messages).filter((m) => messageOf(m) === invalid);
    // The connector's 200 at once (20 sessions' worth) and what refills while they are read; without the
    // connector's rate, all 250.
    expect(answered.length).toBeGreaterThanOrEqual(200);
    expect(answered.length).toBeLessThan(250);
  }, 30_000);
});
