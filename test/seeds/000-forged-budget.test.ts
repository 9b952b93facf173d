/**
 * Seed 000 keys a verified caller's budget on its user (`user:<id>`). A credential that does not authenticate
 * must spend no budget named by what it sent: keyed on its raw `x-api-key`, `x-api-key: user:<id>` spent the
 * budget of user `<id>`, over HTTP and at the chat handshake alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type LocalSeed, send000, startSeedInProcess } from './000-server.js';

/** The per-user rate of this file's seed; the address limit stays out of reach. */
const rate = 3;
let local: LocalSeed;

beforeAll(async () => {
  local = await startSeedInProcess({ rate });
});
afterAll(() => local?.close());

/** A new editor of the demo account: its id and key (made by the admin, whose budget it is not). */
async function newUser(): Promise<{ id: string; key: string }> {
  const res = await send000(local.url, 'POST', '/v1/accounts/demo/users', {
    key: local.key,
    body: { role: 'editor' },
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; key: string };
}

/** The status the chat handshake is refused with, sending `key`. */
function handshake(key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${local.url.replace('http', 'ws')}/v1/chat?project=support-bot&chat=x`, {
      headers: { 'x-api-key': key },
    });
    const timer = setTimeout(() => reject(new Error('no answer to the handshake within 5 s')), 5000);
    ws.on('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    ws.on('open', () => {
      clearTimeout(timer);
      ws.close();
      resolve(101);
    });
    ws.on('error', () => {});
  });
}

describe('seed 000 caller budgets', () => {
  it('answers a forged `user:<id>` key 401 every time and leaves that user its whole budget (HTTP)', async () => {
    const victim = await newUser();
    const statuses: number[] = [];
    for (let i = 0; i < rate + 2; i++) {
      const res = await send000(local.url, 'GET', '/v1/projects/support-bot', { key: `user:${victim.id}` });
      await res.body?.cancel();
      statuses.push(res.status);
    }
    expect(statuses).toEqual(Array(rate + 2).fill(401));
    const own = await send000(local.url, 'GET', '/v1/projects/support-bot', { key: victim.key });
    expect(own.status).toBe(200);
  });

  it('leaves that user its whole budget when the forged key comes to the chat handshake', async () => {
    const victim = await newUser();
    const statuses: number[] = [];
    for (let i = 0; i < rate + 2; i++) statuses.push(await handshake(`user:${victim.id}`));
    expect(statuses).toEqual(Array(rate + 2).fill(401));
    const own = await send000(local.url, 'GET', '/v1/projects/support-bot', { key: victim.key });
    expect(own.status).toBe(200);
  });

  it("still answers the page's 429 once a user's own key has spent its budget", async () => {
    const user = await newUser();
    const statuses: number[] = [];
    for (let i = 0; i < rate + 1; i++) {
      const res = await send000(local.url, 'GET', '/v1/projects/support-bot', { key: user.key });
      await res.body?.cancel();
      statuses.push(res.status);
    }
    expect(statuses).toEqual([...Array(rate).fill(200), 429]);
  });
});
