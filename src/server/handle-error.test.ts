import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runInNewContext } from 'node:vm';
import Boom from '@hapi/boom';
import { type } from 'arktype';
import { ApiError, defineErrors, RoleError } from 'faultline';
import { commonFormats, envelope, field } from 'faultline/format';
import { createNodeErrors } from 'faultline/node';
import { createErrorHandler, type ErrorEvent, toResponse, validate } from 'faultline/server';
import createHttpError from 'http-errors';
import * as v from 'valibot';
import { describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { render } from './render.js';

const catalog = defineErrors(
  {
    SESSION_NOT_FOUND: {
      status: 404,
      id: 4001,
      message: 'Session {sessionId} not found',
      details: z.object({ sessionId: z.string() }),
    },
    SCHEMA_VALIDATION_FAILED: { status: 400, message: 'Request body failed schema validation.' },
  },
  {
    rename: { VALIDATION_FAILED: 'SCHEMA_VALIDATION_FAILED' },
    docsUrl: 'https://docs.example.com/errors#{code}',
  },
);

const events: ErrorEvent[] = [];
const handler = createErrorHandler({ catalog, onError: (event) => events.push(event) });
const request = { method: 'GET', url: '/sessions/s1?x=1', headers: { 'x-request-id': 'req-123' } };

function answer(thrown: unknown, req: Parameters<typeof handler.handle>[1] = request) {
  const response = handler.handle(thrown, req);
  return { ...response, json: JSON.parse(response.body) as Record<string, any> };
}

const schema = z.object({ email: z.string() });

describe('an error handler', () => {
  it('answers a catalog error in problem+json with its details, id, instance and correlation id', () => {
    const { status, headers, json } = answer(catalog.create('SESSION_NOT_FOUND', { sessionId: 's1' }));
    expect(status).toBe(404);
    expect(headers['content-type']).toBe('application/problem+json');
    expect(headers['x-request-id']).toBe('req-123');
    expect(json).toEqual({
      type: 'https://docs.example.com/errors#SESSION_NOT_FOUND',
      title: 'Not Found',
      status: 404,
      detail: 'Session s1 not found',
      instance: '/sessions/s1',
      code: 'SESSION_NOT_FOUND',
      id: 4001,
      correlation_id: 'req-123',
      details: { sessionId: 's1' },
    });
  });

  it('sends the headers of the error, such as Retry-After', () => {
    const { headers } = answer(
      catalog.create('RATE_LIMITED', undefined, { headers: { 'retry-after': '1' } }),
    );
    expect(headers['retry-after']).toBe('1');
  });

  it.each([
    ['zod 4', () => schema.parse({ email: 1 })],
    ['valibot', () => v.parse(v.object({ email: v.string() }), { email: 1 })],
    ['arktype', () => type({ email: 'string' }).assert({ email: 1 })],
  ])('turns a %s failure into the validation code with field errors', (_, fail) => {
    let thrown: unknown;
    try {
      fail();
    } catch (error) {
      thrown = error;
    }
    const { status, json } = answer(thrown);
    expect(status).toBe(400);
    expect(json.code).toBe('SCHEMA_VALIDATION_FAILED');
    expect(json.detail).toBe('Request body failed schema validation.');
    expect(json.errors).toHaveLength(1);
    expect(json.errors[0].pointer).toBe('/email');
    expect(json.errors[0].detail).toEqual(expect.any(String));
  });

  it('validates with any Standard Schema and answers the renamed validation code', async () => {
    const thrown = await validate(schema, { email: 2 }).catch((error: unknown) => error);
    expect(answer(thrown).json).toMatchObject({
      code: 'SCHEMA_VALIDATION_FAILED',
      errors: [{ pointer: '/email' }],
    });
    await expect(validate(schema, { email: 'a@b.c' })).resolves.toEqual({ email: 'a@b.c' });
  });

  it("awaits a schema's promise of another realm, and rejects with what a schema throws", async () => {
    // A promise of another realm: `instanceof Promise` does not see it.
    const foreign = (value: unknown) => runInNewContext('Promise.resolve(value)', { value });
    const schemaOf = (validate: (value: unknown) => unknown) =>
      ({ '~standard': { version: 1, vendor: 'test', validate } }) as unknown as typeof schema;
    const failing = schemaOf(() => foreign({ issues: [{ message: 'Expected a string', path: ['email'] }] }));
    const thrown = await validate(failing, { email: 2 }).catch((error: unknown) => error);
    expect(answer(thrown).json).toMatchObject({
      code: 'SCHEMA_VALIDATION_FAILED',
      errors: [{ pointer: '/email', detail: 'Expected a string' }],
    });
    await expect(
      validate(
        schemaOf(() => foreign({ value: 'ok' })),
        1,
      ),
    ).resolves.toBe('ok');
    const broken = new Error('schema bug');
    await expect(
      validate(
        schemaOf(() => {
          throw broken;
        }),
        1,
      ),
    ).rejects.toBe(broken);
  });

  it("answers the server's own JSON.parse failure as the internal error, not the client's malformed JSON", () => {
    let thrown: unknown;
    try {
      JSON.parse('{"a":');
    } catch (error) {
      thrown = error;
    }
    const { status, json } = answer(thrown);
    expect(status).toBe(500);
    expect(json.code).toBe('INTERNAL_ERROR');
    expect(JSON.stringify(json)).not.toContain('JSON');
  });

  it('keeps the status, exposed message and headers of http-errors', () => {
    const { status, json } = answer(createHttpError(403, 'Room belongs to a different application'));
    expect(status).toBe(403);
    expect(json.code).toBe('FORBIDDEN');
    expect(json.detail).toBe('Room belongs to a different application');
    const limited = answer(createHttpError(429, 'slow down', { headers: { 'Retry-After': '7' } }));
    expect(limited.json.code).toBe('RATE_LIMITED');
    expect(limited.headers['retry-after']).toBe('7');
  });

  it("answers with the catalog's message when an http error's message is only its status's name", () => {
    const named = defineErrors(
      {
        LOGIN_REQUIRED: { status: 401, message: 'Please log in.', roles: ['unauthorized'] },
        TOO_BIG: { status: 413, message: 'Uploads stop at 1 MB.', roles: ['bodyTooLarge'] },
        BAD_INPUT: { status: 422, message: 'Check the fields.', roles: ['unprocessableEntity'] },
      },
      {},
    );
    const handle = createErrorHandler({ catalog: named, logger: false });
    const detail = (thrown: unknown) => JSON.parse(handle.handle(thrown, request).body).detail;
    // http-errors and Boom write the status's name, by RFC 9110 or an earlier RFC, when given no message.
    expect(detail(createHttpError(401))).toBe('Please log in.');
    expect(detail(createHttpError(413))).toBe('Uploads stop at 1 MB.');
    expect(detail(createHttpError(422))).toBe('Check the fields.');
    expect(detail(Boom.unauthorized())).toBe('Please log in.');
    expect(detail(Boom.entityTooLarge())).toBe('Uploads stop at 1 MB.');
    expect(detail(Boom.badData())).toBe('Check the fields.');
    // Statuses without a role: the generic 400's message, not the library's name of the status.
    const generic = named.builtin('badRequest').message;
    expect(detail(createHttpError(418))).toBe(generic);
    expect(detail(Boom.teapot())).toBe(generic);
    expect(detail(createHttpError(499))).toBe(generic);
    // A message of the thrower's own still wins.
    expect(detail(createHttpError(401, 'Your session expired'))).toBe('Your session expired');
  });

  it('never exposes the message of a 5xx http error', () => {
    const { status, body } = answer(createHttpError(503, 'redis at 10.0.0.5 is down'));
    expect(status).toBe(503);
    expect(body).not.toContain('10.0.0.5');
    expect(JSON.parse(body).code).toBe('SERVICE_UNAVAILABLE');
  });

  it('keeps the status and headers of Boom errors', () => {
    const { status, json, headers } = answer(Boom.unauthorized('Missing API key', 'ApiKey'));
    expect(status).toBe(401);
    expect(json.code).toBe('UNAUTHORIZED');
    expect(headers['www-authenticate']).toContain('ApiKey');
  });

  it('keeps an unusual status under the generic code of its class', () => {
    const { status, json } = answer(createHttpError(418, "I'm a teapot"));
    expect(status).toBe(418);
    expect(json.code).toBe('BAD_REQUEST');
  });

  it('answers 500 with a generic message for an error not in the catalog, and hands the original to onError', () => {
    events.length = 0;
    const secret = new Error('db-password-123', { cause: new Error('inner-secret') });
    const { status, body, json, headers } = answer(secret);
    expect(status).toBe(500);
    expect(json.code).toBe('INTERNAL_ERROR');
    expect(body).not.toContain('db-password-123');
    expect(body).not.toContain('inner-secret');
    expect(body).not.toContain('at ');
    expect(events).toHaveLength(1);
    expect(events[0]!.thrown).toBe(secret);
    expect(events[0]!.correlationId).toBe(headers['x-request-id']);
  });

  const cyclic: Record<string, unknown> = { message: 'cyclic' };
  cyclic.self = cyclic;
  const getters = Object.defineProperty({}, 'status', {
    enumerable: true,
    get() {
      throw new Error('getter');
    },
  });
  const hostile = new Proxy(
    {},
    {
      get() {
        throw new Error('trap');
      },
      getPrototypeOf() {
        throw new Error('trap');
      },
      ownKeys() {
        throw new Error('trap');
      },
    },
  );
  it.each([
    ['a string', 'db-password-123'],
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['a cyclic object', cyclic],
    ['an object whose getters throw', getters],
    ['a proxy whose traps throw', hostile],
    ['a symbol', Symbol('s')],
  ])('answers 500 for a thrown %s and the body is a valid document', (_, thrown) => {
    const { status, json, body } = answer(thrown);
    expect(status).toBe(500);
    expect(json.code).toBe('INTERNAL_ERROR');
    expect(body).not.toContain('db-password-123');
  });

  it('survives an onError hook that throws', () => {
    const noisy = createErrorHandler({
      onError: () => {
        throw new Error('logger down');
      },
    });
    expect(noisy.handle(new Error('x')).status).toBe(500);
  });
});

describe('correlation ids', () => {
  it('echoes a safe inbound id on a configurable header', () => {
    const custom = createErrorHandler({
      correlation: { header: 'X-Correlation-Id', responseHeader: 'x-trace' },
    });
    const { headers, body } = custom.handle(new Error('x'), { headers: { 'x-correlation-id': 'abc-1' } });
    expect(headers['x-trace']).toBe('abc-1');
    expect(JSON.parse(body).correlation_id).toBe('abc-1');
  });

  it.each([
    ['CR/LF', 'abc\r\nSet-Cookie: x=1'],
    ['a space', 'a b'],
    ['10 kB', 'a'.repeat(10_000)],
    ['129 characters', 'a'.repeat(129)],
    ['non-ASCII', 'ünïcode'],
    ['an empty value', ''],
  ])('replaces an inbound id with %s', (_, id) => {
    const { headers } = handler.handle(new Error('x'), { headers: { 'x-request-id': id } });
    expect(headers['x-request-id']).not.toBe(id);
    expect(headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reads a Web Headers object', () => {
    const { headers } = handler.handle(new Error('x'), { headers: new Headers({ 'x-request-id': 'web-1' }) });
    expect(headers['x-request-id']).toBe('web-1');
  });
});

describe('localised messages', () => {
  const localized = createErrorHandler({
    catalog,
    locales: {
      defaultLocale: 'en',
      messages: {
        fr: { SESSION_NOT_FOUND: 'Session {sessionId} introuvable' },
        'pt-BR': { RATE_LIMITED: 'Muitas requisições.' },
      },
    },
  });
  const error = catalog.create('SESSION_NOT_FOUND', { sessionId: 's9' });

  it('chooses the message table by Accept-Language and keeps the code', () => {
    const { headers, body } = localized.handle(error, {
      headers: { 'accept-language': 'de;q=0.5, fr-CA, en;q=0.1' },
    });
    expect(headers['content-language']).toBe('fr');
    expect(JSON.parse(body)).toMatchObject({ code: 'SESSION_NOT_FOUND', detail: 'Session s9 introuvable' });
    const br = localized.handle(catalog.create('RATE_LIMITED'), { headers: { 'accept-language': 'pt-br' } });
    expect(JSON.parse(br.body).detail).toBe('Muitas requisições.');
  });

  it('falls back to the catalog message for an unknown Accept-Language', () => {
    for (const accept of ['xx-YY', '*', ';;;q=abc', 'fr;q=0', 'x'.repeat(5000)]) {
      const { headers, body } = localized.handle(error, { headers: { 'accept-language': accept } });
      expect(headers['content-language']).toBe('en');
      expect(JSON.parse(body).detail).toBe('Session s9 not found');
    }
  });
});

describe('formats and responses', () => {
  it('answers in a declared envelope', () => {
    const format = envelope({ success: false, code: field.code, error: field.message });
    const { headers, body } = createErrorHandler({ catalog, format }).handle(catalog.create('NOT_FOUND'), {});
    expect(headers['content-type']).toBe('application/json');
    expect(body).toBe(
      '{"success":false,"code":"NOT_FOUND","error":"The requested resource does not exist."}',
    );
  });

  it('answers as a Web Response', async () => {
    const response = toResponse(new ApiError({ code: 'CONFLICT', status: 409, message: 'taken' }), {
      url: 'https://api.example.com/rooms?x=1',
      headers: new Headers(),
    });
    expect(response.status).toBe(409);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ code: 'CONFLICT', detail: 'taken', instance: '/rooms' });
  });

  it('answers an ApiError whose code the catalog does not know as the internal error, logged once', () => {
    const reported: ErrorEvent[] = [];
    const lines: Record<string, unknown>[] = [];
    const strict = createErrorHandler({
      catalog,
      onError: (event) => reported.push(event),
      logger: { error: (record) => lines.push(record) },
    });
    const foreign = new ApiError({ code: 'OTHER_TEAMS_CODE', status: 409, message: 'tenant t-9 is frozen' });
    const { status, body, error } = strict.handle(foreign, request);
    expect(status).toBe(500);
    expect(error.code).toBe('INTERNAL_ERROR');
    expect(body).not.toContain('OTHER_TEAMS_CODE');
    expect(body).not.toContain('t-9');
    expect(reported[0]!.thrown).toBe(foreign);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ code: 'INTERNAL_ERROR', message: 'tenant t-9 is frozen' });
    // A code of the catalog, and a built-in of the standard catalog, pass as they are.
    expect(strict.handle(catalog.create('SESSION_NOT_FOUND', { sessionId: 'a' }), request).status).toBe(404);
    expect(strict.handle(new ApiError({ code: 'CONFLICT', status: 409, message: 'taken' })).status).toBe(409);
    expect(lines).toHaveLength(1);
  });
  it('logs an unexpected 5xx with the status it was answered, not always 500', () => {
    const messages: unknown[] = [];
    const logging = createErrorHandler({
      catalog,
      logger: { error: (_record, message) => messages.push(message) },
    });
    expect(logging.handle(createHttpError(503, 'pool exhausted'), request).status).toBe(503);
    expect(logging.handle(new Error('disk on fire'), request).status).toBe(500);
    expect(messages).toEqual(['unexpected error answered 503', 'unexpected error answered 500']);
  });
});

