import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { serve } from '@hono/node-server';
import { defineErrors } from 'faultline';
import { idempotency } from 'faultline/guards';
import { createHonoErrors, guard as honoGuard } from 'faultline/hono';
import { createNodeErrors, guard as nodeGuard, readJson, sendJson } from 'faultline/node';
import { memoryStore } from 'faultline/stores';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemo } from '../../demo/app.js';
import { close, listen } from '../helpers/http.js';

// nginx's `client_max_body_size`: a body over the limit gets 413 whatever reads it, and is never
// buffered past the limit. The idempotency guard reads the body for its fingerprint before the route
// does; these cases hold that read to the same promise.

const KiB = 1024;
const MiB = 1024 * KiB;
const catalog = defineErrors({});
const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

/** What a raw upload saw: the answer's status and code, the bytes the client got to send, and RSS growth. */
interface Upload {
  status: number;
  code: string | undefined;
  sent: number;
  rssGrowth: number;
}

/** The bytes of `{"to":"aaa…"}` with `total` bytes in all, produced piece by piece (never held whole). */
function piece(offset: number, size: number, total: number): Buffer {
  const prefix = '{"to":"';
  const suffix = '"}';
  const bytes = Buffer.alloc(size, 0x61);
  for (let i = 0; i < size; i++) {
    const at = offset + i;
    if (at < prefix.length) bytes[i] = prefix.charCodeAt(at);
    else if (at >= total - suffix.length) bytes[i] = suffix.charCodeAt(at - (total - suffix.length));
  }
  return bytes;
}

/**
 * POSTs a JSON body of `total` bytes over a raw socket, chunked unless `declared`, writing only as fast as
 * the server reads and stopping as soon as an answer arrives: the client never sends more than the server
 * takes. Samples the process's RSS meanwhile (server and client share it). Bounded by `timeoutMs`.
 */
function upload(
  port: number,
  path: string,
  headers: Record<string, string>,
  total: number,
  options: { declared?: boolean; timeoutMs?: number } = {},
): Promise<Upload> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  return new Promise<Upload>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let answered = false;
    let sent = 0;
    let settled = false;
    const settle = (error: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      socket.destroy();
      if (error) return reject(error);
      const text = received.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const status = Number(text.slice(0, end).split(' ')[1]);
      const body = text.slice(end + 4);
      const code = /"code":"([A-Z_]+)"/.exec(body)?.[1];
      resolve({ status, code, sent, rssGrowth: peak - before });
    };
    const timer = setTimeout(
      () => settle(new Error(`no answer within ${options.timeoutMs ?? 60_000} ms`)),
      options.timeoutMs ?? 60_000,
    );
    const chunkSize = 64 * KiB;
    const pump = () => {
      while (!answered && sent < total) {
        const size = Math.min(chunkSize, total - sent);
        const bytes = piece(sent, size, total);
        sent += size;
        const framed = options.declared
          ? bytes
          : Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]);
        const more = socket.write(framed);
        if (sent === total && !options.declared) socket.write('0\r\n\r\n');
        if (!more) return void socket.once('drain', pump);
      }
    };
    socket.on('connect', () => {
      const lines = [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Type: application/json'];
      for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
      lines.push(options.declared ? `Content-Length: ${total}` : 'Transfer-Encoding: chunked');
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      pump();
    });
    socket.on('data', (data) => {
      answered = true;
      received = Buffer.concat([received, data]);
      const text = received.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end === -1) return;
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))?.[1] ?? Number.NaN);
      if (received.length - end - 4 >= length) settle(undefined);
    });
    socket.on('error', () => {
      // A server that answers and closes may reset the rest of an upload: the answer still counts.
    });
    socket.on('close', () =>
      received.length > 0 ? settle(undefined) : settle(new Error('closed without an answer')),
    );
  });
}

async function listenHono(app: Hono): Promise<number> {
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  return (server.address() as AddressInfo).port;
}

function report(label: string, result: Upload): void {
  console.info(
    `${label}: ${result.status} ${result.code ?? ''}, ${(result.sent / MiB).toFixed(1)} MiB sent, RSS +${(result.rssGrowth / MiB).toFixed(1)} MiB`,
  );
}

