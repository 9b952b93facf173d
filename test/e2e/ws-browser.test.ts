import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.js';
import { authenticate, catalog } from './ws-fixtures.js';
import { type Served, serve } from './ws-helpers.js';

let browser: Browser;
let served: Served<any>;
let closeMode: Served<any>;
beforeAll(async () => {
  browser = await launchChromium();
  const on = {
    end: () => {
      throw catalog.create('SESSION_ENDED');
    },
    bad: () => {
      throw catalog.create('AGENT_BUSY');
    },
  };
  served = await serve({ errors: { catalog, logger: false }, authenticate, on });
  closeMode = await serve({ errors: { catalog, logger: false }, authenticate, handshake: 'auto', on });
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await served?.close();
  await closeMode?.close();
});

// Runs a WebSocket in the page and records what the page sees, in order.
async function inPage(url: string, send: string[]): Promise<string[]> {
  const page = await browser.newPage();
  try {
    return await page.evaluate(
      ({ url, send }) =>
        new Promise<string[]>((resolve) => {
          const seen: string[] = [];
          const socket = new WebSocket(url);
          socket.onopen = () => {
            seen.push('open');
            for (const m of send) socket.send(m);
          };
          socket.onmessage = (e) => seen.push(`message:${e.data}`);
          socket.onerror = () => seen.push('error');
          socket.onclose = (e) => {
            seen.push(`close:${e.code}:${e.reason}`);
            resolve(seen);
          };
          setTimeout(() => resolve([...seen, 'timeout']), 5000);
        }),
      { url, send },
    );
  } finally {
    await page.close();
  }
}

describe('what a browser sees', () => {
  it('gets the error event, stays open, then gets the event before the close code (tell, then close)', async () => {
    const seen = await inPage(`${served.url}/?session_id=b&access_token=good`, [
      JSON.stringify({ type: 'bad', id: 'x1' }),
      JSON.stringify({ type: 'end' }),
    ]);
    expect(seen[0]).toBe('open');
    expect(JSON.parse(seen[1]!.slice(8)).error.code).toBe('AGENT_BUSY');
    expect(JSON.parse(seen[2]!.slice(8)).error.code).toBe('SESSION_ENDED');
    expect(seen[3]).toBe('message:{"type":"session_end"}');
    expect(seen[4]).toBe('close:4410:SESSION_ENDED');
  });

  it('sees only 1006 for a handshake refused over HTTP, which is why close mode exists', async () => {
    const seen = await inPage(`${served.url}/?session_id=b&access_token=bad`, []);
    expect(seen).toEqual(['error', 'close:1006:']);
  });

  it('sees the event and the close code in auto mode (browsers send Origin)', async () => {
    const seen = await inPage(`${closeMode.url}/?session_id=b&access_token=bad`, []);
    expect(seen[0]).toBe('open');
    expect(JSON.parse(seen[1]!.slice(8)).error.code).toBe('AUTHENTICATION_FAILED');
    expect(seen[2]).toBe('close:4401:AUTHENTICATION_FAILED');
  });
});
