import { createServer, type Server } from 'node:http';
import { defineErrors } from 'faultline';
import { idempotency } from 'faultline/guards';
import { createHonoErrors, guard as honoGuard } from 'faultline/hono';
import { createNodeErrors, guard, sendJson } from 'faultline/node';
import type { IdempotencyStore } from 'faultline/stores';
import { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import { close, listen } from '../helpers/http.js';
import { sendRaw } from '../helpers/raw.js';

// A store answers `done` with the record it kept; a record altered in the store (or written by another
// program under the prefix) is the store's fault. It was replayed as far as it went: a header node refuses
// answered 500, a record that was no JSON answered 422 IDEMPOTENCY_KEY_REUSED, which blames the client's
// body. It is a store failure now, answered by the guard's failure policy.
const catalog = defineErrors({});
const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

/** An idempotency store that answers every claim with `record` as the kept answer. */
function storeKeeping(record: string): IdempotencyStore {
  return {
    kind: 'altered',
    close: async () => {},
    claim: () => ({ state: 'done', response: record }),
    complete: () => {},
    abandon: () => {},
  };
}

async function serve(
  store: IdempotencyStore,
  onStoreError?: 'open',
): Promise<{ url: string; runs: () => number }> {
  let runs = 0;
  const errors = createNodeErrors({ catalog, logger: false });
  const handler = guard(idempotency({ tenant: () => 't', store, onStoreError }))((_req, res) => {
    runs++;
    sendJson(res, 201, { ok: true });
  });
  const server = createServer(errors(handler));
  servers.push(server);
  return { url: await listen(server), runs: () => runs };
}

const body = (b: string) => Buffer.from(b).toString('base64');
const record = (s: unknown, h: unknown, b: unknown = body('{"ok":true}')) => JSON.stringify({ s, h, b });

const altered: [string, string][] = [
  ['no JSON', 'not json'],
  ['a status below 200', record(100, [])],
  ['a status past 599', record(1000, [])],
  ['a fractional status', record(200.5, [])],
  ['a header value with a line break', record(201, [['x-note', 'a\r\nset-cookie: s=1']])],
  ['a header value node refuses', record(201, [['x-note', 'caf\u20ac']])],
  ['a header name that is no token', record(201, [['bad name', 'v']])],
  ['a header name in upper case', record(201, [['X-Note', 'v']])],
  ['a numeric header name', record(201, [[1, 'v']])],
  ['a null header line', record(201, [null])],
  ['a header line of three', record(201, [['x-a', 'b', 'c']])],
  ['a body that is no base64', record(201, [], '%%%')],
  ['a body that is no string', record(201, [], 42)],
];

describe('idempotency: a kept answer altered in the store', () => {
  it.each(altered)('%s: 503 STORE_UNAVAILABLE, the handler not run', async (_what, kept) => {
    const { url, runs } = await serve(storeKeeping(kept));
    const response = await fetch(url, { method: 'POST', headers: { 'idempotency-key': 'k1' } });
    expect(response.status).toBe(503);
    expect(((await response.json()) as { code: string }).code).toBe('STORE_UNAVAILABLE');
    expect(response.headers.get('retry-after')).toBe('5');
    expect(response.headers.get('x-note')).toBeNull();
    expect(runs()).toBe(0);
  });

  it('under onStoreError open, the request runs as if the store were down', async () => {
    const { url, runs } = await serve(storeKeeping('not json'), 'open');
    const response = await fetch(url, { method: 'POST', headers: { 'idempotency-key': 'k1' } });
    expect(response.status).toBe(201);
    expect(runs()).toBe(1);
  });

  it('a well-formed kept answer is replayed, its lines as kept', async () => {
    const kept = record(201, [
      ['content-type', 'application/json'],
      ['x-note', 'caf\u00e9'],
    ]);
    const { url, runs } = await serve(storeKeeping(kept));
    const response = await fetch(url, { method: 'POST', headers: { 'idempotency-key': 'k1' } });
    expect(response.status).toBe(201);
    expect(response.headers.get('idempotent-replayed')).toBe('true');
    expect(await response.json()).toEqual({ ok: true });
    expect(runs()).toBe(0);
  });
});

describe('idempotency: kept answers of every shape replay as HTTP allows', () => {
  it('a kept 204 replays with no Content-Length and no body; a Trailer line is not replayed', async () => {
    const noContent = await serve(storeKeeping(record(204, [['x-note', 'kept']], '')));
    const answer = await sendRaw(noContent.url, [
      'POST / HTTP/1.1\r\nHost: x\r\nIdempotency-Key: k1\r\nContent-Length: 0\r\n\r\n',
    ]);
    expect(answer.status).toBe(204);
    expect(answer.headers['content-length']).toBeUndefined();
    expect(answer.headers['x-note']).toBe('kept');
    const trailed = await serve(storeKeeping(record(200, [['trailer', 'x-checksum']])));
    const replayed = await fetch(trailed.url, { method: 'POST', headers: { 'idempotency-key': 'k1' } });
    expect(replayed.status).toBe(200);
    expect(replayed.headers.get('trailer')).toBeNull();
    expect(await replayed.json()).toEqual({ ok: true });
  });

  it('Hono on a Web runtime replays a kept 204, 205 and 304 without a body', async () => {
    for (const status of [204, 205, 304]) {
      const errors = createHonoErrors({ catalog, logger: false });
      const app = new Hono();
      errors.install(app);
      app.post(
        '/',
        honoGuard(idempotency({ tenant: () => 't', store: storeKeeping(record(status, [], '')) })),
        (c) => c.json({ ran: true }, 201),
      );
      const response = await app.fetch(
        new Request('http://x/', { method: 'POST', headers: { 'idempotency-key': 'k1' } }),
      );
      expect(response.status).toBe(status);
      expect(response.body).toBeNull();
    }
  });
});
