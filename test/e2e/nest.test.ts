import { RoleError } from 'faultline';
import { createExpressErrors } from 'faultline/express';
import { createFastifyErrors } from 'faultline/fastify';
import { createNestErrors } from 'faultline/nest';
import type { ErrorEvent } from 'faultline/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RawAnswer, sendRaw } from '../helpers/raw.js';
import { catalog, logged, type NestApp, type Platform, startNestApp } from './nest-app.js';

const platforms: Platform[] = ['express', 'fastify'];
// A stack frame, a file path, a native error name, a framework's code or the apps' secret.
const leaks = /\bat .+:\d+:\d+|\/work\/|node_modules|SyntaxError|TypeError|URIError|FST_ERR|db-password-123/;

const request = (
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Uint8Array,
) => {
  let head = `${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  if (body !== undefined)
    head += `Content-Length: ${typeof body === 'string' ? Buffer.byteLength(body) : body.length}\r\n`;
  return body === undefined ? [`${head}\r\n`] : [`${head}\r\n`, body];
};
const json = { 'Content-Type': 'application/json' };

interface Problem {
  status: number;
  code?: string;
  detail?: string;
  correlation_id?: string;
  errors?: { pointer: string; detail: string }[];
  [key: string]: unknown;
}

/** An error answer in the catalog: problem+json, no leak, the correlation id in header and body. */
function problem(answer: RawAnswer): Problem {
  expect(answer.body).not.toMatch(leaks);
  expect(answer.headers['content-type']).toBe('application/problem+json');
  const body = JSON.parse(answer.body) as Problem;
  expect(body.status).toBe(answer.status);
  expect(body.correlation_id).toBe(answer.headers['x-request-id']);
  return body;
}

describe.each(platforms)('faultline/nest on platform-%s', (platform) => {
  let nest: NestApp;
  let strict: NestApp;
  const send = (chunks: readonly (string | Uint8Array)[], app = nest) => sendRaw(app.base, chunks);
  beforeAll(async () => {
    nest = await startNestApp(platform);
    strict = await startNestApp(platform, { strictJson: true });
  });
  afterAll(async () => {
    await nest?.app.close();
    await strict?.app.close();
  });

  describe('the bad-input matrix', () => {
    it.each([
      ['malformed JSON', '{"email":'],
      ['truncated JSON', '{"email":"a@b'],
    ])('answers %s with the malformed-JSON code', async (_, body) => {
      for (const app of [nest, strict]) {
        const answer = await send(request('POST', '/echo', json, body), app);
        expect(answer.status).toBe(400);
        expect(problem(answer).code).toBe('MALFORMED_JSON');
      }
    });

    it('answers a prototype-poisoning body with 400 and never lets it through', async () => {
      for (const app of [nest, strict]) {
        const answer = await send(
          request('POST', '/echo', json, '{"email":"a@b.co","__proto__":{"polluted":true}}'),
          app,
        );
        // Fastify refuses the key outright; Express's JSON.parse keeps it as data, never as a prototype.
        if (platform === 'fastify') {
          expect(answer.status).toBe(400);
          expect(problem(answer).code).toBe('MALFORMED_JSON');
        } else if (answer.status >= 400) expect(problem(answer).status).toBe(400);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }
      const poisoned = await send(
        request('POST', '/echo', json, '{"email":"a@b.co","constructor":{"prototype":{"polluted":true}}}'),
        strict,
      );
      if (platform === 'fastify') expect(problem(poisoned).code).toBe('MALFORMED_JSON');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('answers a wrong content type with 415 and Accept, with faultline’s JSON reader', async () => {
      for (const type of ['text/plain', 'application/xml', 'application/json; charset=latin1']) {
        const answer = await send(
          request('POST', '/echo', { 'Content-Type': type }, '{"email":"a"}'),
          strict,
        );
        expect(answer.status, type).toBe(415);
        expect(problem(answer).code).toBe('UNSUPPORTED_MEDIA_TYPE');
        expect(answer.headers.accept).toBe('application/json');
      }
    });

    it('answers a wrong content type under Nest’s own body parser with a catalog 4xx, never 500', async () => {
      const answer = await send(request('POST', '/echo', { 'Content-Type': 'text/plain' }, 'x'));
      expect([400, 415]).toContain(answer.status);
      expect(['SCHEMA_VALIDATION_FAILED', 'UNSUPPORTED_MEDIA_TYPE']).toContain(problem(answer).code);
    });

    it('answers 413 at once for a declared length over the limit, with faultline’s JSON reader', async () => {
      // body-parser (Nest's default on Express) reads a refused body to its end before answering.
      const declared = await send(
        [
          'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n{"em',
        ],
        strict,
      );
      expect(declared.status).toBe(413);
      expect(problem(declared).code).toBe('BODY_TOO_LARGE');
      expect(declared.headers.connection).toBe('close');
    });

    it('answers 413 for a body past the limit', async () => {
      for (const app of [nest, strict]) {
        const big = await send(
          request('POST', '/echo', json, JSON.stringify({ email: 'x'.repeat(2_000_000) })),
          app,
        );
        expect(big.status).toBe(413);
        expect(problem(big).code).toBe('BODY_TOO_LARGE');
      }
    });

    it('answers an unknown route with the not-found code, never echoing the path', async () => {
      const answer = await send(request('GET', '/nowhere-<script>'));
      expect(answer.status).toBe(404);
      const body = problem(answer);
      expect(body.code).toBe('NOT_FOUND');
      expect(answer.body).not.toContain('Cannot GET');
    });

    // Express's router routes a target it cannot parse nowhere and sends its HTML 404 ("Cannot GET
    // resource"), past every middleware: `errors.serve(app)` answers it. Fastify's router refuses it
    // through the `frameworkErrors` given to its adapter. Both are set up on the `createNestErrors` app.
    it('answers a target that does not parse with the catalog 400', async () => {
      const target = `GET http://[::1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
      const answer = await send([target], strict);
      expect(answer.status).toBe(400);
      expect(problem(answer).code).toBe('BAD_REQUEST');
      expect(answer.body).not.toContain('Cannot GET');
    });

    it('answers a wrong method with 405 and Allow, and OPTIONS with 204 and Allow', async () => {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const answer = await send(request(method, '/echo'));
        expect(answer.status, method).toBe(405);
        expect(problem(answer).code).toBe('METHOD_NOT_ALLOWED');
        expect(answer.headers.allow).toBe('POST, OPTIONS');
      }
      const options = await send(request('OPTIONS', '/sessions/a'));
      expect(options.status).toBe(204);
      expect(options.headers.allow).toBe('GET, HEAD, OPTIONS');
    });

    it('answers a repeated unknown path or wrong method from one prebuilt error, as every adapter does', async () => {
      const events: ErrorEvent[] = [];
      const app = await startNestApp(platform, { handler: { onError: (event) => events.push(event) } });
      try {
        for (let i = 0; i < 3; i++) expect((await send(request('GET', '/nowhere'), app)).status).toBe(404);
        for (let i = 0; i < 2; i++) expect((await send(request('DELETE', '/echo'), app)).status).toBe(405);
      } finally {
        await app.app.close();
      }
      expect(events).toHaveLength(5);
      const [first, ...repeated] = events.slice(0, 3);
      // The role descriptor the core raises, and the catalog's answer built once for it: no Error per 404.
      expect(first!.thrown).toBeInstanceOf(RoleError);
      expect((first!.thrown as RoleError).role).toBe('notFound');
      for (const event of repeated) {
        expect(Object.getPrototypeOf(event.thrown)).toBe(Object.getPrototypeOf(first!.thrown));
        expect(Object.getPrototypeOf(event.error)).toBe(Object.getPrototypeOf(first!.error));
      }
      for (const { thrown } of events.slice(3)) {
        expect(thrown).toBeInstanceOf(RoleError);
        expect(thrown).toMatchObject({ role: 'methodNotAllowed', headers: { allow: 'POST, OPTIONS' } });
      }
    });

    it('answers a malformed path with the catalog’s 400', async () => {
      const answer = await send(request('GET', '/no%zz'), platform === 'fastify' ? strict : nest);
      expect(answer.status).toBe(400);
      expect(problem(answer).code).toBe('BAD_REQUEST');
    });

    it('never echoes duplicated or unsafe correlation ids, and answers duplicated API keys with 401', async () => {
      for (const ids of [['a', 'b'], ['a b'], ['x'.repeat(10_000)]]) {
        const head = ids.map((id) => `X-Request-Id: ${id}\r\n`).join('');
        const answer = await send([`GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${head}\r\n`]);
        expect(answer.status).toBe(404);
        const body = problem(answer);
        // Safe ids only (visible ASCII, bounded): the joined duplicate, a space or 10 kB never come back.
        expect(body.correlation_id).toMatch(/^[\x21-\x7e]{1,200}$/);
        expect(answer.body).not.toContain('a, b');
      }
      const keys = await send([
        'GET /keys/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Api-Key: key-1\r\nX-Api-Key: key-1\r\n\r\n',
      ]);
      expect([400, 401]).toContain(keys.status);
      expect(problem(keys).code).toMatch(/^(API_KEY_|INVALID_HEADER)/);
      const clients = await send([
        'GET /limited HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Client: a\r\nX-Client: b\r\n\r\n',
      ]);
      expect(clients.status).toBe(400);
      expect(problem(clients).code).toBe('INVALID_HEADER');
    });

    it('keeps answering after 50 parallel mixed bad requests', async () => {
      const mixed = [
        request('POST', '/echo', json, '{"email":'),
        request('DELETE', '/echo'),
        request('GET', '/boom'),
        request('GET', '/nowhere'),
        [
          'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 9999999\r\n\r\n',
        ],
      ];
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => send(mixed[i % mixed.length]!, strict)),
      );
      for (const answer of answers) expect(answer.status).toBeGreaterThanOrEqual(400);
      expect((await send(request('POST', '/echo', json, '{"email":"a@b.co"}'), strict)).status).toBe(201);
    });
  });

  describe('HttpException translation', () => {
    it('answers NotFoundException with the not-found code and keeps its 4xx message', async () => {
      const answer = await send(request('GET', '/sessions/abc'));
      expect(answer.status).toBe(404);
      expect(problem(answer)).toMatchObject({ code: 'NOT_FOUND', detail: 'Session abc not found' });
    });

    it('answers a bare ConflictException with the catalog’s message', async () => {
      const answer = await send(request('GET', '/conflict'));
      expect(problem(answer)).toMatchObject({
        status: 409,
        code: 'CONFLICT',
        detail: 'The request conflicts with the current state of the resource.',
      });
    });

    it('drops the message of a 5xx HttpException and of any other error', async () => {
      for (const path of ['/nest-500', '/boom']) {
        const before = logged.length;
        const answer = await send(request('GET', path));
        expect(answer.status).toBe(500);
        const { code, correlation_id } = problem(answer);
        expect(code).toBe('INTERNAL_ERROR');
        // Logged once, to the Nest logger given as `nestLogger(...)`, with the id the client got.
        const lines = logged.slice(before);
        expect(lines.filter((line) => line.includes(`correlation id ${correlation_id})`))).toHaveLength(1);
      }
    });

    it('hands a 5xx HttpException to onError as thrown, its message and stack, and never sends them', async () => {
      const events: ErrorEvent[] = [];
      const app = await startNestApp(platform, { handler: { onError: (event) => events.push(event) } });
      let text: string;
      try {
        const answer = await send(request('GET', '/nest-500'), app);
        expect(answer.status).toBe(500);
        text = JSON.stringify(problem(answer));
      } finally {
        await app.app.close();
      }
      expect(text).not.toContain('db-password-123');
      expect(events).toHaveLength(1);
      const thrown = events[0]!.thrown as Error;
      expect(thrown.constructor.name).toBe('InternalServerErrorException');
      expect(thrown.message).toBe('db-password-123');
      expect(thrown.stack).toContain('nest-app');
    });

    it('keeps a status the catalog has no code for under the generic code of its class', async () => {
      const answer = await send(request('GET', '/teapot'));
      expect(answer.status).toBe(418);
      expect(problem(answer).code).toBe('BAD_REQUEST');
    });
  });

  describe('ValidationPipe', () => {
    it('answers its 400 with the catalog’s validation code and a field error per message', async () => {
      const answer = await send(request('POST', '/echo', json, '{"email":1}'));
      expect(answer.status).toBe(400);
      const body = problem(answer);
      expect(body.code).toBe('SCHEMA_VALIDATION_FAILED');
      expect(body.errors).toEqual([{ pointer: '/email', detail: 'email must be an email' }]);
    });

    it('reads nested field paths from its messages, and from the errors with validationExceptionFactory', async () => {
      const signup = JSON.stringify({ email: 'a@b.co', age: 3, address: { city: 7 } });
      // `nest` has a global ValidationPipe; `strict` one with validationExceptionFactory.
      const messages = problem(await send(request('POST', '/signup', json, signup)));
      expect(messages.code).toBe('SCHEMA_VALIDATION_FAILED');
      expect(messages.errors).toEqual([
        { pointer: '/age', detail: 'age must not be less than 18' },
        { pointer: '/address/city', detail: 'address.city must be a string' },
      ]);
      const factory = problem(await send(request('POST', '/signup', json, signup), strict));
      expect(factory.code).toBe('SCHEMA_VALIDATION_FAILED');
      expect(factory.errors).toEqual([
        { pointer: '/age', detail: 'age must not be less than 18' },
        { pointer: '/address/city', detail: 'city must be a string' },
      ]);
    });

    it('caps the field errors of a huge invalid body', async () => {
      const address = { city: 1 };
      const answer = await send(
        request('POST', '/signup', json, JSON.stringify({ email: 1, age: 'x', address })),
      );
      expect(problem(answer).errors!.length).toBeLessThanOrEqual(100);
    });
  });

  describe('faultline guards as Nest guards', () => {
    it('answers 429 with Retry-After and RateLimit headers on a route guard, and sets them when admitted', async () => {
      const client = { 'X-Client': `client-${platform}` };
      const first = await send(request('GET', '/limited', client));
      expect(first.status).toBe(200);
      expect(first.headers['ratelimit-policy']).toContain('per-client');
      const second = await send(request('GET', '/limited', client));
      expect(second.status).toBe(429);
      expect(problem(second).code).toBe('RATE_LIMITED');
      expect(Number(second.headers['retry-after'])).toBeGreaterThan(0);
      expect(second.headers.ratelimit).toContain('per-client');
    });

    it('runs the module’s global guards before every route, unknown routes aside', async () => {
      const tenant = { 'X-Tenant': `tenant-${platform}` };
      expect((await send(request('GET', '/keys/me', { ...tenant, 'X-Api-Key': 'key-1' }))).status).toBe(200);
      const second = await send(request('GET', '/sessions/a', tenant));
      expect(second.status).toBe(429);
      expect(problem(second).code).toBe('RATE_LIMITED');
      expect(second.headers['ratelimit-policy']).toContain('per-tenant');
    });

    it('answers 401 from a controller guard without the key, and admits the key', async () => {
      const missing = await send(request('GET', '/keys/me'));
      expect(missing.status).toBe(401);
      expect(problem(missing).code).toBe('API_KEY_MISSING');
      const wrong = await send(request('GET', '/keys/me', { 'X-Api-Key': 'nope' }));
      expect(problem(wrong).code).toBe('API_KEY_INVALID');
      expect((await send(request('GET', '/keys/me', { 'X-Api-Key': 'key-1' }))).status).toBe(200);
    });
  });
});

describe('createNestErrors', () => {
  it('compiles one error handler per options object, shared with every adapter given the same options', () => {
    const options = { catalog };
    const nest = createNestErrors(options);
    expect(createNestErrors(options).handler).toBe(nest.handler);
    expect(createExpressErrors(options).errors).toBe(nest.handler);
    expect(createFastifyErrors(options).errors).toBe(nest.handler);
    expect(createNestErrors({ catalog }).handler).not.toBe(nest.handler);
  });
});
