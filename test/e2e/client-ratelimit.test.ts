import { createClient, parseErrorResponse } from 'faultline/client';
import { afterEach, describe, expect, it } from 'vitest';
import { rejection } from '../helpers/http.js';
import { type Reply, scriptedServer } from '../helpers/scripted.js';

// The IETF RateLimit fields say how much quota is left (`r`) and when it is restored (`t`): that is a
// wait only when a quota is used up (r=0) and the server refused for it (429, or 503). `Retry-After`
// is a wait where RFC 9110 and RFC 6585 define one (3xx, 413, 429, 503) and on the idempotency in-flight
// 409 that asks for it. Any other retry waits the client's own backoff, with full jitter.

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function serve(reply: (n: number) => Reply) {
  const server = await scriptedServer(reply);
  close = server.close;
  return server;
}

const problem = (status: number, code: string, headers: Record<string, string>) => ({
  status,
  headers,
  body: { status, code, detail: code },
});

/** A client that records every wait it computes and ends the first one it is asked to make. */
function recording(base: string, random = () => 0.5) {
  const delays: number[] = [];
  const controller = new AbortController();
  const api = createClient({
    baseUrl: base,
    retry: {
      random,
      beforeRetry: ({ delay }) => {
        delays.push(delay);
        // A server-given wait is asserted, not slept: the retry is abandoned as soon as it is known.
        if (delay >= 1000) controller.abort();
      },
    },
  });
  return { api, delays, signal: controller.signal };
}

describe('the client and the RateLimit field', () => {
  it('a 409 with quota left carries no retryAfter and is not retried', async () => {
    const server = await serve(() => problem(409, 'CONFLICT', { ratelimit: '"default";r=5;t=2' }));
    const { api, delays, signal } = recording(server.base);
    const error = await rejection(api.get('/', { signal }));
    expect(error).toMatchObject({ code: 'CONFLICT', status: 409, attempts: 1, retryAfter: undefined });
    expect(delays).toEqual([]);
  });

  it('a 500 with quota left is retried on jittered backoff, not on fixed t= waits', async () => {
    const server = await serve(() => problem(500, 'INTERNAL_ERROR', { ratelimit: '"default";r=5;t=2' }));
    const draws = [0.3, 0.9];
    const { api, delays, signal } = recording(server.base, () => draws.shift() ?? 0);
    const error = await rejection(api.get('/', { signal }));
    expect(error).toMatchObject({ status: 500, attempts: 3, retryAfter: undefined });
    // Full jitter: random × min(cap, 100 ms × 2^retry).
    expect(delays).toEqual([30, 180]);
    expect(server.requests).toHaveLength(3);
  });

  it('a 500 with a used-up quota and t=120 is still retried on backoff (t is no wait on a 500)', async () => {
    const server = await serve(() => problem(500, 'INTERNAL_ERROR', { ratelimit: '"default";r=0;t=120' }));
    const { api, delays, signal } = recording(server.base);
    const error = await rejection(api.get('/', { signal }));
    expect(error).toMatchObject({ status: 500, attempts: 3, retryAfter: undefined });
    expect(delays).toEqual([50, 100]);
  });

  it.each([
    [429, 'RATE_LIMITED'],
    [503, 'SERVICE_UNAVAILABLE'],
  ])('a %i with a used-up quota waits its t= exactly', async (status, code) => {
    const server = await serve(() => problem(status, code, { ratelimit: '"default";r=0;t=3' }));
    const { api, delays, signal } = recording(server.base);
    expect((await rejection(api.get('/', { signal }))).name).toBe('AbortError');
    expect(delays).toEqual([3000]);
    const once = await rejection(createClient({ baseUrl: server.base, retry: false }).get('/'));
    expect(once).toMatchObject({ status, attempts: 1, retryAfter: 3 });
  });

  it('a 429 whose quotas all have some left falls back to backoff', async () => {
    const server = await serve(() => problem(429, 'RATE_LIMITED', { ratelimit: '"default";r=4;t=30' }));
    const { api, delays, signal } = recording(server.base);
    const error = await rejection(api.get('/', { signal }));
    expect(error).toMatchObject({ status: 429, attempts: 3, retryAfter: undefined });
    expect(delays).toEqual([50, 100]);
  });

  it.each([
    ['the used-up one among several', '"burst";r=5;t=1, "daily";r=0;t=7', 7],
    ['the longest of two used-up ones', '"a";r=0;t=2, "b";r=0;t=5, "c";r=9;t=60', 5],
    ['with spaces after the semicolons', '"p"; r=0; t=4', 4],
    ['a quoted name holding , ; and t=', '"x,y;t=99";r=0;t=4', 4],
    ['a token name', 'default;r=0;t=6', 6],
  ])('reads the wait of %s', async (_, field, seconds) => {
    const server = await serve(() => problem(429, 'RATE_LIMITED', { ratelimit: field }));
    const error = await rejection(createClient({ baseUrl: server.base, retry: false }).get('/'));
    expect(error.retryAfter).toBe(seconds);
  });

  it.each([
    ['a t= without r=', '"p";t=4'],
    ['an r= that is not 0', '"p";r=1;t=4'],
    ['a t= that is not an integer', '"p";r=0;t=4.5'],
    ['a negative t=', '"p";r=0;t=-4'],
    ['an unterminated string', '"p;r=0;t=4'],
  ])('takes no wait from %s', async (_, field) => {
    const server = await serve(() => problem(429, 'RATE_LIMITED', { ratelimit: field }));
    const error = await rejection(createClient({ baseUrl: server.base, retry: false }).get('/'));
    expect(error.retryAfter).toBeUndefined();
  });

  it('reads the older RateLimit-Reset only when RateLimit-Remaining is 0', async () => {
    const server = await serve((n) =>
      problem(429, 'RATE_LIMITED', { 'ratelimit-remaining': n === 0 ? '0' : '3', 'ratelimit-reset': '4' }),
    );
    const api = createClient({ baseUrl: server.base, retry: false });
    expect((await rejection(api.get('/'))).retryAfter).toBe(4);
    expect((await rejection(api.get('/'))).retryAfter).toBeUndefined();
  });

  it('prefers Retry-After to the RateLimit field', async () => {
    const server = await serve(() =>
      problem(429, 'RATE_LIMITED', { 'retry-after': '2', ratelimit: '"default";r=0;t=9' }),
    );
    const { api, delays, signal } = recording(server.base);
    await rejection(api.get('/', { signal }));
    expect(delays).toEqual([2000]);
  });
});

