/**
 * faultline's WebSocket layer attacked from outside, on the angles the earlier suites leave open: handshakes
 * that end before the upgrade, cross-site handshakes, compression, long fragmented messages, hostile
 * handshake heads, connection storms, and a hostile server against `connectSocket`. Every case ends in a
 * documented close code, an error event or a catalog answer over HTTP: never a crash, an unhandled
 * rejection, a hang, a held slot or a stack trace on the wire.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, createServer as createTcpServer } from 'node:net';
import { deflateRawSync } from 'node:zlib';
import { ApiError, defineErrors, wsDefinitions } from 'faultline';
import { connectSocket, type WebSocketConstructor } from 'faultline/client';
import { createWsErrors, type WsErrors, type WsErrorsOptions } from 'faultline/ws';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { watchCrashes } from '../helpers/crashes.js';
import { startDemo, startTarget } from '../helpers/ws-process.js';
import { clientFrame, rawConnect } from '../helpers/ws-raw.js';
import { startSeed } from '../seeds/harness.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const catalog = defineErrors({ ...wsDefinitions });

const crashes = watchCrashes();
afterEach(() => expect(crashes).toEqual([]));

interface Endpoint {
  port: number;
  url: string;
  endpoint: WsErrors<any>;
  server: Server;
}
const servers: Endpoint[] = [];
afterEach(async () => {
  for (const { endpoint, server } of servers.splice(0)) {
    await endpoint.close({ timeout: 200 });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** An endpoint on a node:http server of 127.0.0.1 whose plain requests get the catalog's 426. */
async function serve(options: WsErrorsOptions<any>): Promise<Endpoint> {
  const endpoint = createWsErrors({ errors: { catalog, logger: false }, ...options });
  const server = createServer((_request, response) => {
    const { status, headers, body } = endpoint.errors.handle(endpoint.upgradeRequired(), {});
    response.writeHead(status, headers).end(body);
  });
  server.on('upgrade', endpoint.upgrade);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const served = { port, url: `ws://127.0.0.1:${port}`, endpoint, server };
  servers.push(served);
  return served;
}

const wsKey = () => randomBytes(16).toString('base64');
const head = (path = '/', extra: readonly string[] = []) =>
  [
    `GET ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${wsKey()}`,
    'Sec-WebSocket-Version: 13',
    ...extra,
  ].join('\r\n');

/**
 * Writes `text` on a raw connection (`end`: then half-closes it) and reads until the peer closes or
 * `ms` pass; resolves with everything read and whether the peer closed.
 */
function exchange(
  port: number,
  text: string | Buffer,
  { end = false, ms = 5_000 } = {},
): Promise<{ text: string; status: number; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: received, status: Number(received.split(' ')[1]), closed });
    };
    const timer = setTimeout(() => done(false), ms);
    socket.on('error', () => {});
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('close', () => done(true));
    if (end) socket.end(text);
    else socket.write(text);
  });
}

/** Opens a `ws` client; resolves with it once open, or with the refused handshake's status. */
function open(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const client = new WebSocket(url, options);
    const timer = setTimeout(() => reject(new Error('no answer within 10 s')), 10_000);
    client.on('error', () => {});
    client.once('open', () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.once('unexpected-response', (request, response) => {
      clearTimeout(timer);
      response.resume();
      request.destroy();
      resolve(response.statusCode ?? 0);
    });
  });
}

const closedCode = (client: WebSocket) =>
  new Promise<number>((resolve) => {
    if (client.readyState === client.CLOSED) resolve(1006);
    client.once('close', (code) => resolve(code));
  });

