import type { Server } from 'node:http';
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

const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

describe.each(adapters.map((a) => [a.name, a] as const))('stale headers on %s', (_name, adapter) => {
  let base = '';
  beforeAll(async () => {
    const server = await adapter.build({
      options: { catalog, logger: false },
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
          path: '/limited',
          headersBeforeThrow: { ...policy, 'retry-after': '99', etag: '"v2"' },
          handle() {
            throw catalog.create('RATE_LIMITED', undefined, {
              headers: { 'Retry-After': '7', 'X-RateLimit-Remaining': '0' },
            });
          },
        },
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
});
