import 'reflect-metadata';
import type { Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import {
  Body,
  Controller,
  Get,
  HttpException,
  type INestApplication,
  Module,
  NotFoundException,
  Param,
  Post,
  UseGuards,
  UseInterceptors,
  UsePipes,
  ValidationPipe,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { IsEmail } from 'class-validator';
import { defineErrors } from 'faultline';
import { createNestErrors, validationExceptionFactory } from 'faultline/nest';
import { map } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { route } from '../e2e/nest-app.js';
import { type RawAnswer, sendRaw } from '../helpers/raw.js';

// An outsider's Nest API, wired as the README's main.ts shows, beside the same app without faultline.
const errors = defineErrors({
  SESSION_NOT_FOUND: { status: 404, message: 'Session not found.' },
});
/** What reached the error handler: the thrown value itself, never an error of faultline's own. */
const seen: unknown[] = [];
const leaks =
  /\bat .+:\d+:\d+|\/work\/|node_modules|SyntaxError|TypeError|URIError|RangeError|FST_ERR|HPE_|secret-/;

class EchoDto {
  email!: string;
}
IsEmail()(EchoDto.prototype, 'email');

/** The values thrown by name: none of them an Error, one a revoked Proxy (every trap throws). */
function thrown(name: string | undefined): unknown {
  if (name === 'null') return null;
  if (name === 'undefined') return undefined;
  if (name === 'revoked') {
    const { proxy, revoke } = Proxy.revocable(new Error('secret-revoked'), {});
    revoke();
    return proxy;
  }
  if (name === 'http') return new HttpException({ message: 'Not like this', statusCode: 400 }, 400);
  return 'secret-string';
}
type Ctx = { switchToHttp(): { getRequest<T>(): T } };
const which = (ctx: Ctx) => ctx.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers;
const throwingGuard = {
  canActivate(ctx: Ctx): boolean {
    throw thrown(which(ctx)['x-throw']);
  },
};
const throwingInterceptor = {
  intercept(ctx: Ctx, next: { handle(): import('rxjs').Observable<unknown> }) {
    const name = which(ctx)['x-throw'];
    if (which(ctx)['x-late'] !== '1') throw thrown(name);
    return next.handle().pipe(
      map(() => {
        throw thrown(name);
      }),
    );
  },
};
const throwingPipe = {
  transform(value: unknown): unknown {
    throw thrown(String(value));
  },
};

class OutsiderController {
  echo(body: EchoDto) {
    return { email: body.email, own: Object.keys(body), polluted: ({} as { polluted?: unknown }).polluted };
  }
  session(id: string): never {
    throw new NotFoundException(`Session ${id.slice(0, 40)} not found`);
  }
  guarded() {
    return { reached: true };
  }
  intercepted() {
    return { reached: true };
  }
  piped(_name: string) {
    return { reached: true };
  }
  raise(name: string): never {
    throw thrown(name);
  }
}
Controller()(OutsiderController);
route(OutsiderController, 'echo', [Post('echo')], [{ type: EchoDto, decorators: [Body()] }]);
route(OutsiderController, 'session', [Get('sessions/:id')], [{ type: String, decorators: [Param('id')] }]);
route(OutsiderController, 'guarded', [Get('guarded'), UseGuards(throwingGuard)]);
route(OutsiderController, 'intercepted', [Get('intercepted'), UseInterceptors(throwingInterceptor)]);
route(
  OutsiderController,
  'piped',
  [Get('piped/:name'), UsePipes(throwingPipe)],
  [{ type: String, decorators: [Param('name')] }],
);
route(OutsiderController, 'raise', [Get('raise/:name')], [{ type: String, decorators: [Param('name')] }]);

class AppModule {}
Module({ controllers: [OutsiderController] })(AppModule);

type Platform = 'express' | 'fastify';
interface Running {
  app: INestApplication;
  base: string;
}

/** The README's main.ts on `platform`; `faultline: false` is the same app as Nest ships it. */
async function start(platform: Platform, faultline: boolean): Promise<Running> {
  const body = { readTimeout: 300 };
  const handle = createNestErrors(
    { catalog: errors, onError: (event) => void seen.push(event.thrown) },
    { express: { body }, fastify: { body } },
  );
  let app: INestApplication;
  if (platform === 'express') {
    app = await NestFactory.create(AppModule, { logger: false, bodyParser: !faultline });
    if (faultline) app.use(handle.json({ limit: '1mb' }));
  } else {
    const adapter = new FastifyAdapter(faultline ? { frameworkErrors: handle.fastify.frameworkErrors } : {});
    const fastify = await NestFactory.create<NestFastifyApplication>(AppModule, adapter, {
      logger: false,
      bodyParser: !faultline,
    });
    if (faultline) await fastify.register(handle.fastify as never);
    app = fastify;
  }
  if (faultline) app.useGlobalFilters(handle.filter);
  app.useGlobalPipes(new ValidationPipe(faultline ? { exceptionFactory: validationExceptionFactory } : {}));
  // Requests node's parser refuses never reach Nest: on Express the server's `clientError` answers them
  // (the Fastify plugin puts its own in place of Fastify's).
  if (faultline && platform === 'express')
    (app.getHttpServer() as Server).on('clientError', handle.clientError);
  await app.listen(0, '127.0.0.1');
  const address = (app.getHttpServer() as Server).address();
  if (address === null || typeof address === 'string') throw new Error('not listening');
  return { app, base: `http://127.0.0.1:${address.port}` };
}

const request = (
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Uint8Array,
): (string | Uint8Array)[] => {
  let head = `${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  if (body !== undefined)
    head += `Content-Length: ${typeof body === 'string' ? Buffer.byteLength(body) : body.length}\r\n`;
  return body === undefined ? [`${head}\r\n`] : [`${head}\r\n`, body];
};
const json = { 'Content-Type': 'application/json' };
const post = (body: string | Uint8Array, headers: Record<string, string> = json) =>
  request('POST', '/echo', headers, body);
const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))));
const chunked = () => {
  const chunk = Buffer.alloc(256 * 1024, 'a');
  const out: (string | Uint8Array)[] = [
    'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
  ];
  for (let i = 0; i < 6; i++) out.push(`${chunk.length.toString(16)}\r\n`, chunk, '\r\n');
  return [...out, '0\r\n\r\n'];
};
const fillers: Record<string, string> = {};
for (let i = 0; i < 200; i++) fillers[`X-Filler-${i}`] = `value-${i}`;

/** The bad-input matrix, with the answer the plain adapters give (the code, for an error). */
const matrix: [string, (string | Uint8Array)[], number, string?][] = [
  ['malformed JSON', post('{"email":'), 400, 'MALFORMED_JSON'],
  ['truncated JSON', post('{"email":"a@b'), 400, 'MALFORMED_JSON'],
  ['an empty JSON body', post(''), 400, 'MALFORMED_JSON'],
  ['JSON nested 100 000 deep', post(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), 400, 'MALFORMED_JSON'],
  ['objects nested 5 000 deep', post(`${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`), 400, 'MALFORMED_JSON'],
  ['invalid UTF-8', post(bytes('{"email":"', [0xff, 0xfe], '"}')), 400, 'MALFORMED_JSON'],
  ['a validation failure', post('{"email":1}'), 400, 'VALIDATION_FAILED'],
  ['a JSON string as body', post('"a@b.co"'), 400, 'VALIDATION_FAILED'],
  ['a JSON null as body', post('null'), 400, 'VALIDATION_FAILED'],
  ['text/plain', post('{"email":"a"}', { 'Content-Type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ['latin1', post('{"email":"a"}', { 'Content-Type': 'application/json; charset=latin1' }), 415],
  ['XML', post('<a/>', { 'Content-Type': 'application/xml' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ['gzip', post(gzipSync('{"email":"a@b.co"}'), { ...json, 'Content-Encoding': 'gzip' }), 415],
  ['br on plain JSON', post('{"email":"a@b.co"}', { ...json, 'Content-Encoding': 'br' }), 415],
  [
    'a declared length over the limit',
    [
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n{',
    ],
    413,
    'BODY_TOO_LARGE',
  ],
  ['a chunked body past the limit', chunked(), 413, 'BODY_TOO_LARGE'],
  ['a malformed escape', request('GET', '/no%zz'), 400, 'BAD_REQUEST'],
  ['%ff in a parameter', request('GET', '/sessions/%ff'), 400, 'BAD_REQUEST'],
  ['an overlong slash in a parameter', request('GET', '/sessions/%c0%af'), 400, 'BAD_REQUEST'],
  ['an encoded NUL', request('GET', '/sessions/a%00b'), 404, 'NOT_FOUND'],
  ['an encoded dot-dot', request('GET', '/%2e%2e/echo'), 400, 'BAD_REQUEST'],
  ['an encoded dot-dot parameter', request('GET', '/sessions/%2e%2e'), 400, 'BAD_REQUEST'],
  ['a bare CR in a header', ['GET /guarded HTTP/1.1\r\nHost: x\r\nX-Bad: a\rb\r\n\r\n'], 400, 'BAD_REQUEST'],
  [
    'a head over node’s limit',
    [`GET /x HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
    400,
    'BAD_REQUEST',
  ],
  ['200 headers', request('GET', '/raise/string', fillers), 500, 'INTERNAL_ERROR'],
  ['an unknown method', request('PROPFIND', '/echo'), 405, 'METHOD_NOT_ALLOWED'],
  ['a wrong method', request('DELETE', '/echo'), 405, 'METHOD_NOT_ALLOWED'],
  ['an unknown path', request('GET', '/nowhere'), 404, 'NOT_FOUND'],
];

/** A catalog problem document: the status in body and line, the correlation id, nothing leaked. */
function problem(answer: RawAnswer, what: string): Record<string, unknown> {
  expect(answer.body, what).not.toMatch(leaks);
  expect(JSON.stringify(answer.headers), what).not.toMatch(leaks);
  expect(answer.headers['content-type'], what).toBe('application/problem+json');
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  expect(body.status, what).toBe(answer.status);
  expect(body.correlation_id, what).toBe(answer.headers['x-request-id']);
  expect(body.correlation_id, what).toMatch(/^[\x21-\x7e]{1,200}$/);
  return body;
}

/** The plain Nest app's status, or `undefined` when it never answered (no read timeout of its own). */
async function statusOf(base: string, chunks: (string | Uint8Array)[]): Promise<number | undefined> {
  return sendRaw(base, chunks, { timeoutMs: 3000 }).then(
    (answer) => answer.status,
    () => undefined,
  );
}

describe.each(['express', 'fastify'] as const)(
  'an outsider against faultline/nest on platform-%s',
  (platform) => {
    let guarded: Running;
    let plain: Running;
    beforeAll(async () => {
      guarded = await start(platform, true);
      plain = await start(platform, false);
    });
    afterAll(async () => {
      await guarded?.app.close();
      await plain?.app.close();
    });
    const alive = async () =>
      expect((await sendRaw(guarded.base, post('{"email":"a@b.co"}'))).status).toBe(201);

    it.each(matrix)(
      'answers %s in the catalog, refusing whatever Nest refuses',
      async (what, chunks, status, code) => {
        const answer = await sendRaw(guarded.base, chunks);
        expect(answer.status, what).toBe(status);
        const body = problem(answer, what);
        if (code !== undefined) expect(body.code, what).toBe(code);
        const nest = await statusOf(plain.base, chunks);
        if (nest !== undefined && nest >= 400)
          expect(answer.status, `Nest answers ${nest}`).toBeGreaterThanOrEqual(400);
        await alive();
      },
    );

    it('accepts a UTF-8 BOM and an identity coding, as the plain adapters do', async () => {
      expect(
        (await sendRaw(guarded.base, post(bytes([0xef, 0xbb, 0xbf], '{"email":"a@b.co"}')))).status,
      ).toBe(201);
      const identity = post('{"email":"a@b.co"}', { ...json, 'Content-Encoding': 'identity' });
      expect((await sendRaw(guarded.base, identity)).status).toBe(201);
    });

    it('answers a stalled body with 408 and closes, where Nest alone waits', async () => {
      const stalled = [
        'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"email":',
      ];
      const answer = await sendRaw(guarded.base, stalled);
      expect(answer.status).toBe(408);
      expect(problem(answer, 'stalled').code).toBe('REQUEST_TIMEOUT');
      expect(answer.headers.connection).toBe('close');
    });

    it.each([
      ['__proto__', '{"email":"a@b.co","__proto__":{"polluted":1}}'],
      ['constructor.prototype', '{"email":"a@b.co","constructor":{"prototype":{"polluted":1}}}'],
      ['\\u-escaped __proto__', '{"email":"a@b.co","\\u005f\\u005fproto\\u005f\\u005f":{"polluted":1}}'],
      [
        '\\u-escaped constructor',
        '{"email":"a@b.co","\\u0063onstructor":{"\\u0070rototype":{"polluted":1}}}',
      ],
      ['a nested __proto__', '{"email":"a@b.co","a":[{"__pro\\u0074o__":{"polluted":1}}]}'],
    ])('refuses a %s key, as Nest on Fastify does, and never pollutes', async (what, text) => {
      const answer = await sendRaw(guarded.base, post(text));
      expect(answer.status, what).toBe(400);
      expect(problem(answer, what).code).toBe('MALFORMED_JSON');
      // Fastify refuses every spelling itself; body-parser's JSON.parse keeps the key as plain data.
      if (platform === 'fastify') expect(await statusOf(plain.base, post(text))).toBe(400);
      expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    });

    it('answers HEAD and OPTIONS as the plain adapters do', async () => {
      const head = await sendRaw(guarded.base, request('HEAD', '/sessions/a'), { head: true });
      expect(head.status).toBe(404);
      expect(head.headers['content-type']).toBe('application/problem+json');
      expect(head.body).toBe('');
      const options = await sendRaw(guarded.base, request('OPTIONS', '/echo'));
      expect(options.status).toBe(204);
      expect(options.headers.allow).toBe('POST, OPTIONS');
    });

    it.each(['string', 'null', 'undefined', 'revoked', 'http'])(
      'answers %s thrown by a guard, an interceptor (before and after the handler), a pipe and a handler',
      async (name) => {
        const status = name === 'http' ? 400 : 500;
        const paths: [string, Record<string, string>][] = [
          ['/guarded', { 'X-Throw': name }],
          ['/intercepted', { 'X-Throw': name }],
          ['/intercepted', { 'X-Throw': name, 'X-Late': '1' }],
          [`/piped/${name}`, {}],
          [`/raise/${name}`, {}],
        ];
        for (const [path, headers] of paths) {
          seen.length = 0;
          const answer = await sendRaw(guarded.base, request('GET', path, headers));
          const what = `${path} ${JSON.stringify(headers)}`;
          expect(answer.status, what).toBe(status);
          expect(problem(answer, what).code).toBe(status === 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');
          // The value itself, once: the filter never threw on the way (a second pass would see its error).
          // The core's reporter cannot ask a revoked Proxy `instanceof`, and answers it without `onError`.
          if (name === 'revoked') {
            expect(seen.length, what).toBeLessThanOrEqual(1);
            for (const value of seen) expect(() => Reflect.getPrototypeOf(value as object), what).toThrow();
          } else {
            expect(seen, what).toHaveLength(1);
            if (name !== 'http') expect(seen[0], what).toBe(thrown(name));
          }
        }
        await alive();
      },
    );

    it('answers 100 parallel mixed bad requests in the catalog, and still answers afterwards', async () => {
      const answers = await Promise.all(
        Array.from({ length: 100 }, (_, i) => {
          const [what, chunks] = matrix[i % matrix.length]!;
          return sendRaw(guarded.base, chunks, { timeoutMs: 15_000 }).then((answer) => ({ what, answer }));
        }),
      );
      for (const { what, answer } of answers) {
        expect(answer.status, what).toBeGreaterThanOrEqual(400);
        problem(answer, what);
      }
      await alive();
    }, 60_000);
  },
);