describe('the demo (faultline/node): the 64 KiB command route', () => {
  // A key made per run: the demo takes no key written in the repository.
  const demoKey = randomBytes(24).toString('base64url');
  const { server } = createDemo({ store: memoryStore(), apps: { 'demo-app': demoKey } });
  const auth = { 'x-app-id': 'demo-app', 'x-api-key': demoKey };
  let port = 0;
  let session = '';
  beforeAll(async () => {
    const base = await listen(server);
    port = Number(new URL(base).port);
    servers.push(server);
    const created = await fetch(`${base}/v1/sessions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ from: '+15550100', to: '+15550199' }),
    });
    expect(created.status).toBe(201);
    session = ((await created.json()) as { id: string }).id;
  });

  it('a 200 kB chunked body with an Idempotency-Key gets 413, as without it (nginx: a body over the limit gets 413 whatever path reads it)', async () => {
    const path = `/v1/sessions/${session}/commands/answer`;
    const keyed = await upload(port, path, { ...auth, 'Idempotency-Key': '"big-1"' }, 200_000);
    report('demo 200 kB chunked, keyed', keyed);
    expect([keyed.status, keyed.code]).toEqual([413, 'BODY_TOO_LARGE']);
    const bare = await upload(port, path, auth, 200_000);
    expect([bare.status, bare.code]).toEqual([413, 'BODY_TOO_LARGE']);
  });

  it('a 200 kB declared body with an Idempotency-Key gets 413 (nginx: a declared length over the limit is refused)', async () => {
    const path = `/v1/sessions/${session}/commands/answer`;
    const keyed = await upload(port, path, { ...auth, 'Idempotency-Key': '"big-2"' }, 200_000, {
      declared: true,
    });
    expect([keyed.status, keyed.code]).toEqual([413, 'BODY_TOO_LARGE']);
  });

  it('a keyed body under the route limit still runs once and is replayed (IETF idempotency draft: same key, same payload, same answer)', async () => {
    const path = `/v1/sessions/${session}/commands/answer`;
    const first = await upload(port, path, { ...auth, 'Idempotency-Key': '"small-1"' }, 2000);
    expect(first.status).toBe(200);
    const again = await upload(port, path, { ...auth, 'Idempotency-Key': '"small-1"' }, 2000);
    expect(again.status).toBe(200);
  });
});

describe('faultline/node guard before readJson', () => {
  let port = 0;
  beforeAll(async () => {
    const errors = createNodeErrors({ catalog, onError: false });
    const guarded = nodeGuard(idempotency({ tenant: () => 't', store: memoryStore() }));
    const server = createServer(
      errors(
        guarded(async (req, res) => {
          const body = await readJson(req, { limit: '64kb' });
          sendJson(res, 200, { length: JSON.stringify(body).length });
        }),
      ),
    );
    port = Number(new URL(await listen(server)).port);
    servers.push(server);
  });

  it('a 300 MB chunked keyed body gets 413 and is never buffered (nginx: never buffered past the limit)', async () => {
    const result = await upload(port, '/', { 'Idempotency-Key': '"huge"' }, 300 * MiB);
    report('node guard 300 MB chunked, keyed', result);
    expect([result.status, result.code]).toEqual([413, 'BODY_TOO_LARGE']);
    expect(result.sent).toBeLessThan(64 * MiB);
    expect(result.rssGrowth).toBeLessThan(128 * MiB);
  }, 90_000);

  it('a declared length over the adapter limit is refused before any byte is read (nginx: 413 on the declared length)', async () => {
    const result = await upload(port, '/', { 'Idempotency-Key': '"declared"' }, 300 * MiB, {
      declared: true,
    });
    expect([result.status, result.code]).toEqual([413, 'BODY_TOO_LARGE']);
    expect(result.sent).toBeLessThan(64 * MiB);
  }, 90_000);

  it('a 100 kB chunked keyed body gets the route’s 413, not a 200 from the guard’s bytes (nginx: the limit of the route that answers)', async () => {
    const result = await upload(port, '/', { 'Idempotency-Key': '"mid"' }, 100 * KiB);
    expect([result.status, result.code]).toEqual([413, 'BODY_TOO_LARGE']);
  });
});

describe('faultline/hono: guard(idempotency) before the route’s reader', () => {
  function honoApp(adapterLimit?: string): Hono {
    const errors = createHonoErrors(
      { catalog, onError: false },
      adapterLimit ? { body: { limit: adapterLimit } } : {},
    );
    const app = new Hono();
    errors.install(app);
    const once = honoGuard(idempotency({ tenant: () => 't', store: memoryStore() }));
    app.post('/small', once, errors.json({ limit: '1kb' }), async (c) => c.json(await c.req.json()));
    // No reader of faultline's: the handler reads the body through Hono, or not at all.
    app.post('/raw', once, async (c) => c.json({ length: (await c.req.text()).length }));
    app.post('/ignored', once, (c) => c.json({ ok: true }));
    return app;
  }

  const keyed = (key: string, body: BodyInit, extra: Record<string, string> = {}): RequestInit =>
    ({
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `"${key}"`, ...extra },
      body,
      duplex: 'half',
    }) as RequestInit;

  const json100k = JSON.stringify({ to: 'a'.repeat(100 * KiB) });

  it('guard before json({ limit: 1kb }) on app.fetch: a 100 kB body gets 413 (nginx: the limit of the route that answers)', async () => {
    const app = honoApp();
    const response = await app.request('/small', keyed('k1', json100k));
    expect(response.status).toBe(413);
    expect((await response.json()).code).toBe('BODY_TOO_LARGE');
    const declared = await app.request(
      '/small',
      keyed('k2', json100k, { 'content-length': String(json100k.length) }),
    );
    expect(declared.status).toBe(413);
  });

  it('guard before json({ limit: 1kb }) on @hono/node-server: a 100 kB body gets 413, chunked or declared (nginx: 413 whatever path reads it)', async () => {
    const port = await listenHono(honoApp());
    const chunked = await upload(port, '/small', { 'Idempotency-Key': '"n1"' }, 100 * KiB);
    expect([chunked.status, chunked.code]).toEqual([413, 'BODY_TOO_LARGE']);
    const declared = await upload(port, '/small', { 'Idempotency-Key': '"n2"' }, 100 * KiB, {
      declared: true,
    });
    expect([declared.status, declared.code]).toEqual([413, 'BODY_TOO_LARGE']);
  });

  it('guard before json(): a small keyed body runs once and is replayed with the same answer (IETF idempotency draft)', async () => {
    const app = honoApp();
    const first = await app.request('/small', keyed('ok', '{"to":"x"}'));
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ to: 'x' });
    const again = await app.request('/small', keyed('ok', '{"to":"x"}'));
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const reused = await app.request('/small', keyed('ok', '{"to":"y"}'));
    expect(reused.status).toBe(422);
  });

  it('without json() on @hono/node-server: a 300 MB chunked keyed body gets 413 and is never buffered (nginx: never buffered past the limit)', async () => {
    const port = await listenHono(honoApp());
    for (const path of ['/raw', '/ignored']) {
      const result = await upload(port, path, { 'Idempotency-Key': `"huge${path}"` }, 300 * MiB);
      report(`hono on node ${path} 300 MB chunked, keyed`, result);
      expect([result.status, result.code]).toEqual([413, 'BODY_TOO_LARGE']);
      expect(result.sent).toBeLessThan(64 * MiB);
      expect(result.rssGrowth).toBeLessThan(128 * MiB);
    }
  }, 120_000);

  it('without json() on app.fetch: a 300 MB streamed keyed body gets 413 after at most the adapter limit is pulled (nginx: never buffered past the limit)', async () => {
    const app = honoApp();
    let pulled = 0;
    const chunk = new Uint8Array(64 * KiB).fill(0x61);
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= 300 * MiB) return controller.close();
        pulled += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const response = await app.request('/raw', keyed('web-huge', stream));
    console.info(
      `hono app.fetch /raw 300 MB stream, keyed: ${response.status}, ${(pulled / MiB).toFixed(2)} MiB pulled`,
    );
    expect(response.status).toBe(413);
    expect((await response.json()).code).toBe('BODY_TOO_LARGE');
    expect(pulled).toBeLessThanOrEqual(MiB + 4 * chunk.length);
  });

  it('the adapter’s body limit bounds what the guard reads when no faultline reader runs (nginx: one configured limit per server)', async () => {
    const app = honoApp('16kb');
    const over = await app.request('/raw', keyed('a1', JSON.stringify({ to: 'a'.repeat(20 * KiB) })));
    expect(over.status).toBe(413);
    const under = await app.request('/raw', keyed('a2', JSON.stringify({ to: 'a'.repeat(8 * KiB) })));
    expect(under.status).toBe(200);
    expect((await under.json()).length).toBe(8 * KiB + 9);
  });
});
