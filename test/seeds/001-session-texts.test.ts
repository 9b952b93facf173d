/**
 * Seed 001: page 001 names a gone session in three texts, one per surface: its HTTP errors table reads
 * 404 "Session not found", its WebSocket connection errors (a refused handshake) "session not found", and
 * its session-state errors (an event on an open socket) "Error: Session not found". One expired session,
 * asked about on each surface, answers each surface's own text.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SeedProcess, secret, startSeed } from './harness.js';
import { connect } from './ws.js';

const idleMs = 1500;
const demoToken = `ct_${randomBytes(16).toString('hex')}`;
let seed: SeedProcess;

async function post(path: string, headers: Record<string, string>): Promise<Record<string, string>> {
  const res = await fetch(`${seed.url}${path}`, { method: 'POST', headers });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Record<string, string>;
}

/** A new session of the demo connector and the access token that made it. */
async function newSession(): Promise<{ id: string; token: string }> {
  const { access_token: token } = await post('/api/v1/access-token', {
    'x-token': demoToken,
    'x-host': 'app.example.com',
  });
  const { session_id: id } = await post('/api/v1/sessions', { authorization: `Bearer ${token!}` });
  return { id: id!, token: token! };
}

beforeAll(async () => {
  seed = await startSeed('001', {
    ADMIN_API_KEY: secret(),
    DEMO_CONNECTOR_TOKEN: demoToken,
    SESSION_IDLE_MS: String(idleMs),
  });
}, 60_000);

afterAll(async () => {
  await seed?.stop();
});

describe('seed 001: a gone session in the text of each surface', () => {
  it('answers HTTP 404 "Session not found", the handshake "session not found", the socket "Error: Session not found"', async () => {
    const { id, token } = await newSession();
    const socket = await connect(`${seed.wsUrl}/api/v1/ws?session_id=${id}&access_token=${token}`);
    if ('kind' in socket) throw new Error(`handshake refused: ${socket.status} ${socket.body}`);
    try {
      // Idle past SESSION_IDLE_MS with the socket open: the session expires under it.
      await sleep(idleMs + 1000);
      socket.send({ type: 'EVENT_TYPE_USER_MESSAGE', text: 'hi' });
      const event = await socket.next((message) => message.type === 'EVENT_TYPE_SYSTEM_MESSAGE');
      expect(event.system_message).toEqual({
        level: 'SYSTEM_MESSAGE_LEVEL_ERROR',
        message: 'Error: Session not found',
      });
    } finally {
      socket.ws.close();
    }

    const read = await fetch(`${seed.url}/api/v1/sessions/${id}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(read.status).toBe(404);
    expect(await read.json()).toEqual({ error: 'Session not found' });

    const refused = await connect(`${seed.wsUrl}/api/v1/ws?session_id=${id}&access_token=${token}`);
    expect('kind' in refused && refused.status).toBe(404);
    if ('kind' in refused) expect(JSON.parse(refused.body)).toEqual({ error: 'session not found' });
  });
});
