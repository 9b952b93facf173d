/**
 * Seed 001: a session store that fails is named in the page's text for each surface. Over HTTP (a route
 * or a refused WebSocket handshake) it is the page's HTTP errors row, 500 "Server error — retry with
 * exponential backoff" ("Failed to create session" on `POST /api/v1/sessions`, that route's own row); on
 * an open socket it is the session-state event "Error: Unable to retrieve session". The seed runs in this
 * process on a memory store that the test can make fail; everything is asked over HTTP and WebSocket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start } from '../../examples/seeds/001/app.js';
import { memorySessions, type SessionStore } from '../../examples/seeds/001/sessions.js';
import { connect } from './ws.js';

/** The seed's memory store, whose every method rejects while `down` is set, as an unreachable one does. */
function failingStore(): { store: SessionStore; down: boolean } {
  const inner = memorySessions();
  const state = { down: false } as { store: SessionStore; down: boolean };
  const guarded =
    <A extends unknown[], R>(method: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      state.down ? Promise.reject(new Error('session store unreachable')) : method(...args);
  state.store = {
    create: guarded(inner.create),
    get: guarded(inner.get),
    put: guarded(inner.put),
    delete: guarded(inner.delete),
    append: guarded(inner.append),
    replay: guarded(inner.replay),
  };
  return state;
}

const sessions = failingStore();
let running: Awaited<ReturnType<typeof start>>;
const serverError = { error: 'Server error — retry with exponential backoff' };

async function post(path: string, headers: Record<string, string>) {
  const res = await fetch(`${running.url}${path}`, { method: 'POST', headers });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

/** A new session of a connector for example.com, and the access token that made it. */
async function newSession(): Promise<{ id: string; token: string }> {
  const { token: connectorToken } = running.seed.messaging.addConnector({ host: 'example.com' });
  const issued = await post('/api/v1/access-token', { 'x-token': connectorToken, 'x-host': 'example.com' });
  expect(issued.status).toBe(200);
  const token = issued.body.access_token!;
  const made = await post('/api/v1/sessions', { authorization: `Bearer ${token}` });
  expect(made.status).toBe(200);
  return { id: made.body.session_id!, token };
}

/** Runs `body` with the store down, and brings it back however `body` ends. */
async function withStoreDown<T>(body: () => Promise<T>): Promise<T> {
  sessions.down = true;
  try {
    return await body();
  } finally {
    sessions.down = false;
  }
}

beforeAll(async () => {
  running = await start(0, { sessions: sessions.store, log: () => {} });
});

afterAll(async () => {
  await running?.close();
});

describe('seed 001: a failed session store in the text of each surface', () => {
  it('answers GET /api/v1/sessions/:id 500 "Server error — retry with exponential backoff"', async () => {
    const { id, token } = await newSession();
    const read = await withStoreDown(() =>
      fetch(`${running.url}/api/v1/sessions/${id}`, { headers: { authorization: `Bearer ${token}` } }),
    );
    expect(read.status).toBe(500);
    expect(await read.json()).toEqual(serverError);
  });

  it('refuses a WebSocket handshake with 500 "Server error — retry with exponential backoff"', async () => {
    const { id, token } = await newSession();
    const refused = await withStoreDown(() =>
      connect(`${running.url.replace('http', 'ws')}/api/v1/ws?session_id=${id}&access_token=${token}`),
    );
    if (!('kind' in refused)) {
      refused.ws.close();
      throw new Error('the handshake was accepted with the store down');
    }
    expect(refused.status).toBe(500);
    expect(JSON.parse(refused.body)).toEqual(serverError);
  });

  it('keeps "Failed to create session" on POST /api/v1/sessions and the open socket\'s event', async () => {
    const { id, token } = await newSession();
    const socket = await connect(
      `${running.url.replace('http', 'ws')}/api/v1/ws?session_id=${id}&access_token=${token}`,
    );
    if ('kind' in socket) throw new Error(`handshake refused: ${socket.status} ${socket.body}`);
    try {
      const [created, event] = await withStoreDown(async () => {
        const made = await post('/api/v1/sessions', { authorization: `Bearer ${token}` });
        socket.send({ type: 'EVENT_TYPE_USER_MESSAGE', text: 'hi' });
        return [made, await socket.next((m) => m.type === 'EVENT_TYPE_SYSTEM_MESSAGE')] as const;
      });
      expect(created).toEqual({ status: 500, body: { error: 'Failed to create session' } });
      expect(event.system_message).toEqual({
        level: 'SYSTEM_MESSAGE_LEVEL_ERROR',
        message: 'Error: Unable to retrieve session',
      });
    } finally {
      socket.ws.close();
    }
  });
});
