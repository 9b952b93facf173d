/**
 * The demo's socket bounds each app's share of the work: sessions cost an app nothing to mint, so a
 * command's list of URLs and a message's size are bounded, and every message spends its app's rate (the
 * HTTP API's 600 a minute) besides its session's, before it is parsed or validated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Seen, type StartedDemo, startDemo, watch } from './ws-helpers.js';

let demo: StartedDemo;
let socketUrl = '';
let port = 0;

beforeAll(async () => {
  demo = await startDemo();
  ({ socketUrl, port } = demo);
}, 40_000);

afterAll(() => demo?.stop());

/** A socket on a new session of the demo app. */
async function newSession(): Promise<Seen> {
  const url = new URL(socketUrl);
  const made = await fetch(`http://127.0.0.1:${port}/v1/sessions`, {
    method: 'POST',
    headers: {
      'x-app-id': url.searchParams.get('app_id')!,
      'x-api-key': url.searchParams.get('api_key')!,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ from: 'a', to: 'b' }),
  });
  expect(made.status).toBe(201);
  url.searchParams.set('session_id', ((await made.json()) as { id: string }).id);
  const client = watch(url.toString());
  await client.opened;
  return client;
}

const send = (client: Seen, message: unknown) => client.socket.send(JSON.stringify(message));
const urls = (count: number, length = 40) =>
  Array.from({ length: count }, (_, i) => `https://media.example/${String(i).padStart(length, '0')}`);

describe('the demo WebSocket, per app', () => {
  it('refuses a play of more than 16 URLs, and a message over 16 KiB, with an error event', async () => {
    const client = await newSession();
    send(client, { type: 'command', id: 'many', command: 'play', urls: urls(17) });
    const many = await client.next();
    expect(many).toMatchObject({ type: 'error', code: 'MESSAGE_INVALID', reply_to: 'many' });
    expect(Object.keys(many.details.fieldErrors)).toContain('urls');
    send(client, { type: 'command', id: 'large', command: 'play', urls: urls(16, 1100) });
    expect(await client.next()).toMatchObject({ type: 'error', code: 'MESSAGE_TOO_LARGE' });
    send(client, { type: 'command', id: 'fits', command: 'play', urls: urls(16) });
    expect(await client.next()).toMatchObject({ type: 'command_ok', reply_to: 'fits' });
    client.socket.close();
    await client.closed;
  });

  it("drops the messages of an app's sessions past the app's rate, each session within its own", async () => {
    // 35 sessions each send their burst of 20 (within the session's rate, 700 in all) then 100 more, so
    // that each is closed once the messages it sent over a rate come to 100: every answer is in by then.
    const clients = [];
    for (let i = 0; i < 35; i++) clients.push(await newSession());
    for (const client of clients)
      for (let i = 0; i < 120; i++) send(client, { type: 'command', id: `m${i}` });
    const closes = await Promise.all(clients.map((c) => c.closed));
    expect(new Set(closes.map((c) => `${c.code} ${c.reason}`))).toEqual(
      new Set(['4429 MESSAGE_RATE_LIMITED']),
    );
    const answered = clients.flatMap((c) => c.messages).filter((m) => m.code === 'MESSAGE_INVALID');
    // The app's 600 at once (less what the tests before spent) and what refills while they are read;
    // without the app's rate, all 700.
    expect(answered.length).toBeGreaterThanOrEqual(500);
    expect(answered.length).toBeLessThan(700);
  }, 30_000);
});