describe('handshakes that end before the upgrade completes', () => {
  it('a client that sends its handshake and half-closes at once, twice the limit, holds no connection slot: the session still connects (ws destroys a socket it cannot upgrade without calling back)', async () => {
    const { port, url, endpoint } = await serve({
      authenticate: async () => {
        await sleep(20);
        return { key: 'victim' };
      },
      limits: { connections: { max: 2 }, heartbeat: false },
    });
    for (let i = 0; i < 4; i++) await exchange(port, `${head()}\r\n\r\n`, { end: true, ms: 1_000 });
    const client = await open(url);
    expect(client).toBeInstanceOf(WebSocket);
    expect(endpoint.connections.size).toBe(1);
    (client as WebSocket).terminate();
  });

  it('a storm of 300 handshakes destroyed at random points (before, during and after authenticate) leaves no slot held and no connection counted', async () => {
    const { port, url, endpoint } = await serve({
      authenticate: async () => {
        await sleep(Math.random() * 5);
        return { key: 'storm' };
      },
      limits: { connections: { max: 3 }, heartbeat: false },
    });
    for (let round = 0; round < 30; round++) {
      await Promise.all(
        Array.from(
          { length: 10 },
          (_, i) =>
            new Promise<void>((resolve) => {
              const socket = connect(port, '127.0.0.1');
              socket.on('error', () => {});
              socket.on('close', () => resolve());
              socket.write(`${head()}\r\n\r\n`);
              if (i % 3 === 0) socket.end();
              setTimeout(() => socket.destroy(), i);
            }),
        ),
      );
    }
    for (let i = 0; i < 100 && endpoint.connections.size > 0; i++) await sleep(20);
    expect(endpoint.connections.size).toBe(0);
    // A handshake of the storm may still sit in `authenticate` and take its lease for a moment before its
    // socket's close gives it back: the three opens are tried again (bounded), and a slot that never frees
    // still fails the test.
    let clients: unknown[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      clients = await Promise.all([open(url), open(url), open(url)]);
      if (clients.every((client) => client instanceof WebSocket)) break;
      for (const client of clients) if (client instanceof WebSocket) client.terminate();
      await sleep(50);
    }
    for (const client of clients) expect(client).toBeInstanceOf(WebSocket);
    for (const client of clients) (client as WebSocket).terminate();
  }, 30_000);
});

