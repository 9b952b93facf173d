import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { defineErrors } from 'faultline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapters } from '../helpers/adapters.js';
import { close, listen } from '../helpers/http.js';

// Attack: a handler sets headers that describe the representation it meant to send, then throws. The
// error answer must not go out labelled gzip, cached, as an attachment, or setting the failed operation's
// cookie. Express's finalhandler and Koa's ctx.onerror drop every header before an error answer; faultline
// drops them too but keeps those that describe the connection or a policy (CORS, Vary, security, rate limits).
const catalog = defineErrors({});

/** What the app sets before it throws: the representation's headers, and the policy headers that stay. */
const representation = {
  'content-encoding': 'gzip',
  'content-disposition': 'attachment; filename="report.csv"',
  'set-cookie': 'session=half-done; Path=/; HttpOnly',
  'cache-control': 'public, max-age=3600',
  etag: '"v1"',
  'last-modified': 'Wed, 21 Oct 2015 07:28:00 GMT',
  'content-range': 'bytes 0-99/1000',
  'content-language': 'de',
  'content-length': '3',
  'x-powered-by': 'stale',
} as const;
const policy = {
  'access-control-allow-origin': 'https://app.example',
  'access-control-expose-headers': 'retry-after, x-request-id',
  vary: 'Origin',
  'strict-transport-security': 'max-age=63072000',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'",
  'x-ratelimit-remaining': '5',
  ratelimit: '"default";r=5;t=60',
} as const;

const stale = 'Wed, 21 Oct 2015 07:28:00 GMT';
const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

