import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RoleError } from 'faultline';
import { concurrency, rateLimit } from 'faultline/guards';
import { createNodeErrors, guard } from 'faultline/node';
import { memoryStore } from 'faultline/stores';
import { bySession } from 'faultline/ws';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { authenticate, catalog } from './ws-fixtures.js';
import { rawUpgrade, refusal, type Served, serve, upgradeHead, watch } from './ws-helpers.js';

const opened: Served<any>[] = [];
async function endpoint(options: Parameters<typeof serve>[0] = {}) {
  const served = await serve({ errors: { catalog, logger: false }, authenticate, ...options });
  opened.push(served);
  return served;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

const q = (session = 's1') => `/?session_id=${session}&access_token=good`;

describe('handshake errors', () => {
  it.each([
    ['/?session_id=s1', 400, 'INVALID_CONNECTION_PARAMETERS'],
    ['/?session_id=s1&access_token=bad', 401, 'AUTHENTICATION_FAILED'],
    ['/?session_id=missing&access_token=good', 404, 'SESSION_NOT_FOUND'],
  ])(
    'answers %s with %i in the REST envelope, the correlation id and Connection: close',
    async (path, status, code) => {
      const { url } = await endpoint();
      const answer = await refusal(url + path);
      expect(answer.status).toBe(status);
      expect(answer.headers['content-type']).toBe('application/problem+json');
      expect(answer.headers.connection).toBe('close');
      const body = JSON.parse(answer.body);
      expect(body).toMatchObject({ status, code });
      expect(body.correlation_id).toBe(answer.headers['x-request-id']);
    },
  );

  it('keeps a safe inbound correlation id and replaces an unsafe or 10 kB one', async () => {
    const { url, port } = await endpoint();
    expect(
      (await refusal(`${url}/?session_id=s1`, { 'x-request-id': 'req-42' })).headers['x-request-id'],
    ).toBe('req-42');
    const long = await refusal(`${url}/?session_id=s1`, { 'x-request-id': 'a'.repeat(10_000) });
    expect(String(long.headers['x-request-id']).length).toBeLessThan(100);
    const raw = await rawUpgrade(
      port,
      upgradeHead('/?session_id=%0d%0aInjected:%20yes', 'X-Request-Id: x\r\n'),
    );
    const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(head).not.toMatch(/^Injected/im);
  });

  it("answers ws's own 405 and 400 refusals in the catalog envelope", async () => {
    const { port } = await endpoint();
    const post = await rawUpgrade(port, upgradeHead(q()).replace('GET', 'POST'));
    expect(post).toMatch(/^HTTP\/1\.1 405 /);
    expect(post).toMatch(/\r\nallow: GET\r\n/i);
    expect(JSON.parse(post.slice(post.indexOf('\r\n\r\n') + 4))).toMatchObject({
      code: 'METHOD_NOT_ALLOWED',
    });
    const version = await rawUpgrade(port, upgradeHead(q()).replace('Version: 13', 'Version: 99'));
    expect(version).toMatch(/^HTTP\/1\.1 400 /);
    expect(version).toMatch(/\r\nsec-websocket-version: 13, 8\r\n/i);
    expect(version).toMatch(/application\/problem\+json/);
  });

  it('answers a plain request with 426 and Upgrade: websocket through the REST handler', async () => {
    const served = await endpoint();
    const error = served.endpoint.upgradeRequired();
    const answer = served.endpoint.errors.handle(error, { url: '/' });
    expect(answer.status).toBe(426);
    expect(answer.headers.upgrade).toBe('websocket');
    expect(answer.headers.connection).toBe('upgrade');
  });

  it('accepts, tells and closes in close mode', async () => {
    const { url } = await endpoint({ handshake: 'close' });
    const client = watch(`${url}/?session_id=s1&access_token=bad`);
    expect(await client.next()).toMatchObject({ type: 'error', error: { code: 'AUTHENTICATION_FAILED' } });
    expect(await client.closed).toEqual({ code: 4401, reason: 'AUTHENTICATION_FAILED' });
  });
});

describe('errors while handling a message keep the connection open', () => {
  it('answers malformed JSON, unknown and server-only types and schema failures, then still serves the socket', async () => {
    const { url } = await endpoint({
      messages: {
        serverOnly: ['SESSION_END'],
        schemas: { send: z.object({ type: z.literal('send'), id: z.string(), text: z.string().min(1) }) },
      },
      on: { send: (message: { text: string }, conn) => conn.send({ type: 'sent', text: message.text }) },
    });
    const client = watch(url + q());
    await client.opened;
    client.socket.send('{not json');
    expect(await client.next()).toMatchObject({ error: { code: 'INVALID_EVENT', status: 400 } });
    client.socket.send(JSON.stringify({ type: 'nope', id: 'c1' }));
    expect(await client.next()).toMatchObject({ error: { code: 'INVALID_EVENT' } });
    client.socket.send(JSON.stringify({ type: 'SESSION_END', id: 'c2' }));
    const notAllowed = await client.next();
    expect(notAllowed.error).toMatchObject({
      code: 'MESSAGE_TYPE_NOT_ALLOWED',
      message: 'Message type not allowed: SESSION_END',
    });
    client.socket.send(JSON.stringify({ type: 'send', id: 'c3', text: '' }));
    const invalid = await client.next();
    expect(invalid.error.code).toBe('MESSAGE_INVALID');
    expect(invalid.error.errors[0].pointer).toBe('/text');
    client.socket.send(JSON.stringify({ type: 'send', id: 'c4', text: 'hello' }));
    expect(await client.next()).toEqual({ type: 'sent', text: 'hello' });
    expect(client.socket.readyState).toBe(client.socket.OPEN);
  });

  it('answers a frozen catalog error (a prebuilt one) with its own code, the same error each time', async () => {
    const busy = Object.freeze(catalog.create('TOKEN_EXPIRED'));
    const { url } = await endpoint({
      on: {
        refresh: () => {
          throw busy;
        },
      },
    });
    const client = watch(url + q());
    await client.opened;
    for (const id of ['c1', 'c2']) {
      client.socket.send(JSON.stringify({ type: 'refresh', id }));
      const event = await client.next();
      expect(event.error).toMatchObject({ code: 'TOKEN_EXPIRED', status: 401 });
      expect(event.error.correlation_id ?? event.error.correlationId).toEqual(expect.any(String));
    }
    expect(busy.correlationId).toBeUndefined();
    expect(client.socket.readyState).toBe(client.socket.OPEN);
  });

  it('answers a soft size limit with an event and stays open; maxPayload closes with 1009', async () => {
    const { WebSocketServer } = await import('ws');
    const { url } = await endpoint({
      messages: { maxBytes: 100 },
      server: new WebSocketServer({ noServer: true, maxPayload: 1000 }),
      on: { ping: (_m, conn) => conn.send({ type: 'pong' }) },
    });
    const client = watch(url + q());
    await client.opened;
    client.socket.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(200) }));
    expect(await client.next()).toMatchObject({ error: { code: 'MESSAGE_TOO_LARGE', status: 413 } });
    client.socket.send(JSON.stringify({ type: 'ping' }));
    expect(await client.next()).toEqual({ type: 'pong' });
    client.socket.send('x'.repeat(2000));
    expect((await client.closed).code).toBe(1009);
  });

  it('refuses binary messages with an event, open', async () => {
    const { url } = await endpoint({ on: { ping: (_m, conn) => conn.send({ type: 'pong' }) } });
    const client = watch(url + q());
    await client.opened;
    client.socket.send(Buffer.from([1, 2, 3]));
    expect(await client.next()).toMatchObject({ error: { code: 'MESSAGE_UNSUPPORTED' } });
    client.socket.send(JSON.stringify({ type: 'ping' }));
    expect(await client.next()).toEqual({ type: 'pong' });
  });
});