describe('handshake heads an outsider writes by hand', () => {
  const base = ['GET / HTTP/1.1', 'Host: 127.0.0.1', 'Upgrade: websocket', 'Connection: Upgrade'];
  const cases: [string, string, number[]][] = [
    ['no Sec-WebSocket-Key', [...base, 'Sec-WebSocket-Version: 13'].join('\r\n'), [400]],
    [
      'a Sec-WebSocket-Key that is not base64',
      [...base, 'Sec-WebSocket-Key: !!!!!!!!!!!!!!!!!!!!!!==', 'Sec-WebSocket-Version: 13'].join('\r\n'),
      [400],
    ],
    [
      'Sec-WebSocket-Version: 8 (ws still speaks hybi-08, framed as 13)',
      [...base, `Sec-WebSocket-Key: ${wsKey()}`, 'Sec-WebSocket-Version: 8'].join('\r\n'),
      [101],
    ],
    ['two Upgrade headers', head('/', ['Upgrade: h2c']), [400]],
    ['Upgrade: websocket over POST', head('/').replace('GET', 'POST'), [400, 405]],
    [
      '200 extra headers',
      head(
        '/',
        Array.from({ length: 200 }, (_, i) => `X-Pad-${i}: ${i}`),
      ),
      [101],
    ],
    [
      '2 500 subprotocols (12 KiB of header)',
      head('/', [`Sec-WebSocket-Protocol: ${Array.from({ length: 2500 }, (_, i) => `p${i}`).join(',')}`]),
      [101],
    ],
    ['a 12 KiB query string', head(`/?q=${'a'.repeat(12 * 1024)}`), [101]],
  ];
  it.each(cases)(
    '%s: a 101 or the catalog 4xx in problem+json, never a stack trace (ws: a handshake it cannot accept is refused over HTTP)',
    async (_name, text, statuses) => {
      const { port } = await serve({ limits: { heartbeat: false } });
      const answer = await exchange(port, `${text}\r\n\r\n`, { ms: 1_000 });
      expect(statuses, answer.text.slice(0, 300)).toContain(answer.status);
      if (answer.status !== 101) {
        expect(answer.text.toLowerCase()).toContain('content-type: application/problem+json');
        expect(answer.closed).toBe(true);
      }
      expect(answer.text).not.toMatch(/at .+\.(js|ts):\d+/);
    },
  );

  // No key; then a key and a version ws does not speak.
  const refusedHeads = ['13', '99'].map((version) => {
    const key = version === '99' ? [`Sec-WebSocket-Key: ${wsKey()}`] : [];
    return {
      version,
      text: `${[...base, ...key, `Sec-WebSocket-Version: ${version}`].join('\r\n')}\r\n\r\n`,
    };
  });

  it("a head ws refuses gets the code that claims handshakeInvalid, with the catalog's own text", async () => {
    const own = defineErrors({
      ...wsDefinitions,
      BAD_CONNECTION: { status: 400, message: 'Invalid request.', roles: ['handshakeInvalid'] },
    });
    const { port } = await serve({ errors: { catalog: own, logger: false }, limits: { heartbeat: false } });
    for (const { version, text } of refusedHeads) {
      const answer = await exchange(port, text, { ms: 1_000 });
      expect(answer.status).toBe(400);
      const body = JSON.parse(answer.text.slice(answer.text.indexOf('\r\n\r\n') + 4));
      expect(body).toMatchObject({ code: 'BAD_CONNECTION', detail: 'Invalid request.' });
      if (version === '99') expect(answer.text.toLowerCase()).toContain('sec-websocket-version: 13, 8');
    }
  });

  it("a head ws refuses gets HANDSHAKE_INVALID, or the bad-request twin, with ws's text naming the header", async () => {
    const spread = defineErrors({ ...wsDefinitions });
    const plain = defineErrors({});
    for (const [catalog, code] of [
      [spread, 'HANDSHAKE_INVALID'],
      [plain, 'BAD_REQUEST'],
    ] as const) {
      const { port } = await serve({ errors: { catalog, logger: false }, limits: { heartbeat: false } });
      for (const { version, text } of refusedHeads) {
        const answer = await exchange(port, text, { ms: 1_000 });
        expect(answer.status).toBe(400);
        const body = JSON.parse(answer.text.slice(answer.text.indexOf('\r\n\r\n') + 4));
        const header = version === '99' ? 'Sec-WebSocket-Version' : 'Sec-WebSocket-Key';
        expect(body).toMatchObject({ code, detail: `Missing or invalid ${header} header` });
      }
    }
  });

  it('a handshake with a body (Content-Length: 12): the 101, then the body read as frames, which are no frames: a 1002 close, never a message', async () => {
    let messages = 0;
    const { port } = await serve({
      limits: { heartbeat: false },
      on: { x: () => void messages++ },
    });
    const answer = await exchange(port, `${head('/', ['Content-Length: 12'])}\r\n\r\n{"type":"x"}`, {
      ms: 2_000,
    });
    expect(answer.status).toBe(101);
    const frames = Buffer.from(answer.text.slice(answer.text.indexOf('\r\n\r\n') + 4), 'latin1');
    expect(frames[0]).toBe(0x88);
    expect(frames.readUInt16BE(2)).toBe(1002);
    expect(messages).toBe(0);
  });

  it('a handshake head sent one byte every 20 ms is simply slow: answered once whole, and the server answers others meanwhile', async () => {
    const { port, url } = await serve({ limits: { heartbeat: false } });
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    const text = `${head()}\r\n\r\n`;
    for (let i = 0; i < text.length && !socket.destroyed; i++) {
      socket.write(text[i]!);
      if (i === 40) {
        const other = await open(url);
        expect(other).toBeInstanceOf(WebSocket);
        (other as WebSocket).terminate();
      }
      await sleep(i < 60 ? 20 : 0);
    }
    for (let i = 0; i < 100 && received === ''; i++) await sleep(20);
    expect(received.startsWith('HTTP/1.1 101')).toBe(true);
    socket.destroy();
  }, 20_000);
});

describe('permessage-deflate', () => {
  it('is never negotiated by default, so no compressed frame is ever inflated: an offer gets a 101 without the extension, and a frame with RSV1 set is a 1002 close', async () => {
    const { port, url } = await serve({ limits: { heartbeat: false } });
    const answer = await exchange(
      port,
      `${head('/', ['Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits'])}\r\n\r\n`,
      { ms: 500 },
    );
    expect(answer.status).toBe(101);
    expect(answer.text.toLowerCase()).not.toContain('sec-websocket-extensions');
    const client = await open(url);
    expect((client as WebSocket).extensions).toBe('');
    (client as WebSocket).terminate();
    // A bomb: 16 MiB of zeros deflated to ~16 KiB, sent as if the extension were on.
    const raw = await rawConnect(port);
    const bomb = clientFrame(1, deflateRawSync(Buffer.alloc(16 * 1024 * 1024)));
    bomb[0]! |= 0x40;
    raw.socket.write(bomb);
    await raw.ended;
    expect(raw.seen.closeCodes).toEqual([1002]);
  });
});

