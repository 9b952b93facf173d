/**
 * Seed 000's chat socket holds what its handshake checked for as long as it is open: a user removed (its
 * key no longer signs in over HTTP) ends its socket at the next message, with the page's 401 as the event
 * and its close code, and one account holds a bounded number of sockets over all its chats.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type LocalSeed, send000, startSeedInProcess } from './000-server.js';

let local: LocalSeed;

beforeAll(async () => {
  local = await startSeedInProcess({ chatSocketsPerAccount: 2, heartbeat: 200 });
});
afterAll(() => local?.close());

/** A new chat's socket URL (its key goes in `x-api-key`). */
async function chatUrl(): Promise<string> {
  const draft = await send000(local.url, 'POST', '/v1/projects/support-bot/drafts', {
    key: local.key,
    body: {},
  });
  const { id: draftId } = (await draft.json()) as { id: string };
  const chat = await send000(local.url, 'POST', '/v1/projects/support-bot/chats', {
    key: local.key,
    body: { draftId },
  });
  const { id } = (await chat.json()) as { id: string };
  return `${local.url.replace('http', 'ws')}/v1/chat?project=support-bot&chat=${id}`;
}

/** Opens a socket with `key`: the socket once open, or the handshake's refused status. */
function open(url: string, key: string): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { 'x-api-key': key } });
    const timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve(ws);
    });
    ws.once('unexpected-response', (_request, response) => {
      clearTimeout(timer);
      resolve(response.statusCode ?? 0);
      response.resume();
    });
    ws.on('error', () => {});
  });
}

/** The events a socket gets until it closes, and its close code; bounded at 5 s. */
function untilClosed(ws: WebSocket): Promise<{ events: Record<string, unknown>[]; code: number }> {
  const events: Record<string, unknown>[] = [];
  ws.on('message', (data) => events.push(JSON.parse(String(data)) as Record<string, unknown>));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('not closed within 5 s')), 5000);
    ws.once('close', (code) => {
      clearTimeout(timer);
      resolve({ events, code });
    });
  });
}

describe('seed 000 chat socket, past its handshake', () => {
  it("ends a removed user's socket at its next message, as its key ends at HTTP", async () => {
    const { user, key } = local.seed.auth.addUser({ account: 'demo', role: 'admin', realtime: true });
    const ws = await open(await chatUrl(), key);
    if (typeof ws === 'number') throw new Error(`handshake refused ${ws}`);
    const closed = untilClosed(ws);
    local.seed.auth.removeUser(user);
    const http = await send000(local.url, 'GET', '/v1/projects/support-bot/conversations', { key });
    expect(http.status).toBe(401);
    ws.send(JSON.stringify({ type: 'message', text: 'still here?' }));
    const { events, code } = await closed;
    expect(code).toBe(4401);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ success: false, data: null });
    expect(events.some((event) => event.type === 'reply')).toBe(false);
  });

  it("ends a removed user's idle socket at the next heartbeat, so that it holds no place", async () => {
    const { user, key } = local.seed.auth.addUser({ account: 'demo', role: 'admin', realtime: true });
    const ws = await open(await chatUrl(), key);
    if (typeof ws === 'number') throw new Error(`handshake refused ${ws}`);
    const closed = untilClosed(ws);
    local.seed.auth.removeUser(user);
    const { events, code } = await closed;
    expect(code).toBe(4401);
    expect(events).toHaveLength(1);
  });

  it('refuses a handshake 429 past the sockets one account holds over all its chats', async () => {
    const first = await open(await chatUrl(), local.key);
    const second = await open(await chatUrl(), local.key);
    expect([typeof first, typeof second]).toEqual(['object', 'object']);
    expect(await open(await chatUrl(), local.key)).toBe(429);
    // A socket closed frees its place.
    const closed = untilClosed(first as WebSocket);
    (first as WebSocket).close();
    await closed;
    // The server sees the close a moment after the client: a bounded retry, never a timing assumption.
    let again = await open(await chatUrl(), local.key);
    for (let i = 0; i < 20 && again === 429; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      again = await open(await chatUrl(), local.key);
    }
    expect(typeof again).toBe('object');
    (second as WebSocket).close();
    (again as WebSocket).close();
  });
});
