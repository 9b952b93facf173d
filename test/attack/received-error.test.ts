import { createServer, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import { defineErrors } from 'faultline';
import { createClient } from 'faultline/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapters } from '../helpers/adapters.js';
import { close, listen } from '../helpers/http.js';

// Attack: a handler calls another API with faultline's client and lets its rejection go. The received error
// carries the upstream response's headers: its framing (`Transfer-Encoding`, a gzip `Content-Encoding`),
// its caching, its server's internal ones, and its request id. Answered as it came, a proxy could read the
// answer both as chunked and by its length, a CDN could cache the error for a day, and `fetch` fails on a
// plain body labelled gzip. The answer keeps only the headers its entry documents.
const catalog = defineErrors({});

const upstreamHeaders = {
  'content-type': 'application/problem+json',
  'content-encoding': 'gzip',
  'cache-control': 'public, max-age=86400',
  etag: '"upstream-1"',
  server: 'upstream/1.0',
  'x-internal-host': 'db-7.internal',
};

/** An upstream answering 404 and 429 as problem+json, gzipped and chunked, with its own request id. */
function upstream(): Server {
  return createServer((req, res) => {
    const limited = req.url === '/limited';
    const refused = req.url === '/method';
    const status = limited ? 429 : refused ? 405 : 404;
    const code = limited ? 'RATE_LIMITED' : refused ? 'METHOD_NOT_ALLOWED' : 'NOT_FOUND';
    const body = gzipSync(
      JSON.stringify({ status, code, title: 'x', detail: 'upstream says', id: 'up-123' }),
    );
    res.writeHead(status, {
      ...upstreamHeaders,
      ...(limited ? { 'retry-after': '7', ratelimit: '"default";r=0;t=7' } : {}),
      ...(refused ? { allow: 'GET, HEAD' } : {}),
    });
    // Two writes and no length: a chunked answer.
    res.write(body.subarray(0, 5));
    res.end(body.subarray(5));
  });
}

const servers: Server[] = [];
let upstreamUrl = '';
beforeAll(async () => {
  const up = upstream();
  servers.push(up);
  upstreamUrl = await listen(up);
});
afterAll(async () => {
  for (const server of servers) await close(server);
});

describe.each(adapters.map((a) => [a.name, a] as const))(
  'a received error answered on %s',
  (_name, adapter) => {
    let base = '';
    beforeAll(async () => {
      const api = createClient({ baseUrl: upstreamUrl, retry: false });
      const server = await adapter.build({
        options: { catalog, logger: false },
        routes: [
          { method: 'GET', path: '/missing', handle: async () => ({ body: await api.get('/missing') }) },
          { method: 'GET', path: '/limited', handle: async () => ({ body: await api.get('/limited') }) },
        ],
      });
      servers.push(server);
      base = await listen(server);
    });

    it("answers with its own framing and request id, none of the upstream's headers", async () => {
      const response = await fetch(`${base}/missing`, { signal: AbortSignal.timeout(5_000) });
      // fetch decodes a body labelled gzip: a plain one under that label fails here.
      const text = await response.text();
      expect(response.status).toBe(404);
      expect(JSON.parse(text)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
      expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
      expect(response.headers.get('transfer-encoding')).toBeNull();
      for (const name of ['content-encoding', 'cache-control', 'etag', 'x-internal-host']) {
        expect({ name, value: response.headers.get(name) }).toEqual({ name, value: null });
      }
      expect(response.headers.get('server')).not.toBe(upstreamHeaders.server);
      expect(response.headers.get('x-request-id')).not.toBe('up-123');
    });

    it('keeps the headers its entry documents: a 429 keeps Retry-After and RateLimit', async () => {
      const response = await fetch(`${base}/limited`, { signal: AbortSignal.timeout(5_000) });
      await response.arrayBuffer();
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('7');
      expect(response.headers.get('ratelimit')).toBe('"default";r=0;t=7');
      expect(response.headers.get('cache-control')).toBeNull();
    });
  },
);

describe.each(adapters.map((a) => [a.name, a] as const))(
  'a received error, however read, on %s',
  (_name, adapter) => {
    let base = '';
    beforeAll(async () => {
      const api = createClient({ baseUrl: upstreamUrl, retry: false });
      // A client given a catalog reads the upstream's errors under their roles; a docs URL other than this
      // API's sends them through the role's code here.
      const typed = createClient({
        baseUrl: upstreamUrl,
        retry: false,
        catalog: defineErrors({}, { docsUrl: 'https://upstream.example/errors#{code}' }),
      });
      const server = await adapter.build({
        options: { catalog, logger: false },
        routes: [
          { method: 'GET', path: '/typed', handle: async () => ({ body: await typed.get('/limited') }) },
          {
            method: 'GET',
            path: '/frozen',
            async handle() {
              try {
                return { body: await api.get('/limited') };
              } catch (error) {
                throw Object.freeze(error);
              }
            },
          },
          { method: 'GET', path: '/method', handle: async () => ({ body: await api.get('/method') }) },
        ],
      });
      servers.push(server);
      base = await listen(server);
    });

    const get = async (path: string) => {
      const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5_000) });
      return { response, body: await response.json() };
    };

    it('keeps to the documented headers when a client with a catalog read it under its role', async () => {
      const { response, body } = await get('/typed');
      expect(response.status).toBe(429);
      expect(body).toMatchObject({ code: 'RATE_LIMITED' });
      expect(response.headers.get('retry-after')).toBe('7');
      for (const name of ['cache-control', 'etag', 'x-internal-host']) {
        expect({ name, value: response.headers.get(name) }).toEqual({ name, value: null });
      }
    });

    it('answers a frozen received error as itself, not as a 500', async () => {
      const { response, body } = await get('/frozen');
      expect(response.status).toBe(429);
      expect(body).toMatchObject({ code: 'RATE_LIMITED' });
      expect(response.headers.get('x-internal-host')).toBeNull();
    });

    it('keeps the Allow of a 405, which its protocol requires', async () => {
      const { response, body } = await get('/method');
      expect(response.status).toBe(405);
      expect(body).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
      expect(response.headers.get('allow')).toBe('GET, HEAD');
    });
  },
);

describe('headers an error is given', () => {
  it('never frame the answer: Content-Length, Transfer-Encoding and Connection stay the server’s', async () => {
    const server = await adapters[0]!.build({
      options: { catalog, logger: false },
      routes: [
        {
          method: 'GET',
          path: '/framed',
          handle() {
            throw catalog.create('CONFLICT', undefined, {
              headers: {
                'Content-Length': '1',
                'transfer-encoding': 'chunked',
                connection: 'close',
                'x-kept': 'y',
                // Another spelling of faultline's own: never sent beside them.
                'Content-Type': 'text/html',
                'X-Request-Id': 'spoof',
              },
            });
          },
        },
      ],
    });
    servers.push(server);
    const response = await fetch(`${await listen(server)}/framed`, { signal: AbortSignal.timeout(5_000) });
    const text = await response.text();
    expect(response.status).toBe(409);
    expect(JSON.parse(text)).toMatchObject({ code: 'CONFLICT' });
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    expect(response.headers.get('x-kept')).toBe('y');
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('x-request-id')).not.toMatch(/spoof/);
  });
});