describe('fragmented messages', () => {
  it('a message in 2 000 fragments with 40 pings among them is one message: its answer, a pong per ping, and the socket stays open (RFC 6455 §5.4: control frames may be injected between fragments; ws terminates past 60 unanswered pings)', async () => {
    const { port } = await serve({
      limits: { heartbeat: false },
      on: { echo: (m: { pad: string }, conn) => void conn.send({ type: 'echoed', length: m.pad.length }) },
    });
    const raw = await rawConnect(port);
    let pongs = 0;
    raw.socket.on('data', (chunk: Buffer) => {
      // Pongs of 4 bytes are small enough to be counted by their header alone.
      for (let i = 0; i + 1 < chunk.length; i++) if (chunk[i] === 0x8a && chunk[i + 1] === 4) pongs++;
    });
    raw.socket.write(clientFrame(1, Buffer.from('{"type":"echo","pad":"'), false));
    for (let i = 0; i < 2_000; i++) {
      if (i % 50 === 0) raw.socket.write(clientFrame(9, Buffer.from('ping')));
      raw.socket.write(clientFrame(0, Buffer.from('aaaaaaaaaa'), false));
    }
    raw.socket.write(clientFrame(0, Buffer.from('"}')));
    for (let i = 0; i < 250 && (raw.seen.frames < 1 || pongs < 40); i++) await sleep(20);
    expect(raw.seen.frames).toBe(1);
    expect(pongs).toBe(40);
    expect(raw.seen.closeCodes).toEqual([]);
    raw.socket.destroy();
  });

  it('20 000 empty continuation frames (a message that never grows) are closed with 1008, not held for ever (ws: maxFragments counts empty fragments too)', async () => {
    const { port, endpoint } = await serve({ limits: { heartbeat: false } });
    const raw = await rawConnect(port);
    raw.socket.write(clientFrame(1, Buffer.from('{'), false));
    const empty = clientFrame(0, Buffer.alloc(0), false);
    for (let i = 0; i < 20_000 && !raw.socket.destroyed; i++) raw.socket.write(empty);
    await raw.ended;
    expect(raw.seen.closeCodes).toEqual([1008]);
    for (let i = 0; i < 100 && endpoint.connections.size > 0; i++) await sleep(20);
    expect(endpoint.connections.size).toBe(0);
  });

  it('a text message split into fragments that cut a UTF-8 character in two is whole once joined: answered, not 1007', async () => {
    const { port } = await serve({
      limits: { heartbeat: false },
      on: { echo: (m: { pad: string }, conn) => void conn.send({ type: 'echoed', pad: m.pad }) },
    });
    const raw = await rawConnect(port);
    const text = Buffer.from('{"type":"echo","pad":"€€€"}');
    const cut = text.indexOf(0xe2) + 1;
    raw.socket.write(clientFrame(1, text.subarray(0, cut), false));
    raw.socket.write(clientFrame(0, text.subarray(cut)));
    for (let i = 0; i < 100 && raw.seen.frames < 1; i++) await sleep(20);
    expect(raw.seen.frames).toBe(1);
    expect(raw.seen.closeCodes).toEqual([]);
    raw.socket.destroy();
  });
});

