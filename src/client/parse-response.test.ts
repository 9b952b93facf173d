import { ApiError } from 'faultline';
import { parseErrorParts, parseErrorResponse } from 'faultline/client';
import { describe, expect, it } from 'vitest';
import { parseRateLimitReset, parseRetryAfter } from './retry-after.js';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers });

/** A body that arrives in the given chunks, then (unless `end`) never ends. */
function streamed(chunks: Uint8Array[], end = true): Response {
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!);
      else if (end) controller.close();
    },
  });
  return new Response(body, { status: 502 });
}

describe('parseErrorResponse', () => {
  it('reads an RFC 9457 body and its headers into an ApiError', async () => {
    const error = await parseErrorResponse(
      json(
        404,
        {
          type: 'https://example.com/errors/session-not-found',
          title: 'Not Found',
          status: 404,
          detail: 'Session a not found',
          code: 'SESSION_NOT_FOUND',
          id: '12',
          errors: [{ pointer: '/a', detail: 'bad' }],
          details: { sessionId: 'a' },
          tenant: 't1',
        },
        { 'x-request-id': 'req-1', 'content-type': 'application/problem+json' },
      ),
      { attempts: 2 },
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error instanceof ApiError && error.code === 'SESSION_NOT_FOUND').toBe(true);
    expect(error).toMatchObject({
      code: 'SESSION_NOT_FOUND',
      status: 404,
      message: 'Session a not found',
      details: { sessionId: 'a' },
      id: 12,
      category: 'NOT_FOUND',
      retryable: false,
      correlationId: 'req-1',
      fieldErrors: [{ pointer: '/a', detail: 'bad' }],
      type: 'https://example.com/errors/session-not-found',
      members: { tenant: 't1' },
      attempts: 2,
      headers: { 'x-request-id': 'req-1', 'content-type': 'application/problem+json' },
    });
    expect(error.toJSON()).toMatchObject({
      name: 'ApiError',
      code: 'SESSION_NOT_FOUND',
      members: { tenant: 't1' },
    });
  });

  it.each([
    [
      'flat',
      { success: false, error: 'Nope', error_id: 'c-1', error_code: 'NOPE', data: null },
      'NOPE',
      'Nope',
    ],
    [
      'nested',
      {
        error: { message: 'Bad', statusCode: 422, code: 'BAD', details: [{ path: ['a', 0], message: 'm' }] },
      },
      'BAD',
      'Bad',
    ],
    [
      'code',
      { success: false, code: 'C', error: 'E', details: { fieldErrors: { 'a[0].b': 'x' } } },
      'C',
      'E',
    ],
    ['message', { success: false, error: 'Only a message' }, 'UNPROCESSABLE_ENTITY', 'Only a message'],
    ['error-object', { error: { code: 'EO', message: 'Eo' } }, 'EO', 'Eo'],
    ['bare', { code: 'B', message: 'Bb' }, 'B', 'Bb'],
  ])('reads the %s envelope', async (_, body, code, message) => {
    const error = await parseErrorResponse(json(422, body));
    expect(error).toMatchObject({ code, message, status: 422, category: 'VALIDATION' });
  });

  it('turns nested and map field errors into JSON Pointers', async () => {
    const nested = await parseErrorResponse(
      json(422, {
        error: {
          message: 'Bad',
          statusCode: 422,
          code: 'BAD',
          details: [{ path: ['a/b', 0, 'c~d'], message: 'm' }],
        },
      }),
    );
    expect(nested.fieldErrors).toEqual([{ pointer: '/a~1b/0/c~0d', detail: 'm' }]);
    const map = await parseErrorResponse(
      json(422, {
        success: false,
        code: 'C',
        error: 'E',
        details: { fieldErrors: { 'a[0].b': ['x', 'y'] } },
      }),
    );
    expect(map.fieldErrors).toEqual([{ pointer: '/a/0/b', detail: 'x' }]);
  });

  it('gives an HTML page from a proxy the status’s code, its reason phrase, and keeps the page', async () => {
    const page = '<html><body>Bad gateway</body></html>';
    const error = await parseErrorResponse(new Response(page, { status: 502, statusText: 'Bad Gateway' }));
    expect(error).toMatchObject({ code: 'BAD_GATEWAY', status: 502, message: 'Bad Gateway', rawBody: page });
    expect(error.retryable).toBe(true);
    const bare = await parseErrorResponse(new Response(null, { status: 599 }));
    expect(bare).toMatchObject({ code: 'INTERNAL_ERROR', status: 599, message: 'HTTP 599', rawBody: '' });
  });

  it('takes the response’s status over one the body claims, and ignores members of the wrong type', async () => {
    const error = await parseErrorResponse(
      json(409, { status: 'abc', code: 7, detail: ['x'], id: 1.5, errors: 'no', details: { a: 1 } }),
    );
    expect(error).toMatchObject({ code: 'CONFLICT', status: 409, message: 'HTTP 409' });
    expect(error.id).toBeUndefined();
    expect(error.details).toBeUndefined();
  });

  it('keeps a `__proto__` member as data, never as a prototype', async () => {
    const error = await parseErrorResponse(
      json(400, '{"code":"X","detail":"x","__proto__":{"polluted":true}}'),
    );
    expect(error.members).toEqual(JSON.parse('{"__proto__":{"polluted":true}}'));
    expect(Object.getPrototypeOf(error.members)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('cuts a huge body at bodyLimit, and reads the cut body as no answer of the API', async () => {
    const body = JSON.stringify({ code: 'X', detail: 'x'.repeat(5000) });
    const error = await parseErrorResponse(json(400, body), { bodyLimit: 100 });
    expect(error.rawBody).toBe(body.slice(0, 100));
    expect(error.code).toBe('BAD_REQUEST');
  });

  it('joins a body split in chunks, a character cut in two included, and cuts it at bodyLimit', async () => {
    const bytes = new TextEncoder().encode('{"code":"É","detail":"€"}');
    const chunks = [bytes.subarray(0, 10), bytes.subarray(10, 22), bytes.subarray(22)];
    expect(await parseErrorResponse(streamed(chunks))).toMatchObject({ code: 'É', message: '€' });
    const cut = await parseErrorResponse(streamed(chunks), { bodyLimit: 24 });
    expect(cut.rawBody).toBe('{"code":"É","detail":"\ufffd');
  });

  it('stops reading a body that never ends after bodyTimeout, with what arrived', async () => {
    const error = await parseErrorResponse(streamed([new TextEncoder().encode('<html>')], false), {
      bodyTimeout: 20,
    });
    expect(error).toMatchObject({ status: 502, rawBody: '<html>' });
  });

  it('keeps what arrived of a body that fails mid-read', async () => {
    let sent = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) controller.error(new Error('reset'));
        else controller.enqueue(new TextEncoder().encode('<h1>'));
        sent = true;
      },
    });
    expect(await parseErrorResponse(new Response(body, { status: 503 }))).toMatchObject({ rawBody: '<h1>' });
  });

  it('reads Retry-After where it is a wait, and RateLimit t= of a used-up quota', async () => {
    const wait = async (status: number, headers: Record<string, string>) =>
      (await parseErrorResponse(json(status, '', headers))).retryAfter;
    expect(await wait(429, { 'retry-after': '3' })).toBe(3);
    expect(await wait(503, { 'retry-after': '3' })).toBe(3);
    expect(await wait(413, { 'retry-after': '3' })).toBe(3);
    expect(await wait(301, { 'retry-after': '3' })).toBe(3);
    expect(await wait(500, { 'retry-after': '3' })).toBeUndefined();
    expect(await wait(409, { 'retry-after': '3' })).toBeUndefined();
    expect(await wait(409, { 'retry-after': '3', 'content-type': 'x' })).toBeUndefined();
    expect(
      (
        await parseErrorResponse(
          json(409, { code: 'IDEMPOTENCY_IN_FLIGHT', detail: 'x' }, { 'retry-after': '3' }),
        )
      ).retryAfter,
    ).toBe(3);
    expect(await wait(429, { ratelimit: '"a";r=0;t=9' })).toBe(9);
    expect(await wait(503, { ratelimit: '"a";r=0;t=9' })).toBe(9);
    expect(await wait(500, { ratelimit: '"a";r=0;t=9' })).toBeUndefined();
    expect(await wait(429, { 'retry-after': '2', ratelimit: '"a";r=0;t=9' })).toBe(2);
    expect(await wait(429, { 'retry-after': 'junk', ratelimit: '"a";r=0;t=9' })).toBe(9);
    expect(await wait(429, { 'ratelimit-remaining': '0', 'ratelimit-reset': '4' })).toBe(4);
    expect(await wait(429, { 'ratelimit-remaining': '1', 'ratelimit-reset': '4' })).toBeUndefined();
  });
});