describe('connection-scope errors: tell, then close', () => {
  it('sends the event, the session end, then closes with the entry code and the code as reason', async () => {
    const { url } = await endpoint({
      on: {
        end: () => {
          throw catalog.create('SESSION_ENDED');
        },
      },
    });
    const client = watch(url + q());
    await client.opened;
    client.socket.send(JSON.stringify({ type: 'end', id: 'e1' }));
    expect(await client.closed).toEqual({ code: 4410, reason: 'SESSION_ENDED' });
    expect(client.messages[0]).toMatchObject({ type: 'error', error: { code: 'SESSION_ENDED' } });
    expect(client.messages[1]).toEqual({ type: 'session_end' });
    expect(client.order).toEqual(['message', 'message', 'close:4410']);
  });

  it('closes after the session end of an entry that ends the session, with no close of its own', async () => {
    let after = 0;
    const { url } = await endpoint({
      on: {
        handoff: () => {
          throw catalog.create('HANDOFF_FAILED');
        },
        ping: () => void after++,
      },
    });
    const client = watch(url + q());
    await client.opened;
    client.socket.send(JSON.stringify({ type: 'handoff' }));
    client.socket.send(JSON.stringify({ type: 'ping' }));
    expect(await client.closed).toEqual({ code: 4500, reason: 'HANDOFF_FAILED' });
    expect(client.messages).toEqual([
      expect.objectContaining({ type: 'error', error: expect.objectContaining({ code: 'HANDOFF_FAILED' }) }),
      { type: 'session_end' },
    ]);
    // The ended session handles nothing more.
    expect(after).toBe(0);
  });

  it('ends the session however it is raised: through notify, and with notify: false', async () => {
    const { url } = await endpoint({
      on: {
        told: (_m, conn) => conn.notify(catalog.create('HANDOFF_FAILED')),
        untold: () => {
          throw catalog.create('SESSION_GONE');
        },
      },
    });
    const a = watch(url + q());
    await a.opened;
    a.socket.send(JSON.stringify({ type: 'told' }));
    expect(await a.closed).toEqual({ code: 4500, reason: 'HANDOFF_FAILED' });
    expect(a.messages[1]).toEqual({ type: 'session_end' });
    const b = watch(url + q());
    await b.opened;
    b.socket.send(JSON.stringify({ type: 'untold' }));
    expect(await b.closed).toEqual({ code: 4410, reason: 'SESSION_GONE' });
    expect(b.messages).toEqual([{ type: 'session_end' }]);
  });

  it('derives 4000 + status for conn.fail, and 1011 for an unexpected failure', async () => {
    const { url } = await endpoint({
      on: {
        expire: (_m, conn) => conn.fail(catalog.create('TOKEN_EXPIRED')),
        crash: (_m, conn) => conn.fail(new Error('database password is hunter2')),
      },
    });
    const a = watch(url + q());
    await a.opened;
    a.socket.send(JSON.stringify({ type: 'expire' }));
    expect(await a.closed).toEqual({ code: 4401, reason: 'TOKEN_EXPIRED' });
    const b = watch(url + q());
    await b.opened;
    b.socket.send(JSON.stringify({ type: 'crash' }));
    expect(await b.closed).toEqual({ code: 1011, reason: 'INTERNAL_ERROR' });
    expect(JSON.stringify(b.messages)).not.toContain('hunter2');
  });
});

