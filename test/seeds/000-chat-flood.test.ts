/**
 * Seed 000's chat socket answers the first message over its rate with the page's 429 and drops the rest
 * of that wait; a flood that keeps coming is closed, not read and dropped for as long as its sender keeps
 * it up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type LocalSeed, send000, startSeedInProcess } from './000-server.js';

let local: LocalSeed;

beforeAll(async () => {
  local = await startSeedInProcess();
});
afterAll(() => local?.close());

/** A new chat's socket URL (its key goes in `x-api-key`). */
async function chatUrl(): Promise<string> {
  const draft = await send000(local.url, 'POST', '/v1/projects/support-bot/drafts', {
    key: local.key,
    body: {},
  });
  expect(draft.status).toBe(201);
  const { id: draftId } = (await draft.json()) as { id: string };
  const chat = await send000(local.url, 'POST', '/v1/projects/support-bot/chats', {
    key: local.key,
    body: { draftId },
  });
  expect(chat.status).toBe(201);
  const { id } = (await chat.json()) as { id: string };
  return `${local.url.replace('http', 'ws')}/v1/chat?project=support-bot&chat=${id}`;
}

describe('seed 000 chat socket', () => {
  it('closes a socket whose messages over the rate come to 100, after the 429 event', async () => {
    const ws = new WebSocket(await chatUrl(), { headers: { 'x-api-key': local.key } });
    const seen: Record<string, unknown>[] = [];
    ws.on('message', (data) => seen.push(JSON.parse(String(data)) as Record<string, unknown>));
    ws.on('error', () => {});
    const closed = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('not closed within 5 s')), 5000);
      ws.once('close', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    await new Promise((resolve) => ws.once('open', resolve));
    // The burst of 10 is answered, the 11th gets the 429 and the next 99 are dropped: the 100th over closes.
    for (let i = 0; i < 150; i++) ws.send(JSON.stringify({ type: 'message', text: `hello ${i}` }));
    expect(await closed).toBe(4429);
    // The 429 event is the page's envelope, as over HTTP, and the last word before the close.
    const refusals = seen.filter((m) => m.error_code !== undefined);
    expect(refusals.length).toBeGreaterThanOrEqual(1);
    for (const refusal of refusals)
      expect(refusal).toMatchObject({ success: false, error_code: 'RATE_LIMITED', data: null });
    expect(seen.at(-1)).toBe(refusals.at(-1));
  });
});
