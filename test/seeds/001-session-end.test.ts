/**
 * Seed 001: an error whose entry ends the session (`SESSION_STATE_NOT_FOUND`, `CONNECTOR_NOT_FOUND`,
 * `HANDOFF_INITIATION_FAILED`) is followed by `EVENT_TYPE_SESSION_END`, and the session is over: `GET
 * /api/v1/sessions/:id` answers the page's 404, a reconnect the handshake's 404, and every other socket of
 * the session gets the session end and closes. The seed runs in this process on a clock the test moves;
 * everything is asked over HTTP and WebSocket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start } from '../../examples/seeds/001/app.js';
import { connect, type Socket } from './ws.js';

let at = Date.now();
let running: Awaited<ReturnType<typeof start>>;

async function post(path: string, headers: Record<string, string>) {
  const res = await fetch(`${running.url}${path}`, { method: 'POST', headers });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Record<string, string>;
}

/** A new connector for example.com (no handoff), one of its sessions and the access token that made it. */
async function newSession(): Promise<{ id: string; token: string; connector: string }> {
  const { connector, token: connectorToken } = running.seed.messaging.addConnector({ host: 'example.com' });
  const { access_token: token } = await post('/api/v1/access-token', {
    'x-token': connectorToken,
    'x-host': 'example.com',
  });
  const { session_id: id } = await post('/api/v1/sessions', { authorization: `Bearer ${token!}` });
  return { id: id!, token: token!, connector: connector.id };
}

const socketUrl = (id: string, token: string) =>
  `${running.url.replace('http', 'ws')}/api/v1/ws?session_id=${id}&access_token=${token}`;

async function open(id: string, token: string): Promise<Socket> {
  const socket = await connect(socketUrl(id, token));
  if ('kind' in socket) throw new Error(`handshake refused: ${socket.status} ${socket.body}`);
  return socket;
}

const systemMessage = (message: any) => message.type === 'EVENT_TYPE_SYSTEM_MESSAGE';
const sessionEnd = (message: any) => message.type === 'EVENT_TYPE_SESSION_END';

/** The raising socket gets `text`, the session end and a close; its sibling the session end and a close. */
async function expectEnded(raising: Socket, sibling: Socket, text: string): Promise<void> {
  expect((await raising.next(systemMessage)).system_message.message).toBe(text);
  await raising.next(sessionEnd);
  expect(await raising.closed()).toBeGreaterThanOrEqual(4000);
  await sibling.next(sessionEnd);
  expect(await sibling.closed()).toBe(1000);
}

beforeAll(async () => {
  running = await start(0, { clock: { now: () => at }, log: () => {} });
});

afterAll(async () => {
  await running?.close();
});

describe('seed 001: an error that ends the session ends it', () => {
  it('answers GET 404 "Session not found" and the reconnect 404 "session not found" after a handoff that could not be initiated', async () => {
    const { id, token } = await newSession();
    const [raising, sibling] = [await open(id, token), await open(id, token)];
    try {
      raising.send({ type: 'EVENT_TYPE_REQUEST_HANDOFF' });
      await expectEnded(raising, sibling, 'Sorry, handoff could not be initiated.');
    } finally {
      raising.ws.close();
      sibling.ws.close();
    }

    const read = await fetch(`${running.url}/api/v1/sessions/${id}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(read.status).toBe(404);
    expect(await read.json()).toEqual({ error: 'Session not found' });
    const refused = await connect(socketUrl(id, token));
    if (!('kind' in refused)) {
      refused.ws.close();
      throw new Error('the reconnect to an ended session was accepted');
    }
    expect(refused.status).toBe(404);
    expect(JSON.parse(refused.body)).toEqual({ error: 'session not found' });
  });

  it('closes every socket of the session after "Error: Connector not found"', async () => {
    const { id, token, connector } = await newSession();
    const [raising, sibling] = [await open(id, token), await open(id, token)];
    try {
      running.seed.messaging.removeConnector(connector);
      raising.send({ type: 'EVENT_TYPE_USER_MESSAGE', text: 'hi' });
      await expectEnded(raising, sibling, 'Error: Connector not found');
    } finally {
      raising.ws.close();
      sibling.ws.close();
    }
  });

  it('closes every socket of a session that expired under them after "Error: Session not found"', async () => {
    const { id, token } = await newSession();
    const [raising, sibling] = [await open(id, token), await open(id, token)];
    try {
      // Past the page's ~10 minutes without activity, within the access token's 15.
      at += 11 * 60_000;
      raising.send({ type: 'EVENT_TYPE_USER_MESSAGE', text: 'hi' });
      await expectEnded(raising, sibling, 'Error: Session not found');
    } finally {
      raising.ws.close();
      sibling.ws.close();
    }
  });
});