describe('message rate per session', () => {
  it('drops messages over the rate and calls the hook on every drop', async () => {
    const drops: unknown[] = [];
    const { url } = await endpoint({
      limits: { rate: { limit: 3, window: 60_000, store: memoryStore() } },
      onDrop: (info) => drops.push(info),
      on: { m: (_m, conn) => conn.send({ type: 'ok' }) },
    });
    const client = watch(url + q());
    await client.opened;
    for (let i = 0; i < 5; i++) client.socket.send(JSON.stringify({ type: 'm' }));
    for (let i = 0; i < 3; i++) expect(await client.next()).toEqual({ type: 'ok' });
    await expect(client.next()).rejects.toThrow('no message');
    expect(drops).toHaveLength(2);
    // Dropped before it is parsed: over the rate, a message costs no parse.
    expect(drops[0]).toMatchObject({ reason: 'rate', key: 's1', type: undefined });
  });

  it('closes a flood the refills let through in part, where counting in a row never would', async () => {
    let handled = 0;
    const { url } = await endpoint({
      // One message every 40 ms, and a close after 300 over the rate.
      limits: { rate: { limit: 1, window: 40, burst: 1, closeAfter: 300 } },
      on: { m: () => void handled++ },
    });
    const client = watch(url + q());
    await client.opened;
    // Bursts of 200, 80 ms apart: a refill lets one of each through, so none has 300 over the rate in a
    // row. At most 20 bursts; a server that never closes is closed by the client (1000), and fails.
    for (let burst = 0; burst < 20 && client.socket.readyState === client.socket.OPEN; burst++) {
      for (let i = 0; i < 200; i++) client.socket.send(JSON.stringify({ type: 'm' }));
      await new Promise((resolve) => setTimeout(resolve, 80));
    }
    if (client.socket.readyState === client.socket.OPEN) client.socket.close(1000);
    expect((await client.closed).code).toBe(4429);
    expect(handled).toBeGreaterThan(0);
  });

  it('answers an event with retry_after, shares the budget across sockets of a session, and exempts heartbeats', async () => {
    const { url } = await endpoint({
      limits: { rate: { limit: 2, window: 60_000, over: 'event', exempt: ['hb'] } },
      on: { m: (_m, conn) => conn.send({ type: 'ok' }), hb: (_m, conn) => conn.send({ type: 'hb' }) },
    });
    const a = watch(url + q());
    const b = watch(url + q());
    await Promise.all([a.opened, b.opened]);
    a.socket.send(JSON.stringify({ type: 'm' }));
    expect(await a.next()).toEqual({ type: 'ok' });
    b.socket.send(JSON.stringify({ type: 'm' }));
    expect(await b.next()).toEqual({ type: 'ok' });
    b.socket.send(JSON.stringify({ type: 'm' }));
    const limited = await b.next();
    expect(limited.error.code).toBe('MESSAGE_RATE_LIMITED');
    expect(limited.error.retry_after ?? 1).toBeGreaterThan(0);
    b.socket.send(JSON.stringify({ type: 'hb' }));
    expect(await b.next()).toEqual({ type: 'hb' });
  });

  it('closes with 4429 when the action is close, and escalates after N violations', async () => {
    const a = await endpoint({
      limits: { rate: { limit: 1, window: 60_000, over: 'close' } },
      on: { m: () => {} },
    });
    const client = watch(a.url + q());
    await client.opened;
    client.socket.send(JSON.stringify({ type: 'm' }));
    client.socket.send(JSON.stringify({ type: 'm' }));
    expect(await client.closed).toEqual({ code: 4429, reason: 'MESSAGE_RATE_LIMITED' });
    const b = await endpoint({
      limits: { rate: { limit: 1, window: 60_000, over: 'drop', closeAfter: 3 } },
      on: { m: () => {} },
    });
    const other = watch(b.url + q('s2'));
    await other.opened;
    for (let i = 0; i < 4; i++) other.socket.send(JSON.stringify({ type: 'm' }));
    expect((await other.closed).code).toBe(4429);
  });
});