describe('render', () => {
  it('renders an ApiError without reporting it, and keeps a correlation id it already carries', () => {
    const reported: ErrorEvent[] = [];
    const quiet = createErrorHandler({ catalog, onError: (event) => reported.push(event) });
    const error = catalog.create('RATE_LIMITED', undefined, { correlationId: 'ws-session-1' });
    const { status, headers, body } = render(error, { url: '/socket' }, quiet);
    expect(status).toBe(429);
    expect(headers['x-request-id']).toBe('ws-session-1');
    expect(JSON.parse(body)).toMatchObject({
      code: 'RATE_LIMITED',
      correlation_id: 'ws-session-1',
      instance: '/socket',
    });
    expect(reported).toHaveLength(0);
  });

  it('gives the same body from a precomputed template as from the serializer', () => {
    const plain = createErrorHandler({ catalog });
    const quoted = 'a"b\\c';
    for (let i = 0; i < 3; i++) {
      const { body } = plain.handle(catalog.create('NOT_FOUND'), {
        url: `/x/${quoted}?q`,
        headers: { 'x-request-id': `req-${i}` },
      });
      expect(JSON.parse(body)).toEqual({
        type: 'https://docs.example.com/errors#NOT_FOUND',
        title: 'Not Found',
        status: 404,
        detail: 'The requested resource does not exist.',
        instance: `/x/${quoted}`,
        code: 'NOT_FOUND',
        correlation_id: `req-${i}`,
      });
    }
  });

  it('never answers a hand-built error of a code with the body cached for the catalog-built one', () => {
    const nested = createErrorHandler({ catalog, format: commonFormats.nested });
    const request = { url: '/x', headers: { 'x-request-id': 'req-1' } };
    const built = JSON.parse(nested.handle(catalog.create('NOT_FOUND'), request).body);
    expect(built.error.category).toBe('NOT_FOUND');
    const entry = catalog.get('NOT_FOUND')!;
    const own = new ApiError({
      code: 'NOT_FOUND',
      status: 404,
      message: entry.message,
      type: entry.type,
      category: 'GONE',
    });
    expect(JSON.parse(nested.handle(own, request).body).error.category).toBe('GONE');
    const members = new ApiError({
      code: 'NOT_FOUND',
      status: 404,
      message: entry.message,
      type: entry.type,
      members: { hint: 'h' },
    });
    const problem = createErrorHandler({ catalog });
    problem.handle(catalog.create('NOT_FOUND'), request);
    expect(JSON.parse(problem.handle(members, request).body).hint).toBe('h');
  });
});