describe.each(adapters.map((a) => [a.name, a] as const))('error answers on %s', (_name, adapter) => {
  let base = '';
  beforeAll(async () => {
    const server = await adapter.build({
      options: { catalog, logger: false },
      body: { limit: 64 },
      routes: [
        {
          method: 'GET',
          path: '/export',
          headersBeforeThrow: { ...representation, ...policy },
          handle() {
            throw new Error('the export failed half-way');
          },
        },
        {
          method: 'GET',
          path: '/dated',
          headersBeforeThrow: { date: stale },
          handle() {
            throw new Error('the export failed half-way');
          },
        },
        {
          method: 'GET',
          path: '/limited',
          headersBeforeThrow: { ...policy, 'retry-after': '99', etag: '"v2"' },
          handle() {
            throw catalog.create('RATE_LIMITED', undefined, {
              headers: { 'Retry-After': '7', 'X-RateLimit-Remaining': '0' },
            });
          },
        },
        { method: 'POST', path: '/echo', json: true, handle: ({ body }) => ({ body }) },
        { method: 'GET', path: '/ok', handle: () => ({ body: { ok: true } }) },
      ],
    });
    servers.push(server);
    base = await listen(server);
  });

  it('an error answer drops the headers of the representation the app set before it threw', async () => {
    const response = await fetch(`${base}/export`, { signal: AbortSignal.timeout(5_000) });
    // fetch decodes a body labelled gzip: a JSON body under that label fails here.
    const text = await response.text();
    expect(response.status).toBe(500);
    expect(JSON.parse(text)).toMatchObject({ status: 500, code: 'INTERNAL_ERROR' });
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    for (const name of Object.keys(representation)) {
      if (name === 'content-length') continue;
      expect({ name, value: response.headers.get(name) }).toEqual({ name, value: null });
    }
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('an error answer keeps the CORS, Vary, security and rate-limit headers the app set', async () => {
    const response = await fetch(`${base}/export`, { signal: AbortSignal.timeout(5_000) });
    await response.arrayBuffer();
    for (const [name, value] of Object.entries(policy)) {
      expect({ name, value: response.headers.get(name) }).toEqual({ name, value });
    }
  });

  it("an app's Date is dropped, and the server's own still dates the answer", async () => {
    const response = await fetch(`${base}/dated`, { signal: AbortSignal.timeout(5_000) });
    await response.arrayBuffer();
    expect(response.status).toBe(500);
    const date = response.headers.get('date');
    expect(date).not.toBeNull();
    expect(date).not.toBe(stale);
  });

  it("the error's own headers are set over the kept ones, and over the app's", async () => {
    const response = await fetch(`${base}/limited`, { signal: AbortSignal.timeout(5_000) });
    const body = await response.json();
    expect(response.status).toBe(429);
    expect(body).toMatchObject({ code: 'RATE_LIMITED' });
    expect(response.headers.get('retry-after')).toBe('7');
    expect(response.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(response.headers.get('access-control-allow-origin')).toBe(policy['access-control-allow-origin']);
    expect(response.headers.get('etag')).toBeNull();
  });

  it('a malformed JSON body read whole keeps the connection alive; a body too large closes it', async () => {
    const client = await KeepAlive.open(base);
    try {
      const bad = '{"email":';
      const first = await client.send(
        `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${bad.length}\r\n\r\n${bad}`,
      );
      expect(first.status).toBe(400);
      expect(JSON.parse(first.body)).toMatchObject({ code: 'MALFORMED_JSON' });
      expect(first.headers.connection).not.toBe('close');
      const second = await client.send('GET /ok HTTP/1.1\r\nHost: x\r\n\r\n');
      expect({ status: second.status, body: second.body, closed: client.closed }).toEqual({
        status: 200,
        body: '{"ok":true}',
        closed: false,
      });
      const large = `{"email":"${'a'.repeat(100)}"}`;
      const third = await client.send(
        `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${large.length}\r\n\r\n${large}`,
      );
      expect(third.status).toBe(413);
      expect(third.headers.connection).toBe('close');
      await client.whenClosed();
    } finally {
      client.destroy();
    }
  });
});

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One raw keep-alive connection: each `send` writes a request and reads one answer framed by its length. */
class KeepAlive {
  closed = false;
  private buffer = '';
  private waiting: (() => void) | undefined;
  private readonly ended: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => {
      this.buffer += data;
      this.waiting?.();
    });
    socket.on('error', () => {
      // A reset after a refused body still ends the connection; `closed` records it.
    });
    this.ended = new Promise((resolve) => {
      socket.on('close', () => {
        this.closed = true;
        this.waiting?.();
        resolve();
      });
    });
  }

  static open(base: string): Promise<KeepAlive> {
    const { port } = new URL(base);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => resolve(new KeepAlive(socket)));
      socket.once('error', reject);
    });
  }

  /** Writes `request` and resolves with the next whole answer; bounded by 5 s. */
  send(request: string): Promise<Answer> {
    this.socket.write(request);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new Error('no whole answer within 5000 ms'));
      }, 5_000);
      const check = () => {
        const end = this.buffer.indexOf('\r\n\r\n');
        if (end !== -1) {
          const [statusLine = '', ...lines] = this.buffer.slice(0, end).split('\r\n');
          const headers: Record<string, string> = {};
          for (const line of lines) {
            const at = line.indexOf(':');
            headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
          }
          const length = Number(headers['content-length'] ?? 0);
          if (this.buffer.length - end - 4 >= length) {
            const body = this.buffer.slice(end + 4, end + 4 + length);
            this.buffer = this.buffer.slice(end + 4 + length);
            clearTimeout(timer);
            this.waiting = undefined;
            resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
            return;
          }
        }
        if (this.closed) {
          clearTimeout(timer);
          this.waiting = undefined;
          reject(new Error('the connection closed before a whole answer'));
        }
      };
      this.waiting = check;
      check();
    });
  }

  /** Resolves once the server closed the connection; bounded by 5 s. */
  whenClosed(): Promise<void> {
    return Promise.race([
      this.ended,
      new Promise<void>((_, reject) =>
        setTimeout(() => reject(new Error('the connection stayed open')), 5_000).unref(),
      ),
    ]);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