describe('limits are the guards of faultline/guards', () => {
  it('takes a rateLimit guard shared with HTTP: one budget per session for requests and messages', async () => {
    const sessionOf = (r: { url?: string | undefined }) =>
      new URL(r.url ?? '/', 'http://x').searchParams.get('session_id') ?? undefined;
    const perSession = rateLimit({ key: sessionOf, limit: 3, period: '1m', store: memoryStore() });
    const http = createServer(
      createNodeErrors({ catalog, logger: false })(guard(perSession)((_req, res) => res.end('ok'))),
    );
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    try {
      const { url } = await endpoint({
        limits: { rate: { guard: perSession, over: 'event' } },
        on: { m: (_m, conn) => conn.send({ type: 'ok' }) },
      });
      expect((await fetch(`${httpUrl}${q('both')}`)).status).toBe(200);
      expect((await fetch(`${httpUrl}${q('both')}`)).status).toBe(200);
      const client = watch(url + q('both'));
      await client.opened;
      client.socket.send(JSON.stringify({ type: 'm' }));
      expect(await client.next()).toEqual({ type: 'ok' });
      client.socket.send(JSON.stringify({ type: 'm', id: 'late' }));
      const limited = await client.next();
      expect(limited.error.code).toBe('MESSAGE_RATE_LIMITED');
      expect(limited.error.retry_after).toBeGreaterThan(0);
      expect((await fetch(`${httpUrl}${q('both')}`)).status).toBe(429);
      expect(client.socket.readyState).toBe(client.socket.OPEN);
    } finally {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  });

  it('takes a concurrency guard keyed by session, answers 429 with Retry-After, and releases on close', async () => {
    const leases = concurrency({ key: bySession, limit: 2, ttl: '1m', store: memoryStore() });
    const { url } = await endpoint({ limits: { connections: { guard: leases } } });
    const held = [watch(url + q('g')), watch(url + q('g'))];
    await Promise.all(held.map((c) => c.opened));
    const third = await refusal(url + q('g'));
    expect(third.status).toBe(429);
    expect(JSON.parse(third.body).code).toBe('CONNECTION_LIMIT_EXCEEDED');
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    held[0]!.socket.close();
    await held[0]!.closed;
    let again = watch(url + q('g'));
    for (
      let i = 0;
      i < 50 &&
      !(await again.opened.then(
        () => true,
        () => false,
      ));
      i++
    ) {
      await new Promise((r) => setTimeout(r, 20));
      again = watch(url + q('g'));
    }
    await again.opened;
    expect((await refusal(url + q('g'))).status).toBe(429);
  });
});

describe('connection limit per session', () => {
  it('refuses the eleventh connection with 429 and frees a slot when one closes or is terminated', async () => {
    const { url } = await endpoint({ limits: { connections: { max: 10 } } });
    const clients = Array.from({ length: 10 }, () => watch(url + q('lim')));
    await Promise.all(clients.map((c) => c.opened));
    const eleventh = await refusal(url + q('lim'));
    expect(eleventh.status).toBe(429);
    expect(JSON.parse(eleventh.body).code).toBe('CONNECTION_LIMIT_EXCEEDED');
    expect((await refusal(url + q('lim'))).status).toBe(429);
    clients[0]!.socket.terminate();
    clients[1]!.socket.close();
    await clients[0]!.closed;
    let again = watch(url + q('lim'));
    for (let i = 0; i < 50; i++) {
      if (
        await again.opened.then(
          () => true,
          () => false,
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 20));
      again = watch(url + q('lim'));
    }
    await again.opened;
    expect(again.socket.readyState).toBe(again.socket.OPEN);
    const other = watch(url + q('another-session'));
    await other.opened;
  });

  it('evicts the oldest connection with its event and close code when configured', async () => {
    const { url } = await endpoint({ limits: { connections: { max: 1, onFull: 'evictOldest' } } });
    const first = watch(url + q('ev'));
    await first.opened;
    const second = watch(url + q('ev'));
    await second.opened;
    expect(await first.closed).toEqual({ code: 4429, reason: 'CONNECTION_LIMIT_EXCEEDED' });
    expect(first.messages[0].error.code).toBe('CONNECTION_LIMIT_EXCEEDED');
  });
});

describe('heartbeat, idle timeout and maximum duration', () => {
  it('terminates a client that stops answering pings', async () => {
    const { url, endpoint: ep } = await endpoint({ limits: { heartbeat: 50 } });
    const client = watch(url + q(), { autoPong: false });
    await client.opened;
    expect((await client.closed).code).toBe(1006);
    for (let i = 0; i < 50 && ep.connections.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(ep.connections.size).toBe(0);
  });

  it('keeps a client that answers pings', async () => {
    const { url } = await endpoint({
      limits: { heartbeat: 30 },
      on: { m: (_m, c) => c.send({ type: 'ok' }) },
    });
    const client = watch(url + q());
    await client.opened;
    await new Promise((r) => setTimeout(r, 200));
    client.socket.send(JSON.stringify({ type: 'm' }));
    expect(await client.next()).toEqual({ type: 'ok' });
  });

  it('closes an idle connection and one past its maximum duration with their catalog codes', async () => {
    const idle = await endpoint({ limits: { idleTimeout: 80 } });
    const a = watch(idle.url + q());
    expect(await a.closed).toEqual({ code: 4408, reason: 'IDLE_TIMEOUT' });
    const long = await endpoint({ limits: { maxDuration: 80 } });
    const b = watch(long.url + q());
    expect(await b.closed).toEqual({ code: 4408, reason: 'SESSION_EXPIRED' });
    expect(b.messages[0].error.code).toBe('SESSION_EXPIRED');
  });
});

describe('backpressure', () => {
  it('closes a reader that stops reading, with memory bounded by the limit', async () => {
    let sent = 0;
    let refused = 0;
    let maxBuffered = 0;
    const { url } = await endpoint({
      limits: { backpressure: { maxBufferedBytes: 256 * 1024, action: 'close' } },
      on: {
        flood: (_m, conn) => {
          const chunk = 'x'.repeat(64 * 1024);
          for (let i = 0; i < 400; i++) {
            if (conn.send(chunk)) sent++;
            else refused++;
            maxBuffered = Math.max(maxBuffered, conn.socket.bufferedAmount);
          }
        },
      },
    });
    const client = watch(url + q());
    await client.opened;
    client.socket.pause();
    client.socket.send(JSON.stringify({ type: 'flood' }));
    await new Promise((r) => setTimeout(r, 300));
    client.socket.resume();
    const closed = await client.closed;
    expect(closed.code).toBe(1008);
    expect(refused).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThanOrEqual(256 * 1024 + 64 * 1024 + 1024);
    expect(sent).toBeLessThan(400);
  });

  it('drops sends past the limit when configured, and still sends error events', async () => {
    const drops: unknown[] = [];
    const { url } = await endpoint({
      limits: { backpressure: { maxBufferedBytes: 128 * 1024, action: 'drop' } },
      onDrop: (d) => drops.push(d),
      on: {
        flood: (_m, conn) => {
          for (let i = 0; i < 100; i++) conn.send('y'.repeat(64 * 1024));
          throw catalog.create('AGENT_BUSY');
        },
      },
    });
    const client = watch(url + q());
    await client.opened;
    client.socket.send(JSON.stringify({ type: 'flood' }));
    let last: any;
    for (let i = 0; i < 100; i++) {
      last = await client.next();
      if (typeof last === 'object') break;
    }
    expect(last.error.code).toBe('AGENT_BUSY');
    expect(drops.length).toBeGreaterThan(0);
    expect(client.socket.readyState).toBe(client.socket.OPEN);
  });
});

describe('graceful shutdown', () => {
  it('sends every socket 1001 (or 1012 on restart) and terminates stragglers after a bounded wait', async () => {
    const a = await endpoint();
    const clients = [watch(a.url + q('x')), watch(a.url + q('y'))];
    const straggler = watch(a.url + q('z'));
    await Promise.all([...clients, straggler].map((c) => c.opened));
    straggler.socket.pause();
    await a.endpoint.close({ timeout: 100 });
    for (const c of clients) {
      expect(await c.closed).toEqual({ code: 1001, reason: 'GOING_AWAY' });
      expect(c.messages[0].error.code).toBe('GOING_AWAY');
    }
    // The straggler never answered the close: the server terminated it and holds nothing after close().
    expect(a.endpoint.connections.size).toBe(0);
    straggler.socket.resume();
    expect([1001, 1006]).toContain((await straggler.closed).code);
    expect((await refusal(a.url + q())).status).toBe(503);
    const b = await endpoint();
    const c = watch(b.url + q());
    await c.opened;
    await b.endpoint.close({ restart: true, timeout: 500 });
    expect(await c.closed).toEqual({ code: 1012, reason: 'SERVICE_RESTART' });
  });
});

describe('error events of server failures under a message rate', () => {
  // The rate's store fails, so the rate admits every message (it fails open), and the handler's own
  // store fails too: each message is answered a 503 event. Before, nothing bounded them: 2 000 messages,
  // 2 000 events. Server failures now keep the error-event budget (10 a second, a burst of 20) under a rate.
  it('keeps the default error-event budget for 5xx events when the rate admits everything', async () => {
    const failing = {
      ...memoryStore(),
      kind: 'failing',
      rate: () => {
        throw new Error('store down');
      },
    };
    const { url } = await endpoint({
      errors: { catalog, logger: false, onError: false },
      limits: { rate: { limit: 5, window: 60_000, store: failing } },
      on: {
        m: () => {
          throw new RoleError('storeUnavailable');
        },
        p: (_m, conn) => conn.send({ type: 'pong' }),
      },
    });
    const client = watch(url + q());
    await client.opened;
    for (let i = 0; i < 2000; i++) client.socket.send(JSON.stringify({ type: 'm' }));
    client.socket.send(JSON.stringify({ type: 'p' }));
    let events = 0;
    for (let i = 0; i < 2001; i++) {
      const message = await client.next();
      if (message.type === 'pong') break;
      events++;
    }
    expect(events).toBeGreaterThan(0);
    expect(events).toBeLessThan(200);
  });
});