describe('connection storms from one address', () => {
  it('1 000 connections from one address to an endpoint with no option at all: all served, heap per connection bounded, every one gone once closed (ws sets no connection limit; limits.connections is the bound)', async () => {
    const target = await startTarget('default');
    try {
      const before = await target.stats();
      const clients: WebSocket[] = [];
      for (let batch = 0; batch < 20; batch++) {
        const opened = await Promise.all(Array.from({ length: 50 }, () => open(target.url)));
        for (const client of opened) if (client instanceof WebSocket) clients.push(client);
      }
      expect(clients).toHaveLength(1_000);
      const during = await target.stats();
      expect(during.connections).toBe(1_000);
      const perConnection = (during.heapUsed - before.heapUsed) / 1_000;
      console.info(`1 000 idle connections: ${(perConnection / 1024).toFixed(1)} KiB of heap each`);
      expect(perConnection).toBeLessThan(64 * 1024);
      const closes = clients.map(closedCode);
      for (const client of clients) client.close(1000);
      expect(new Set(await Promise.all(closes))).toEqual(new Set([1000]));
      let count = during.connections;
      for (let i = 0; i < 100 && count > 0; i++) {
        await sleep(20);
        count = (await target.stats()).connections;
      }
      expect(count).toBe(0);
      expect(target.alive(), target.stderr()).toBe(true);
    } finally {
      target.stop();
    }
  }, 60_000);

  it('500 connect-then-terminate cycles on a limited key: the limit is still exact afterwards (3 open, the 4th refused 429)', async () => {
    const { url, endpoint } = await serve({
      authenticate: () => ({ key: 'churn' }),
      limits: { connections: { max: 3 }, heartbeat: false },
    });
    for (let batch = 0; batch < 100; batch++) {
      const opened = await Promise.all(Array.from({ length: 5 }, () => open(url)));
      for (const client of opened) if (client instanceof WebSocket) client.terminate();
    }
    for (let i = 0; i < 100 && endpoint.connections.size > 0; i++) await sleep(20);
    const clients = await Promise.all([open(url), open(url), open(url)]);
    for (const client of clients) expect(client).toBeInstanceOf(WebSocket);
    expect(await open(url)).toBe(429);
    for (const client of clients) (client as WebSocket).terminate();
  }, 60_000);
});

describe('cross-site WebSocket hijacking (OWASP: check Origin where credentials are ambient)', () => {
  // What a browser on https://evil.example attaches by itself to a handshake it opens: the cookies and
  // cached Basic credentials of the target's origin, and its own Origin.
  const ambient = [
    'Origin: https://evil.example',
    'Cookie: session=stolen; token=stolen',
    `Authorization: Basic ${Buffer.from('user:password').toString('base64')}`,
  ];
  const refused = (answer: { status: number; text: string }) => {
    expect(answer.status, answer.text.slice(0, 300)).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    // Each API answers in its own envelope (the demo's and the seeds' are JSON, not problem+json).
    expect(answer.text.toLowerCase()).toMatch(/content-type: application\/(problem\+)?json/);
    expect(answer.text).not.toContain('HTTP/1.1 101');
    expect(answer.text).not.toMatch(/at .+\.(js|ts):\d+/);
  };

  it('the demo (npm start) authenticates by a key in the URL, never by what a browser attaches: a foreign page with cookies and Basic credentials gets a 4xx over HTTP, no socket', async () => {
    const demo = await startDemo();
    try {
      const path = new URL(demo.socketUrl);
      refused(await exchange(demo.port, `${head('/v1/ws', ambient)}\r\n\r\n`));
      const session = path.searchParams.get('session_id');
      refused(await exchange(demo.port, `${head(`/v1/ws?session_id=${session}`, ambient)}\r\n\r\n`));
      // With the key in its URL, any origin connects: the key is the credential, and no page holds it by itself.
      const client = await open(demo.socketUrl, { origin: 'https://evil.example' });
      expect(client).toBeInstanceOf(WebSocket);
      (client as WebSocket).terminate();
      expect(demo.alive(), demo.stderr()).toBe(true);
    } finally {
      demo.stop();
    }
  }, 60_000);

  it('seed 000 (x-api-key or a Bearer token, headers no browser sets on a WebSocket) and seed 001 (access_token in the URL) refuse a foreign page with cookies and Basic credentials over HTTP', async () => {
    const [seed000, seed001] = await Promise.all([
      startSeed(
        '000',
        { SEED_000_ADMIN_KEY: `key_${randomBytes(24).toString('base64url')}` },
        { isolate: /^SEED_000_/ },
      ),
      startSeed('001', {
        ADMIN_API_KEY: randomBytes(24).toString('hex'),
        DEMO_CONNECTOR_TOKEN: randomBytes(24).toString('hex'),
      }),
    ]);
    try {
      refused(await exchange(seed000.port, `${head('/v1/chat?project=p&chat=c', ambient)}\r\n\r\n`));
      refused(
        await exchange(
          seed001.port,
          `${head(`/api/v1/ws?session_id=${randomBytes(8).toString('hex')}`, ambient)}\r\n\r\n`,
        ),
      );
    } finally {
      await Promise.all([seed000.stop(), seed001.stop()]);
    }
  }, 60_000);
});

