/**
 * `npm start`'s WebSocket endpoint, as a user meets it: the URL the demo prints, an error event with the
 * connection staying open, 429 on the eleventh connection of a session, a close code, and handshake
 * refusals that are the REST answers of the same catalog.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusal, type Seen, type StartedDemo, startDemo, watch } from './ws-helpers.js';

let demo: StartedDemo;
let socketUrl = '';
let port = 0;

beforeAll(async () => {
  demo = await startDemo();
  ({ socketUrl, port } = demo);
}, 40_000);

afterAll(() => demo?.stop());

const send = (client: Seen, message: unknown) =>
  client.socket.send(typeof message === 'string' ? message : JSON.stringify(message));

describe('the demo WebSocket (npm start)', () => {
  it('answers a bad message with an error event and stays open', async () => {
    expect(socketUrl).toContain(`ws://127.0.0.1:${port}/v1/ws?session_id=`);
    const client = watch(socketUrl);
    await client.opened;
    send(client, '{not json');
    const malformed = await client.next();
    expect(malformed).toMatchObject({ type: 'error', code: 'MESSAGE_MALFORMED' });
    expect(malformed.request_id).toBeTruthy();
    send(client, { type: 'command', id: 'c1', command: 'fly' });
    const invalid = await client.next();
    expect(invalid).toMatchObject({
      type: 'error',
      code: 'INVALID_COMMAND',
      error: 'Invalid command fly',
      reply_to: 'c1',
      details: { command: 'fly' },
    });
    send(client, { type: 'command', id: 'c2' });
    const schema = await client.next();
    expect(schema.code).toBe('MESSAGE_INVALID');
    expect(Object.keys(schema.details.fieldErrors)).toContain('command');
    send(client, { type: 'command', id: 'c3', command: 'answer' });
    expect(await client.next()).toEqual({
      type: 'command_ok',
      reply_to: 'c3',
      command: 'answer',
      state: 'answered',
    });
    client.socket.close();
    await client.closed;
  });

  it('refuses the eleventh connection of a session with 429 in the REST envelope', async () => {
    const clients = Array.from({ length: 10 }, () => watch(socketUrl));
    await Promise.all(clients.map((c) => c.opened));
    const eleventh = await refusal(socketUrl);
    expect(eleventh.status).toBe(429);
    expect(eleventh.headers.connection).toBe('close');
    expect(JSON.parse(eleventh.body)).toMatchObject({ success: false, code: 'CONNECTION_LIMIT' });
    expect(eleventh.headers['content-type']).toBe('application/json');
    expect(eleventh.headers['x-request-id']).toBe(JSON.parse(eleventh.body).request_id);
    for (const c of clients) c.socket.close();
    await Promise.all(clients.map((c) => c.closed));
  });

  it('answers an unknown session and missing credentials as the REST API does', async () => {
    const base = socketUrl.replace(/session_id=[^&]+/, 'session_id=nope');
    const missing = await refusal(base);
    const rest = await fetch(`http://127.0.0.1:${port}/v1/sessions/nope`, {
      headers: { 'x-app-id': 'demo-app', 'x-api-key': new URL(socketUrl).searchParams.get('api_key')! },
    });
    expect(missing.status).toBe(rest.status);
    const { request_id: _socketId, ...socketBody } = JSON.parse(missing.body);
    const { request_id: _restId, ...restBody } = await rest.json();
    expect(socketBody).toEqual(restBody);
    const noKey = await refusal(socketUrl.replace(/&api_key=[^&]+/, ''));
    expect(noKey.status).toBe(401);
    expect(JSON.parse(noKey.body).code).toBe('MISSING_API_KEY');
  });

  it('closes with 4409 after a command on an ended session, the event first', async () => {
    // The slots of the last test's sockets come back as the server sees them close.
    let client = watch(socketUrl);
    for (
      let i = 0;
      i < 50 &&
      !(await client.opened.then(
        () => true,
        () => false,
      ));
      i++
    ) {
      await new Promise((r) => setTimeout(r, 20));
      client = watch(socketUrl);
    }
    await client.opened;
    send(client, { type: 'command', id: 'h', command: 'hangup' });
    expect((await client.next()).state).toBe('ended');
    send(client, { type: 'command', id: 'late', command: 'answer' });
    const ended = await client.next();
    expect(ended).toMatchObject({ type: 'error', code: 'SESSION_ENDED', reply_to: 'late' });
    expect(await client.closed).toEqual({ code: 4409, reason: 'SESSION_ENDED' });
    expect(client.order).toEqual(['message', 'message', 'close:4409']);
  });
  it('closes a socket that keeps sending over its rate, after 100 dropped in a row', async () => {
    const url = new URL(socketUrl);
    const key = url.searchParams.get('api_key')!;
    const made = await fetch(`http://127.0.0.1:${port}/v1/sessions`, {
      method: 'POST',
      headers: {
        'x-app-id': url.searchParams.get('app_id')!,
        'x-api-key': key,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ from: 'a', to: 'b' }),
    });
    expect(made.status).toBe(201);
    url.searchParams.set('session_id', ((await made.json()) as { id: string }).id);
    const client = watch(url.toString());
    await client.opened;
    // A burst far over 20 a second: the first are answered, the rest dropped until the 100th in a row.
    for (let i = 0; i < 1000; i++) send(client, { type: 'command', id: `f${i}`, command: 'mute' });
    expect(await client.closed).toEqual({ code: 4429, reason: 'MESSAGE_RATE_LIMITED' });
    // The server still answers others.
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  });
});
