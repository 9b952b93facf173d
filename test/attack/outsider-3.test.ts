/**
 * Attacks from outside, on the paths the earlier suites leave open: WebSocket control frames and
 * fragmentation, handshakes with hostile headers, HTTP bodies with encodings and expectations, and guards
 * on a real Redis that freezes or dies mid-request. Each WebSocket endpoint runs in a child process, so
 * that a crash is seen as a death rather than taking the runner down.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { defineErrors } from 'faultline';
import { concurrency, type Guard, idempotency, quota, rateLimit } from 'faultline/guards';
import { createNodeErrors, guard, readJson, sendJson } from 'faultline/node';
import { redisSend, redisStore } from 'faultline/stores';
import { createWsErrors } from 'faultline/ws';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type NestApp, startNestApp } from '../e2e/nest-app.js';
import { adapters } from '../helpers/adapters.js';
import { close, listen } from '../helpers/http.js';
import { sendRaw } from '../helpers/raw.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { freeze, thaw } from '../helpers/redis-faults.js';
import { burst } from '../helpers/ws-attacks.js';
import { fuzzLimits, spawnScript, startTarget, type Target } from '../helpers/ws-process.js';
import { clientFrame, isSendableCloseCode, type RawClient, rawConnect } from '../helpers/ws-raw.js';

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits (10 s at most) for the TCP connection of `client` to close. */
async function ended(client: RawClient): Promise<boolean> {
  client.socket.resume();
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    client.ended.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 10_000))),
  ]);
  clearTimeout(timer);
  client.socket.destroy();
  return result;
}

/**
 * The server's count of open connections once it has seen them close: a client sees its socket end
 * before the server's own `close` event runs. Polls every 20 ms, 5 s at most; returns the last count.
 */
async function settledConnections(target: Target): Promise<number> {
  let count = (await target.stats()).connections;
  for (let i = 0; i < 250 && count !== 0; i++) {
    await sleep(20);
    count = (await target.stats()).connections;
  }
  return count;
}

/** Writes `frames` while honouring the socket's own backpressure; stops when it closes or after `ms`. */
async function pump(client: RawClient, frames: () => Buffer | undefined, ms = 20_000): Promise<number> {
  const deadline = Date.now() + ms;
  let written = 0;
  for (;;) {
    if (client.socket.destroyed || Date.now() > deadline) return written;
    const frame = frames();
    if (frame === undefined) return written;
    written += frame.length;
    if (!client.socket.write(frame)) {
      await Promise.race([
        new Promise((resolve) => client.socket.once('drain', resolve)),
        client.ended,
        sleep(500),
      ]);
    }
  }
}

describe('WebSocket control frames from a peer that does not read', () => {
  let target: Target;
  beforeAll(async () => {
    target = await startTarget('default');
  }, 45_000);
  afterAll(() => target?.stop());

  it('a flood of 125-byte pings from a client that never reads its pongs: the process lives, the server does not buffer the pongs without bound (ws: never buffered without end)', async () => {
    const before = await target.stats();
    const client = await rawConnect(target.port, '/');
    client.socket.pause();
    const ping = clientFrame(9, Buffer.alloc(125, 0x70));
    // 96 MiB of pings at most: far more than the loopback buffers of both ends hold.
    let left = Math.ceil((96 * MiB) / ping.length);
    const written = await pump(client, () => (left-- > 0 ? ping : undefined), 30_000);
    const during = await target.stats();
    console.info(
      `ping flood: ${(written / MiB).toFixed(1)} MiB written, server maxBuffered ${(during.maxBuffered / MiB).toFixed(1)} MiB, heap +${((during.heapUsed - before.heapUsed) / MiB).toFixed(1)} MiB, external +${((during.external - before.external) / MiB).toFixed(1)} MiB`,
    );
    // ws terminates a peer past 60 pending automatic pongs: the flood stops long before 96 MiB.
    expect(await ended(client)).toBe(true);
    expect(written).toBeLessThan(64 * MiB);
    expect(target.alive(), target.stderr()).toBe(true);
    expect(during.maxBuffered).toBeLessThanOrEqual(2 * MiB + 4096);
    expect((await burst(`${target.url}/`, '{', 1)).events).toBe(1);
  }, 60_000);
});

