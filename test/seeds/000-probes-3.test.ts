/**
 * Seed 000 against a third outside probe written from its reference page: a chat handshake that names no
 * project or chat, and a variants CSV with a `__proto__` column. In process, over HTTP and WebSocket on
 * 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type LocalSeed, send000, startSeedInProcess } from './000-server.js';

let local: LocalSeed;

beforeAll(async () => {
  local = await startSeedInProcess();
}, 30_000);

afterAll(async () => {
  await local?.close();
});

/** The status and JSON body with which the chat handshake at `query` is refused. */
function refusedHandshake(query: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${local.url.replace('http', 'ws')}/v1/chat${query}`, {
      headers: { 'x-api-key': local.key },
    });
    const timer = setTimeout(() => reject(new Error('no answer to the handshake within 5 s')), 5000);
    ws.on('open', () => {
      clearTimeout(timer);
      ws.close();
      reject(new Error(`the handshake at ${query} was accepted`));
    });
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
      });
    });
    ws.on('error', () => {});
  });
}

describe('seed 000 chat handshake', () => {
  it.each([
    ['no query', ''],
    ['no chat', '?project=support-bot'],
    ['an empty chat', '?project=support-bot&chat='],
    ['no project', '?chat=x'],
  ])('answers %s with the page\'s 400 "query parameters failed validation"', async (_, query) => {
    const refused = await refusedHandshake(query);
    expect(refused).toMatchObject({
      status: 400,
      body: { success: false, error_code: 'SCHEMA_VALIDATION_FAILED', data: null },
    });
  });

  it('still answers a named chat that does not exist with its 404', async () => {
    const refused = await refusedHandshake('?project=support-bot&chat=nope');
    expect(refused).toMatchObject({ status: 404, body: { error_code: 'CONVERSATIONS_NOT_FOUND' } });
  });
});

describe('seed 000 variant import', () => {
  it('refuses a `__proto__` column as any unknown attribute, and stores no row', async () => {
    const path = '/v1/projects/support-bot/variants';
    const before = (await (await send000(local.url, 'GET', path, { key: local.key })).json()) as {
      variants: unknown[];
    };
    const res = await send000(local.url, 'POST', `${path}/import`, {
      key: local.key,
      raw: 'name,__proto__\nsneaky,x\n',
      type: 'text/csv',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error_code: 'VARIANTS_BAD_ATTRIBUTES_ERROR' });
    const after = (await (await send000(local.url, 'GET', path, { key: local.key })).json()) as {
      variants: unknown[];
    };
    expect(after.variants).toHaveLength(before.variants.length);
  });
});