describe('parseRetryAfter', () => {
  it.each([
    ['3', 3000],
    [' 3 ', 3000],
    ['0', 0],
    ['99999999999999999999', 1e23],
    ['-5', undefined],
    ['1.5', undefined],
    ['soon', undefined],
    ['', undefined],
    ['1e3', undefined],
    [null, undefined],
    [undefined, undefined],
  ])('reads %o as %o', (value, expected) => {
    expect(parseRetryAfter(value)).toBe(expected);
  });

  it('reads an HTTP-date relative to the Date header, else to now, never below 0', () => {
    const date = 'Sun, 06 Nov 1994 08:49:37 GMT';
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:39 GMT', date)).toBe(2000);
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:39 GMT', date)).toBe(2000);
    expect(parseRetryAfter('Sun Nov  6 08:49:39 1994', date)).toBe(2000);
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:39 GMT', 'garbage', Date.parse(date))).toBe(2000);
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:35 GMT', date)).toBe(0);
    expect(parseRetryAfter('Someday, 99 Foo 1994', date)).toBeUndefined();
  });
});

describe('parseRateLimitReset', () => {
  it.each([
    ['"burst";r=5;t=1, "daily";r=0;t=7', 7000],
    ['"a";r=0;t=2, "b";r=0;t=5, "c";r=9;t=60', 5000],
    ['"p"; r=0; t=4', 4000],
    ['"x,y;t=99";r=0;t=4', 4000],
    ['"x\\";t=99";r=0;t=4', 4000],
    ['default;r=0;t=6', 6000],
    ['  a;r=0;t=6  ,\tb;r=0;t=1', 6000],
    ['a;r=0;t=6;x', 6000],
    ['a;t=6;r=0;q=100;pk=:abc=:', 6000],
    ['"p";t=4', undefined],
    ['"p";r=1;t=4', undefined],
    ['"p";r=0;t=4.5', undefined],
    ['"p";r=0;t=-4', undefined],
    ['"p";r=0;t=1234567890123456', undefined],
    ['"p;r=0;t=4', undefined],
    ['a;r=0;t=4,', undefined],
    ['a;r=0;t=4 b;r=0;t=1', undefined],
    ['a;R=0;t=4', undefined],
    ['a;r=0;t=', undefined],
    [',a;r=0;t=4', undefined],
    ['a;;r=0;t=4', undefined],
    ['', undefined],
  ])('reads %o as %o', (field, expected) => {
    expect(parseRateLimitReset(field)).toBe(expected);
  });

  it('falls back to RateLimit-Reset when RateLimit-Remaining is 0, and to nothing else', () => {
    expect(parseRateLimitReset(null, ' 4 ', ' 0 ')).toBe(4000);
    expect(parseRateLimitReset('a;r=1;t=9', '4', '0')).toBe(4000);
    expect(parseRateLimitReset(null, '4', '1')).toBeUndefined();
    expect(parseRateLimitReset(null, '4.5', '0')).toBeUndefined();
    expect(parseRateLimitReset(null, '4', undefined)).toBeUndefined();
  });

  it('reads a field of 100 000 members in bounded work, and ignores a malformed one whole', () => {
    const many = Array.from({ length: 100_000 }, (_, i) => `"p${i}";r=${i % 2};t=${i}`).join(', ');
    expect(parseRateLimitReset(many)).toBe(99_998_000);
    expect(parseRateLimitReset(`${many},`)).toBeUndefined();
    expect(parseRateLimitReset(`"${'\\'.repeat(100_001)}`)).toBeUndefined();
  });
});

describe('parseErrorParts', () => {
  it('reads a body another client parsed, and one it read as bytes', async () => {
    const parsed = await parseErrorParts({
      status: 404,
      headers: { 'x-request-id': 'r' },
      body: { code: 'A', message: 'a' },
    });
    expect(parsed).toMatchObject({ code: 'A', message: 'a', correlationId: 'r', status: 404 });
    const bytes = await parseErrorParts({ status: 500, headers: [], body: new TextEncoder().encode('oops') });
    expect(bytes).toMatchObject({ code: 'INTERNAL_ERROR', rawBody: 'oops' });
  });
});