describe('WebSocket fragmentation and frame headers', () => {
  let target: Target;
  let fuzz: Target;
  beforeAll(async () => {
    [target, fuzz] = await Promise.all([startTarget('default'), startTarget('fuzz')]);
  }, 45_000);
  afterAll(() => {
    target?.stop();
    fuzz?.stop();
  });

  it('a message in fragments each under maxPayload but past it in all closes with 1009 (ws: maxPayload bounds the message, not the frame)', async () => {
    const client = await rawConnect(fuzz.port, '/?key=fragments');
    const piece = Buffer.alloc(16 * 1024, 0x61);
    const count = Math.ceil(fuzzLimits.maxPayload / piece.length) + 2;
    let i = 0;
    await pump(client, () => (i < count ? clientFrame(i++ === 0 ? 2 : 0, piece, false) : undefined));
    expect(await ended(client)).toBe(true);
    expect(client.seen.closeCodes).toEqual([1009]);
    expect(fuzz.alive(), fuzz.stderr()).toBe(true);
  });

  it('a message of 100 000 one-byte fragments (each Buffer costs far more than its byte) is closed, and the process lives with its heap bounded (ws: at most maxFragments fragments a message)', async () => {
    const before = await target.stats();
    const client = await rawConnect(target.port, '/');
    let i = 0;
    const one = Buffer.from([0x61]);
    const written = await pump(client, () =>
      i < 100_000 ? clientFrame(i++ === 0 ? 2 : 0, one, false) : undefined,
    );
    expect(await ended(client)).toBe(true);
    const after = await target.stats();
    console.info(
      `one-byte fragments: ${i} sent (${(written / MiB).toFixed(2)} MiB), close ${JSON.stringify(client.seen.closeCodes)}, heap +${((after.heapUsed - before.heapUsed) / MiB).toFixed(1)} MiB`,
    );
    // ws closes a message past maxFragments with 1008; the client may have written the rest already.
    expect(client.seen.closeCodes).toEqual([1008]);
    expect(target.alive(), target.stderr()).toBe(true);
    expect(after.heapUsed - before.heapUsed).toBeLessThan(16 * MiB);
    expect(await settledConnections(target)).toBe(0);
  }, 60_000);

  it.each([
    ['below 1000', 999],
    ['1005, which no peer may send', 1005],
    ['1006, which no peer may send', 1006],
    ['1015, which no peer may send', 1015],
    ['in the unassigned 2000s', 2999],
    ['past 4999', 5000],
  ])(
    'a close frame with a code %s gets 1002 and the process lives (RFC 6455 §7.4.1: an invalid close code is a protocol error)',
    async (_, code) => {
      const client = await rawConnect(target.port, '/');
      const payload = Buffer.alloc(2);
      payload.writeUInt16BE(code);
      client.send(8, payload);
      expect(await ended(client)).toBe(true);
      expect(client.seen.closeCodes).toEqual([1002]);
      expect(target.alive(), target.stderr()).toBe(true);
    },
  );

  it.each([
    ['a close frame of one byte', 8, Buffer.from([3])],
    ['a close reason that is not UTF-8', 8, Buffer.from([3, 0xe8, 0xff, 0xfe])],
    ['a ping of 126 bytes (control frames are at most 125)', 9, Buffer.alloc(126)],
  ])('%s is refused with a close and the process lives (RFC 6455 §5.5)', async (_, opcode, payload) => {
    const client = await rawConnect(target.port, '/');
    client.send(opcode, payload);
    expect(await ended(client)).toBe(true);
    expect(client.seen.closeCodes.length).toBeLessThanOrEqual(1);
    for (const code of client.seen.closeCodes) expect([1002, 1007]).toContain(code);
    expect(target.alive(), target.stderr()).toBe(true);
  });

  it('a compressed frame (RSV1) where no extension was negotiated, a fragmented ping, an unknown opcode and an unmasked frame each close the connection, and the process lives (RFC 6455 §5.2)', async () => {
    const frames = [
      (() => {
        const f = clientFrame(1, Buffer.from('{"type":"x"}'));
        f[0]! |= 0x40;
        return f;
      })(),
      clientFrame(9, Buffer.from('ping'), false),
      clientFrame(3, Buffer.from('x')),
      Buffer.from([0x81, 0x02, 0x7b, 0x7d]),
    ];
    for (const frame of frames) {
      const client = await rawConnect(target.port, '/');
      client.socket.write(frame);
      expect(await ended(client)).toBe(true);
      for (const code of client.seen.closeCodes) expect(code).toBe(1002);
    }
    expect(target.alive(), target.stderr()).toBe(true);
    expect(await settledConnections(target)).toBe(0);
  });
});