describe('origins: the allowlist of pages that may open a socket', () => {
  const allowed = 'https://app.example';
  const withOrigin = async (lines: readonly string[], handshake: 'http' | 'auto' = 'auto') => {
    let authenticated = 0;
    const { port } = await serve({
      origins: [allowed],
      handshake,
      // A cookie session: the credential a browser attaches by itself, on any page's handshake.
      authenticate: (_request, raw) => {
        authenticated++;
        if (!String(raw.headers.cookie).includes('session=')) throw catalog.builtin('unauthorized');
        return { key: 'cookie-session' };
      },
      limits: { heartbeat: false },
    });
    let text = head('/', ['Cookie: session=abc', ...lines]);
    // hybi-08 names the page in Sec-WebSocket-Origin (ws still accepts version 8).
    if (lines.some((line) => line.startsWith('Sec-WebSocket-Origin'))) {
      text = text.replace('Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 8');
    }
    const answer = await exchange(port, `${text}\r\n\r\n`, { ms: 500 });
    return { ...answer, authenticated };
  };

  it.each([
    ['a foreign page', ['Origin: https://evil.example']],
    ['a sandboxed or file page (Origin: null)', ['Origin: null']],
    ['a look-alike host', ['Origin: https://app.example.evil.example']],
    ['the allowed host over http', ['Origin: http://app.example']],
    [
      'the allowed page in a form no browser sends (default port, upper case)',
      ['Origin: https://APP.example:443'],
    ],
    [
      'two Origin headers, one of them allowed',
      ['Origin: https://app.example', 'Origin: https://evil.example'],
    ],
    [
      'a hybi-08 client naming a foreign page in Sec-WebSocket-Origin',
      ['Sec-WebSocket-Origin: https://evil.example'],
    ],
    [
      'a hybi-08 handshake whose Origin names a foreign page beside an allowed Sec-WebSocket-Origin',
      ['Sec-WebSocket-Origin: https://app.example', 'Origin: https://evil.example'],
    ],
  ])(
    '%s is refused 403 over HTTP before authenticate runs, in auto mode too: no socket for a page that holds a cookie (OWASP WebSocket cheat sheet: check Origin)',
    async (_name, lines) => {
      const answer = await withOrigin(lines);
      expect(answer.status, answer.text.slice(0, 300)).toBe(403);
      expect(answer.text).toContain('"code":"FORBIDDEN"');
      expect(answer.authenticated).toBe(0);
    },
  );

  it.each([
    ['the allowed page', ['Origin: https://app.example']],
    ['a client that is no browser (no Origin)', []],
  ])('%s connects', async (_name, lines) => {
    const answer = await withOrigin(lines);
    expect(answer.status, answer.text.slice(0, 300)).toBe(101);
    expect(answer.authenticated).toBe(1);
  });

  it.each([[['not a url']], [['https://app.example/path']], [[42]], ['https://app.example'], [[]]])(
    'a malformed allowlist (%j) is a configuration error when the endpoint is created, not every origin let in',
    (origins) => {
      expect(() => createWsErrors({ origins: origins as never })).toThrow(
        expect.objectContaining({ code: 'FAULTLINE_INVALID_OPTION' }),
      );
    },
  );
});