describe('unexpected errors', () => {
  it('logs an unexpected error once to stderr with its correlation id, code, message and stack', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const plain = createErrorHandler({ catalog });
      const { headers, body } = plain.handle(new Error('disk full at /var/db'), {
        headers: { 'x-request-id': 'r-1' },
      });
      expect(body).not.toContain('disk full');
      expect(spy).toHaveBeenCalledTimes(1);
      const record = JSON.parse(String(spy.mock.calls[0]![0]));
      expect(record).toMatchObject({
        correlationId: headers['x-request-id'],
        code: 'INTERNAL_ERROR',
        message: 'disk full at /var/db',
      });
      expect(record.stack).toContain('disk full at /var/db');
      plain.handle(catalog.create('SESSION_NOT_FOUND', { sessionId: 's' }));
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('logs to a pino-style logger, and logger: false silences the log', () => {
    const records: unknown[][] = [];
    const logger = { error: (...args: unknown[]) => records.push(args) };
    createErrorHandler({ logger }).handle(new Error('x'));
    expect(records).toHaveLength(1);
    expect(records[0]![0]).toMatchObject({ code: 'INTERNAL_ERROR', message: 'x', err: expect.any(Error) });
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      createErrorHandler({ logger: false }).handle(new Error('x'));
      expect(spy).not.toHaveBeenCalled();
      expect(records).toHaveLength(1);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('onError and the log', () => {
  const unexpected = () => new Error('disk full');

  function logged(options: Parameters<typeof createErrorHandler>[0]) {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      createErrorHandler({ catalog, ...options }).handle(unexpected());
      return spy.mock.calls.length;
    } finally {
      spy.mockRestore();
    }
  }

  it('an onError hook is called and the default log still writes its line (they are independent)', () => {
    const seen: ErrorEvent[] = [];
    expect(logged({ onError: (event) => seen.push(event) })).toBe(1);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.thrown).toBeInstanceOf(Error);
  });

  it('logger: false silences the log and leaves the hook', () => {
    const seen: ErrorEvent[] = [];
    expect(logged({ onError: (event) => seen.push(event), logger: false })).toBe(0);
    expect(seen).toHaveLength(1);
  });

  it('a logger receives the record whether or not there is a hook', () => {
    for (const onError of [undefined, () => {}, false as const]) {
      const records: unknown[] = [];
      const logger = { error: (record: unknown) => records.push(record) };
      expect(logged({ logger, ...(onError === undefined ? {} : { onError }) })).toBe(0);
      expect(records).toHaveLength(1);
    }
  });

  it('onError: false, as in earlier releases, still silences the default log when no logger is given', () => {
    expect(logged({ onError: false })).toBe(0);
  });

  it('through faultline/node: a hook and the stderr line for one unexpected error', async () => {
    const seen: ErrorEvent[] = [];
    const wrap = createNodeErrors({ catalog, onError: (event) => seen.push(event) });
    const server = createServer(
      wrap(() => {
        throw unexpected();
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/boom`);
      expect(response.status).toBe(500);
      expect(await response.text()).not.toContain('disk full');
      expect(seen).toHaveLength(1);
      expect(spy).toHaveBeenCalledTimes(1);
      const line = JSON.parse(String(spy.mock.calls[0]![0]));
      expect(line).toMatchObject({ message: 'disk full', correlationId: seen[0]!.correlationId });
    } finally {
      spy.mockRestore();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('a thrown value whose every property read throws (a revoked Proxy)', () => {
  it('is answered 500, reported to onError and logged once, as the value thrown', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const seen: ErrorEvent[] = [];
    const lines: unknown[] = [];
    const logger = { error: (...args: unknown[]) => lines.push(args), warn: () => {}, info: () => {} };
    const guarded = createErrorHandler({ catalog, logger, onError: (event) => seen.push(event) });
    const response = guarded.handle(proxy, request);
    expect(response.status).toBe(500);
    expect(JSON.parse(response.body).code).toBe('INTERNAL_ERROR');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.thrown).toBe(proxy);
    expect(lines).toHaveLength(1);
  });

  it('is neither an ApiError nor a RoleError to instanceof, which never throws', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(proxy instanceof ApiError).toBe(false);
    expect(proxy instanceof RoleError).toBe(false);
  });
});