/** Sends a raw handshake and reads the answer's head and body (5 s at most). */
function handshake(port: number, lines: readonly string[]): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer in 5 s: ${received}`));
    }, 5_000);
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ status: Number(received.split(' ')[1]), text: received });
    });
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    // A 101 keeps the socket open: end it once read.
    setTimeout(() => socket.end(), 500);
  });
}

describe('WebSocket handshakes with hostile headers', () => {
  let target: Target;
  beforeAll(async () => {
    target = await startTarget('default');
  }, 45_000);
  afterAll(() => target?.stop());
  const key = () => `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`;
  const base = ['GET / HTTP/1.1', 'Host: 127.0.0.1', 'Upgrade: websocket', 'Connection: Upgrade'];

  it.each([
    ['two Sec-WebSocket-Key headers', [...base, key(), key(), 'Sec-WebSocket-Version: 13']],
    [
      'a Sec-WebSocket-Key of the wrong length',
      [...base, 'Sec-WebSocket-Key: c2hvcnQ=', 'Sec-WebSocket-Version: 13'],
    ],
    [
      'two Sec-WebSocket-Version headers',
      [...base, key(), 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 8'],
    ],
    ['an unknown Sec-WebSocket-Version', [...base, key(), 'Sec-WebSocket-Version: 99']],
    [
      'a permessage-deflate offer with junk parameters',
      [
        ...base,
        key(),
        'Sec-WebSocket-Version: 13',
        `Sec-WebSocket-Extensions: permessage-deflate; ${'x=1; '.repeat(500)}client_max_window_bits=99`,
      ],
    ],
    [
      'a thousand subprotocols',
      [
        ...base,
        key(),
        'Sec-WebSocket-Version: 13',
        `Sec-WebSocket-Protocol: ${Array.from({ length: 1000 }, (_, i) => `p${i}`).join(', ')}`,
      ],
    ],
    [
      'a malformed subprotocol list',
      [...base, key(), 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Protocol: a,,b, ,c'],
    ],
  ])(
    '%s: a 101 or a catalog 4xx with problem+json, never a crash (ws: a handshake it cannot accept gets a 4xx)',
    async (_, lines) => {
      const answer = await handshake(target.port, lines);
      expect([101, 400, 426], answer.text.slice(0, 300)).toContain(answer.status);
      if (answer.status !== 101) {
        expect(answer.text.toLowerCase()).toContain('content-type: application/problem+json');
        expect(answer.text).not.toMatch(/at .+\.(js|ts):\d+/);
      }
      expect(target.alive(), target.stderr()).toBe(true);
    },
  );
});

/**
 * Writes a request head without its body and reads every status line answered (interim and final) until
 * a final answer's head and body are in, or the connection closes, or 5 s pass.
 */
function finalStatuses(baseUrl: string, requestHead: string): Promise<number[]> {
  const { port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    let text = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve([...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((match) => Number(match[1])));
    };
    const timer = setTimeout(done, 5_000);
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      const final = /HTTP\/1\.1 [2-5]\d\d[\s\S]*?\r\n\r\n/.exec(text);
      const length = final && /content-length: *(\d+)/i.exec(final[0]);
      if (final && length && text.length >= final.index + final[0].length + Number(length[1])) done();
    });
    socket.on('close', done);
    socket.write(requestHead);
  });
}

describe.each(adapters.map((a) => [a.name, a] as const))(
  'HTTP bodies on the %s adapter',
  (_name, adapter) => {
    let server: Server;
    let base = '';
    const runs = { count: 0 };
    beforeAll(async () => {
      server = await adapter.build({
        options: { catalog: defineErrors({}), logger: false },
        body: { limit: '64kb', readTimeout: 2_000 },
        routes: [
          {
            method: 'POST',
            path: '/json',
            json: true,
            handle: (request) => {
              runs.count++;
              return { body: { got: request.body } };
            },
          },
        ],
      });
      base = await listen(server);
    });
    afterAll(async () => {
      if (server) await close(server);
    });

    const head = (lines: readonly string[]) =>
      `${['POST /json HTTP/1.1', 'Host: 127.0.0.1', ...lines].join('\r\n')}\r\n\r\n`;

    it('a gzip bomb (Content-Encoding: gzip, 64 MiB of JSON in ~64 KiB) is never inflated: a catalog 4xx, the handler never runs (RFC 9110 §8.4: a coding the server does not apply is refused)', async () => {
      const before = runs.count;
      const bomb = gzipSync(
        Buffer.concat([Buffer.from('{"a":"'), Buffer.alloc(64 * MiB, 0x61), Buffer.from('"}')]),
      );
      expect(bomb.length).toBeLessThan(64 * 1024);
      const answer = await sendRaw(base, [
        head(['Content-Type: application/json', 'Content-Encoding: gzip', `Content-Length: ${bomb.length}`]),
        bomb,
      ]);
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(answer.headers['content-type']).toBe('application/problem+json');
      expect(runs.count).toBe(before);
    });

    it('a small gzip body of valid JSON is not taken as its compressed bytes: a catalog 4xx, the handler never runs', async () => {
      const before = runs.count;
      const body = gzipSync(Buffer.from('{"a":1}'));
      const answer = await sendRaw(base, [
        head(['Content-Type: application/json', 'Content-Encoding: gzip', `Content-Length: ${body.length}`]),
        body,
      ]);
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(answer.headers['content-type']).toBe('application/problem+json');
      expect(runs.count).toBe(before);
    });

    it('Expect: 100-continue with a declared length over the limit gets a final 413 in the catalog, without the body ever being sent (RFC 9110 §10.1.1: a server may answer the final status instead of 100)', async () => {
      const statuses = await finalStatuses(
        base,
        head(['Content-Type: application/json', 'Expect: 100-continue', `Content-Length: ${64 * MiB}`]),
      );
      // At most an interim 100 before it; the answer that counts is the final one.
      expect(statuses.filter((status) => status !== 100)).toEqual([413]);
    });

    it('a JSON body of one 60 000-digit number, one of 4 000 keys, 1e999999 and -0, each under the limit: answered, never a 5xx', async () => {
      const number = `{"n":${'9'.repeat(60_000)}}`;
      const wide = `{${Array.from({ length: 4_000 }, (_, i) => `"k${i}":${i}`).join(',')}}`;
      for (const body of [number, wide, '{"n":1e999999}', '{"n":-0}']) {
        const response = await fetch(`${base}/json`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        await response.arrayBuffer();
        expect(response.status, body.slice(0, 40)).toBeLessThan(500);
      }
    });

    it('a body stalled after its head (Content-Length: 10, no byte sent) gets the catalog 408, then the connection closes', async () => {
      const answer = await sendRaw(base, [head(['Content-Type: application/json', 'Content-Length: 10'])], {
        timeoutMs: 15_000,
      });
      expect(answer.status).toBe(408);
      expect(answer.headers['content-type']).toBe('application/problem+json');
    }, 20_000);
  },
);

describe('guards on a real Redis that freezes or dies mid-request', { timeout: 60_000 }, () => {
  let redis: RedisServer;
  const clients: Redis[] = [];
  const servers: Server[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(() => {
    // A failed case must not leave the server frozen for the next one.
    if (redis) thaw(redis);
  });
  afterAll(async () => {
    for (const server of servers) await close(server);
    for (const client of clients) client.disconnect();
    if (redis) thaw(redis);
    await redis?.stop();
  });

  /** A store on a client of its own, with ioredis's defaults (offline queue, resent commands). */
  function storeOn() {
    const client = new Redis(redis.port, '127.0.0.1');
    client.on('error', () => {});
    clients.push(client);
    const store = redisStore({
      send: redisSend(client),
      prefix: `out3-${randomBytes(6).toString('hex')}:`,
      logger: { error: () => {}, info: () => {} },
    });
    return { client, store };
  }

  /** A node app behind `guards` whose handler may be held by `gate`; counts its runs. */
  async function serve(guards: Guard[], gate?: () => Promise<void>) {
    let executed = 0;
    const errors = createNodeErrors({ onError: false, logger: false });
    const server = createServer(
      errors(
        guard(...guards)(async (req, res) => {
          executed++;
          const body = req.method === 'POST' ? await readJson(req) : undefined;
          if (gate) await gate();
          sendJson(res, req.method === 'POST' ? 201 : 200, { n: executed, body });
        }),
      ),
    );
    servers.push(server);
    return { url: await listen(server), executed: () => executed };
  }

  const hit = (url: string, init: RequestInit = {}) =>
    fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const post = (url: string, key: string) =>
    hit(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `"${key}"` },
      body: '{"item":"x"}',
    });
  async function statuses(responses: Promise<Response>[]): Promise<number[]> {
    return Promise.all(
      responses.map(async (pending) => {
        const res = await pending;
        await res.arrayBuffer();
        return res.status;
      }),
    );
  }

  it('a daily quota: 10 requests refused 503 while Redis is frozen spend none of it once it resumes (rate-limit-redis: a refused request spends nothing)', async () => {
    const { client, store } = storeOn();
    const app = await serve([quota({ key: () => 'tenant', limit: 3, per: 'day', store, storeTimeout: 150 })]);
    freeze(redis);
    const refused = await statuses(Array.from({ length: 10 }, () => hit(`${app.url}/`)));
    thaw(redis);
    expect(refused).toEqual(Array(10).fill(503));
    expect(await client.ping()).toBe('PONG');
    const after: number[] = [];
    for (let i = 0; i < 4; i++) after.push(...(await statuses([hit(`${app.url}/`)])));
    expect(after).toEqual([200, 200, 200, 429]);
    expect(app.executed()).toBe(3);
  });

  it('a rate limit with a ban: denials answered 503 while Redis is frozen count as no strike, so no ban starts once it resumes (@fastify/rate-limit: a ban follows denials the client was given)', async () => {
    const { client, store } = storeOn();
    const limit = rateLimit({
      key: () => 'k',
      limit: 2,
      period: '1h',
      ban: { after: 2, for: '1h' },
      store,
      storeTimeout: 150,
    });
    const app = await serve([limit]);
    expect(await statuses([hit(`${app.url}/`), hit(`${app.url}/`)])).toEqual([200, 200]);
    freeze(redis);
    const refused = await statuses(Array.from({ length: 10 }, () => hit(`${app.url}/`)));
    thaw(redis);
    expect(refused).toEqual(Array(10).fill(503));
    expect(await client.ping()).toBe('PONG');
    // One denial of the policy: its Retry-After is the time one unit frees (30 min), not the ban's hour.
    const denied = await hit(`${app.url}/`);
    await denied.arrayBuffer();
    expect(denied.status).toBe(429);
    expect(Number(denied.headers.get('retry-after'))).toBeLessThanOrEqual(1800);
  });

  it('Redis frozen while an idempotent handler runs: the caller still gets its 201, and a retry once Redis resumes replays it, never runs it again (IETF idempotency-key draft: same key, same answer)', async () => {
    const { client, store } = storeOn();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let running!: () => void;
    const started = new Promise<void>((resolve) => (running = resolve));
    const app = await serve([idempotency({ tenant: () => 't', store, storeTimeout: 150 })], async () => {
      running();
      await held;
    });
    const first = post(app.url, 'frozen-during');
    await started;
    freeze(redis);
    release();
    const answer = await first;
    expect(answer.status).toBe(201);
    await answer.arrayBuffer();
    // While frozen, a retry cannot be decided: 503, never a second run.
    expect(await statuses([post(app.url, 'frozen-during')])).toEqual([503]);
    thaw(redis);
    expect(await client.ping()).toBe('PONG');
    const retry = await post(app.url, 'frozen-during');
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    await retry.arrayBuffer();
    expect(app.executed()).toBe(1);
  });

  it('Redis frozen when a concurrency lease is given back: the slot is free once it resumes, not held for the lease TTL (a lease lives as long as its request)', async () => {
    const { client, store } = storeOn();
    let release!: () => void;
    let held = new Promise<void>((resolve) => (release = resolve));
    let running!: () => void;
    let started = new Promise<void>((resolve) => (running = resolve));
    const app = await serve(
      [concurrency({ key: () => 'k', limit: 1, ttl: 60_000, store, storeTimeout: 150 })],
      async () => {
        running();
        await held;
      },
    );
    const first = hit(`${app.url}/`);
    await started;
    freeze(redis);
    release();
    expect(await statuses([first])).toEqual([200]);
    thaw(redis);
    expect(await client.ping()).toBe('PONG');
    held = Promise.resolve();
    started = Promise.resolve();
    running = () => {};
    expect(await statuses([hit(`${app.url}/`)])).toEqual([200]);
    expect(app.executed()).toBe(2);
  });

  it('WebSocket connection leases on a frozen Redis: the handshake gets 503 over HTTP, and once Redis resumes no lease of a refused or closed connection holds the slot (a lease lives as long as its connection)', async () => {
    const { client, store } = storeOn();
    const endpoint = createWsErrors({
      errors: { logger: false },
      limits: { heartbeat: false, connections: { max: 1, store } },
    });
    const server = createServer((_req, res) => res.end());
    server.on('upgrade', endpoint.upgrade);
    servers.push(server);
    const port = Number(new URL(await listen(server)).port);
    const lines = () => [
      'GET / HTTP/1.1',
      'Host: 127.0.0.1',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
    ];
    try {
      freeze(redis);
      const refused = await Promise.all([handshake(port, lines()), handshake(port, lines())]);
      thaw(redis);
      expect(refused.map((answer) => answer.status)).toEqual([503, 503]);
      expect(await client.ping()).toBe('PONG');
      // The slot is free: one connection is admitted, a second is over the limit.
      const first = await rawConnect(port, '/');
      expect((await handshake(port, lines())).status).toBe(429);
      // Closed while Redis is frozen: the release runs once it resumes.
      freeze(redis);
      first.closeFrame();
      await ended(first);
      thaw(redis);
      expect(await client.ping()).toBe('PONG');
      const second = await rawConnect(port, '/');
      second.closeFrame();
      await ended(second);
    } finally {
      thaw(redis);
      await endpoint.close({ timeout: 1_000 });
    }
  });

  it('Redis killed by pid mid-request and restarted: the requests in flight get 503 with Retry-After, the server stays up, an idempotent POST refused meanwhile runs once on retry (ioredis defaults: offline queue, resent commands)', async () => {
    const { store } = storeOn();
    const limit = rateLimit({ key: () => 'kill', limit: 1000, period: '1h', store, storeTimeout: 300 });
    const once = idempotency({ tenant: () => 't', store, storeTimeout: 300 });
    const app = await serve([limit, once]);
    expect(await statuses([post(app.url, 'warm')])).toEqual([201]);
    await redis.kill();
    try {
      const during = await Promise.all(
        Array.from({ length: 5 }, async () => {
          const res = await post(app.url, 'killed');
          await res.arrayBuffer();
          return [res.status, Number(res.headers.get('retry-after'))] as const;
        }),
      );
      for (const [status, wait] of during) {
        expect(status).toBe(503);
        expect(wait).toBeGreaterThan(0);
      }
    } finally {
      await redis.restart();
    }
    // Bounded: ioredis reconnects on its own schedule.
    let status = 0;
    for (let i = 0; i < 100 && status !== 201; i++) {
      const res = await post(app.url, 'killed');
      await res.arrayBuffer();
      status = res.status;
      if (status !== 201) {
        expect(status).toBe(503);
        await sleep(100);
      }
    }
    expect(status).toBe(201);
    const replay = await post(app.url, 'killed');
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    await replay.arrayBuffer();
    expect(app.executed()).toBe(2);
  });
});

// An endpoint whose handlers throw values that fail on any look: a revoked Proxy, traps that throw,
// getters that throw. It runs in a child process: a throw that escapes the library kills it.
const hostileEndpoint = `
import { createServer } from 'node:http';
import { createWsErrors } from 'faultline/ws';
const revoked = () => { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy; };
const trapping = () => new Proxy(new Error('x'), {
  get() { throw new Error('get trap'); },
  has() { throw new Error('has trap'); },
  getPrototypeOf() { throw new Error('prototype trap'); },
  ownKeys() { throw new Error('keys trap'); },
  getOwnPropertyDescriptor() { throw new Error('descriptor trap'); },
});
const getters = () => ({ get code() { throw new Error('code'); }, get status() { throw new Error('status'); }, get message() { throw new Error('message'); }, [Symbol.toPrimitive]() { throw new Error('primitive'); } });
const values = { revoked, trapping, getters };
const on = {};
for (const [name, make] of Object.entries(values)) {
  on[name] = () => { throw make(); };
  on[name + 'Async'] = async () => { throw make(); };
  on[name + 'Reject'] = () => Promise.reject(make());
}
const endpoint = createWsErrors({ errors: { logger: false }, on, onError: () => {} });
const server = createServer((_req, res) => res.end());
server.on('upgrade', endpoint.upgrade);
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\\n'));
process.stdin.resume();
process.stdin.once('end', () => process.exit(0));
`;

describe('WebSocket handlers that throw hostile values', () => {
  it.each(['revoked', 'trapping', 'getters'])(
    'a handler throwing or rejecting with a %s value: the client gets an error event or a sendable close, and the process lives (one client must never crash a server)',
    async (value) => {
      const child = await spawnScript(['--input-type=module', '-e', hostileEndpoint], /^\{"port":(\d+)\}$/);
      try {
        const port = Number(child.ready[1]);
        for (const variant of ['', 'Async', 'Reject']) {
          const client = await rawConnect(port, '/');
          client.send(1, Buffer.from(JSON.stringify({ type: `${value}${variant}` })));
          for (let i = 0; i < 100 && client.seen.frames === 0 && client.seen.closeCodes.length === 0; i++) {
            await sleep(20);
          }
          client.closeFrame();
          await ended(client);
          expect(child.alive(), `${value}${variant}: ${child.stderr()}`).toBe(true);
          expect(client.seen.frames + client.seen.closeCodes.length, `${value}${variant}`).toBeGreaterThan(0);
          for (const code of client.seen.closeCodes)
            expect(code !== null && isSendableCloseCode(code)).toBe(true);
        }
      } finally {
        child.stop();
      }
    },
    45_000,
  );
});

describe.each(adapters.map((a) => [a.name, a] as const))(
  'HTTP handlers that throw hostile values on the %s adapter',
  (_name, adapter) => {
    const revoked = () => {
      const r = Proxy.revocable({}, {});
      r.revoke();
      return r.proxy;
    };
    const fail = (what: string) => () => {
      throw new Error(`${what} trap`);
    };
    const trapping = () =>
      new Proxy(new Error('x'), {
        get: fail('get'),
        has: fail('has'),
        getPrototypeOf: fail('prototype'),
        ownKeys: fail('keys'),
        getOwnPropertyDescriptor: fail('descriptor'),
      });
    let server: Server | undefined;
    afterAll(async () => {
      if (server) await close(server);
    });

    it('a handler throwing a revoked Proxy, or rejecting with one whose traps throw, gets the catalog 500 and nothing of the value (as a WebSocket handler does)', async () => {
      server = await adapter.build({
        options: { catalog: defineErrors({}), logger: false },
        routes: [
          {
            method: 'GET',
            path: '/sync',
            handle: () => {
              throw revoked();
            },
          },
          {
            method: 'GET',
            path: '/async',
            handle: async () => {
              throw trapping();
            },
          },
        ],
      });
      const base = await listen(server);
      for (const path of ['/sync', '/async']) {
        const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5_000) });
        const text = await res.text();
        expect([path, res.status, res.headers.get('content-type')]).toEqual([
          path,
          500,
          'application/problem+json',
        ]);
        expect(JSON.parse(text).code).toBe('INTERNAL_ERROR');
        expect(text).not.toMatch(/trap|Proxy/);
      }
    });
  },
);

/** Sends one text message per entry on one connection and collects the error code of each answer (10 s at most). */
async function codesOf(url: string, messages: readonly string[]): Promise<(string | undefined)[]> {
  const client = new WebSocket(url);
  client.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    client.once('open', () => resolve());
    client.once('close', () => reject(new Error('closed before open')));
  });
  const codes: (string | undefined)[] = [];
  const done = new Promise<void>((resolve) => {
    client.on('message', (data: Buffer) => {
      const event = JSON.parse(data.toString('utf8')) as { error?: { code?: string } };
      codes.push(event.error?.code);
      if (codes.length === messages.length) resolve();
    });
    client.once('close', () => resolve());
  });
  for (const message of messages) client.send(message);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([done, new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
  clearTimeout(timer);
  client.terminate();
  return codes;
}

describe('WebSocket message types that name properties of every object', () => {
  let target: Target;
  beforeAll(async () => {
    target = await startTarget('default');
  }, 45_000);
  afterAll(() => target?.stop());

  it('a type of __proto__, constructor, toString, valueOf or hasOwnProperty is an unknown type (a 4xx event), never a handler found on Object.prototype nor a 500', async () => {
    const [unknown] = await codesOf(`${target.url}/`, [JSON.stringify({ type: 'no_such_type' })]);
    expect(unknown).toBeDefined();
    const names = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__'];
    const codes = await codesOf(
      `${target.url}/`,
      names.map((type) => JSON.stringify({ type })),
    );
    expect(Object.fromEntries(names.map((name, i) => [name, codes[i]]))).toEqual(
      Object.fromEntries(names.map((name) => [name, unknown])),
    );
    expect(target.alive(), target.stderr()).toBe(true);
  });

  it('a flood of {"type":"valueOf"} is a client error like any unknown type: the budget of events, then 1008 (was an internal error per message, logged each time, which the budget never closes on)', async () => {
    const client = await rawConnect(target.port, '/');
    const message = Buffer.from('{"type":"valueOf"}');
    for (let i = 0; i < 2000; i++) client.send(1, message);
    for (let i = 0; i < 250 && client.seen.closeCodes.length === 0; i++) await sleep(20);
    client.closeFrame();
    await ended(client);
    expect(client.seen.closeCodes).toEqual([1008]);
    expect(client.seen.frames).toBeLessThan(2000);
    expect(target.alive(), target.stderr()).toBe(true);
  });
});

describe.each([
  ['express', false],
  ['express', true],
  ['fastify', false],
  ['fastify', true],
] as const)('HTTP bodies on Nest (platform-%s, faultline reader: %s)', (platform, strictJson) => {
  let nest: NestApp | undefined;
  beforeAll(async () => {
    nest = await startNestApp(platform, { strictJson });
  }, 30_000);
  afterAll(async () => {
    await nest?.app.close();
  });

  it('a gzip bomb of 64 MiB of JSON is never inflated past a limit: a 4xx in the catalog, the server still answers', async () => {
    const bomb = gzipSync(
      Buffer.concat([Buffer.from('{"email":"'), Buffer.alloc(64 * MiB, 0x61), Buffer.from('"}')]),
    );
    const before = process.memoryUsage().rss;
    const answer = await sendRaw(nest!.base, [
      `POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: ${bomb.length}\r\n\r\n`,
      bomb,
    ]);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(process.memoryUsage().rss - before).toBeLessThan(48 * MiB);
    const after = await fetch(`${nest!.base}/conflict`);
    await after.arrayBuffer();
    expect(after.status).toBe(409);
  });
});

describe('WebSocket messages held to what the HTTP JSON readers refuse', () => {
  let target: Target;
  beforeAll(async () => {
    target = await startTarget('fuzz-open');
  }, 45_000);
  afterAll(() => target?.stop());

  it('a message nested 8 000 deep (16 KiB) is malformed like a body past maxDepth, never a 500 from a handler that serializes it (faultline HTTP readers: nesting past 256 is refused)', async () => {
    const [malformed] = await codesOf(`${target.url}/?key=depth`, ['{']);
    expect(malformed).toBeDefined();
    const deep = `{"type":"echo","x":${'['.repeat(8000)}${']'.repeat(8000)}}`;
    expect(await codesOf(`${target.url}/?key=depth`, [deep])).toEqual([malformed]);
    expect(target.alive(), target.stderr()).toBe(true);
  });

  it('a message with a __proto__ key or a constructor.prototype never reaches a handler: malformed, as a body is (Fastify: prototype-poisoning keys are refused by default)', async () => {
    const [malformed] = await codesOf(`${target.url}/?key=poison`, ['{']);
    const poisoned = [
      '{"type":"echo","__proto__":{"admin":true}}',
      '{"type":"echo","a":{"\\u005f_proto__":{"admin":true}}}',
      '{"type":"echo","constructor":{"prototype":{"admin":true}}}',
    ];
    expect(await codesOf(`${target.url}/?key=poison`, poisoned)).toEqual(poisoned.map(() => malformed));
    // Keys that only look alike pass: the echo comes back, which has no error code.
    expect(
      await codesOf(`${target.url}/?key=poison`, ['{"type":"echo","proto":1,"constructor":"x"}']),
    ).toEqual([undefined]);
  });
});