describe('origins as a function', () => {
  it('lets in what the function accepts and refuses 403 what it rejects or throws on (a failing check never lets a page in)', async () => {
    const { port } = await serve({
      origins: (origin) => {
        if (origin.includes('boom')) throw new Error('check failed');
        return new URL(origin).hostname.endsWith('.app.example');
      },
      limits: { heartbeat: false },
    });
    const statusFor = async (origin: string) =>
      (await exchange(port, `${head('/', [`Origin: ${origin}`])}\r\n\r\n`, { ms: 500 })).status;
    expect(await statusFor('https://eu.app.example')).toBe(101);
    expect(await statusFor('https://evil.example')).toBe(403);
    expect(await statusFor('https://boom.app.example')).toBe(403);
  });
});

/**
 * A hostile server at the frame level: it answers any handshake 101 (with `extensions` when given), then
 * writes `frames` as they are; resolves with its URL.
 */
async function hostileServer(frames: (offer: string) => Buffer[], extensions?: string): Promise<string> {
  const server = createTcpServer((socket) => {
    socket.on('error', () => {});
    let text = '';
    socket.on('data', (chunk) => {
      if (text.includes('\r\n\r\n')) return;
      text += chunk.toString('latin1');
      if (!text.includes('\r\n\r\n')) return;
      const key = /sec-websocket-key: *(\S+)/i.exec(text)?.[1] ?? '';
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      const offer = /sec-websocket-extensions: *([^\r]*)/i.exec(text)?.[1] ?? '';
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n${extensions && offer ? `Sec-WebSocket-Extensions: ${extensions}\r\n` : ''}\r\n`,
      );
      for (const frame of frames(offer)) socket.write(frame);
    });
  });
  tcpServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}
const tcpServers: ReturnType<typeof createTcpServer>[] = [];
const sockets: ReturnType<typeof connectSocket>[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  for (const server of tcpServers.splice(0)) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** An unmasked server frame, as a server must send it (or masked, as none may). */
function serverFrame(opcode: number, payload: Buffer, { rsv1 = false, masked = false } = {}): Buffer {
  if (masked) {
    const frame = clientFrame(opcode, payload);
    if (rsv1) frame[0]! |= 0x40;
    return frame;
  }
  const length = payload.length;
  const first = 0x80 | (rsv1 ? 0x40 : 0) | opcode;
  const head =
    length < 126
      ? Buffer.from([first, length])
      : length < 65_536
        ? Buffer.from([first, 126, length >> 8, length & 0xff])
        : Buffer.concat([Buffer.from([first, 127, 0, 0]), Buffer.from([0, 0, 0, 0]).fill(0)]);
  if (length >= 65_536) head.writeUInt32BE(length, 6);
  return Buffer.concat([head, payload]);
}

const closeFrame = (code: number, reason: Buffer) => {
  const payload = Buffer.alloc(2 + reason.length);
  payload.writeUInt16BE(code);
  reason.copy(payload, 2);
  return serverFrame(8, payload);
};

/** `connectSocket` with `ws`, and what it reported until it ended (10 s at most). */
async function client(url: string, WebSocketClass: unknown = WebSocket, options = {}) {
  const errors: ApiError[] = [];
  const messages: unknown[] = [];
  const socket = connectSocket(url, {
    WebSocket: WebSocketClass as WebSocketConstructor,
    catalog,
    reconnect: false,
    ...options,
  });
  sockets.push(socket);
  socket.on('error', (error) => errors.push(error));
  socket.on('message', (message) => messages.push(message));
  const ended = await new Promise<{ code: number; reason: string; decision: string } | 'hang'>((resolve) => {
    const timer = setTimeout(() => resolve('hang'), 10_000);
    socket.on('close', (_error, decision, info) => {
      clearTimeout(timer);
      resolve({ ...info, decision });
    });
  });
  return { errors, messages, ended };
}

describe('connectSocket against a hostile server', () => {
  it('a close whose reason is 123 bytes of multi-byte UTF-8 (the most a close frame holds) is read whole: the code, the reason, a decision', async () => {
    const reason = '€'.repeat(41);
    expect(Buffer.byteLength(reason)).toBe(123);
    const url = await hostileServer(() => [closeFrame(4409, Buffer.from(reason))]);
    const { ended, errors } = await client(url);
    expect(ended).toMatchObject({ code: 4409, reason, decision: 'stop' });
    for (const error of errors) expect(error).toBeInstanceOf(ApiError);
  });

  it.each([
    [
      'a close reason cut inside a character (invalid UTF-8)',
      [closeFrame(4000, Buffer.from('€€').subarray(0, 4))],
    ],
    ['a close frame of 126 bytes (control frames hold 125)', [closeFrame(1000, Buffer.alloc(124, 0x61))]],
    [
      'a masked frame (a server must never mask)',
      [serverFrame(1, Buffer.from('{"type":"x"}'), { masked: true })],
    ],
    [
      'a compressed frame (RSV1) where no extension was agreed',
      [serverFrame(1, deflateRawSync('{}'), { rsv1: true })],
    ],
    ['a text frame that is no UTF-8', [serverFrame(1, Buffer.from([0xff, 0xfe, 0x7b]))]],
    ['a continuation frame with no message begun', [serverFrame(0, Buffer.from('x'))]],
  ])('%s ends in a close with a code and a decision, no message, no throw', async (_name, frames) => {
    const url = await hostileServer(() => frames);
    const { ended, messages } = await client(url);
    expect(ended).not.toBe('hang');
    const { code, decision } = ended as { code: number; decision: string };
    expect([1002, 1006, 1007]).toContain(code);
    expect(decision).toBe('stop');
    expect(messages).toEqual([]);
  });

  it('a permessage-deflate bomb (64 MiB of zeros in ~64 KiB) never reaches a client built with perMessageDeflate off and a 1 MiB maxPayload: the extension is not offered, and the frame is a 1002 close', async () => {
    class BoundedWebSocket extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { perMessageDeflate: false, maxPayload: 1024 * 1024 });
      }
    }
    const offers: string[] = [];
    const bomb = deflateRawSync(Buffer.alloc(64 * 1024 * 1024, 0x20), { level: 9 });
    const url = await hostileServer((offer) => {
      offers.push(offer);
      return [serverFrame(1, bomb.subarray(0, bomb.length), { rsv1: true })];
    }, 'permessage-deflate');
    const { ended, messages } = await client(url, BoundedWebSocket);
    expect(offers).toEqual(['']);
    // ws closes with 1002 and reports the close it never received back as 1006.
    expect(ended).toMatchObject({ decision: 'stop' });
    expect([1002, 1006]).toContain((ended as { code: number }).code);
    expect(messages).toEqual([]);
  });

  it.each([
    ['-1', -1],
    ['0', 0],
    ['1e-300', 1e-300],
    ['2^53', 2 ** 53],
    ['a string', '"60"'],
    ['an object', '{"valueOf":5}'],
  ])(
    'an error event with retry_after %s then a 1013 close gets one reconnect after a wait a timer can hold',
    async (_name, wait) => {
      const event = `{"type":"error","error":{"code":"TRY_AGAIN_LATER","status":503,"retry_after":${wait}}}`;
      const url = await hostileServer(() => [
        serverFrame(1, Buffer.from(event)),
        closeFrame(1013, Buffer.alloc(0)),
      ]);
      const delays: number[] = [];
      const socket = connectSocket(url, {
        WebSocket: WebSocket as unknown as WebSocketConstructor,
        catalog,
        reconnect: { base: 1, cap: 2, maxAttempts: 1 },
      });
      sockets.push(socket);
      socket.on('reconnect', (delay) => delays.push(delay));
      const seen: unknown[] = [];
      socket.on('error', (error) => seen.push(error));
      socket.on('message', (message) => seen.push(message));
      for (let i = 0; i < 250 && delays.length === 0; i++) await sleep(20);
      socket.close();
      expect(delays).toHaveLength(1);
      expect(Number.isFinite(delays[0])).toBe(true);
      expect(delays[0]).toBeGreaterThanOrEqual(0);
      expect(delays[0]).toBeLessThanOrEqual(2 ** 31 - 1);
      // A wait the client cannot use (negative, a string, an object) is dropped; the error keeps its code.
      expect(seen.length).toBeGreaterThanOrEqual(1);
      expect(seen[0] instanceof ApiError).toBe(true);
      expect((seen[0] as ApiError).code).toBe('TRY_AGAIN_LATER');
      const usable = typeof wait === 'number' && wait >= 0;
      if (!usable) expect((seen[0] as ApiError).retryAfter).toBeUndefined();
    },
  );
});