describe('the client and Retry-After', () => {
  it.each([
    [503, 'SERVICE_UNAVAILABLE', 3, [3000]],
    [429, 'RATE_LIMITED', 3, [3000]],
    [413, 'BODY_TOO_LARGE', 3, [3000]],
    [409, 'IDEMPOTENCY_IN_FLIGHT', 3, [3000]],
    [500, 'INTERNAL_ERROR', undefined, [50, 100]],
    [502, 'BAD_GATEWAY', undefined, [50, 100]],
    [409, 'CONFLICT', undefined, []],
  ])(
    'a %i %s with Retry-After: 3 has retryAfter %s and waits %o',
    async (status, code, retryAfter, waits) => {
      const server = await serve(() => problem(status, code, { 'retry-after': '3' }));
      const { api, delays, signal } = recording(server.base);
      await rejection(api.get('/', { signal }));
      expect(delays).toEqual(waits);
      const once = await rejection(createClient({ baseUrl: server.base, retry: false }).get('/'));
      expect(once).toMatchObject({ status, code, retryAfter });
    },
  );

  it('parseErrorResponse follows the same rules for any HTTP client', async () => {
    const headers = { 'content-type': 'application/problem+json', ratelimit: '"d";r=0;t=8' };
    const body = JSON.stringify({ status: 0, code: 'X' });
    const conflict = await parseErrorResponse(new Response(body, { status: 409, headers }));
    const limited = await parseErrorResponse(new Response(body, { status: 429, headers }));
    expect([conflict.retryAfter, limited.retryAfter]).toEqual([undefined, 8]);
  });
});
