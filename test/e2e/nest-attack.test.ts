import 'reflect-metadata';
import { connect } from 'node:net';
import { BadRequestException, Controller, Get, HttpException, Param, Res, UseGuards } from '@nestjs/common';
import { ExternalContextCreator } from '@nestjs/core';
import { RoleError } from 'faultline';
import type { Guard } from 'faultline/guards';
import { FaultlineGuard, validationExceptionFactory } from 'faultline/nest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RawAnswer, sendRaw } from '../helpers/raw.js';
import { type NestApp, type Platform, route, startNestApp } from './nest-app.js';

const platforms: Platform[] = ['express', 'fastify'];
// A stack frame, a file path, a native error name, or the secrets the hostile values carry.
const leaks = /\bat .+:\d+:\d+|\/work\/|node_modules|TypeError|RangeError|secret-|pwn/;

/** Throwing getters on every member a translator may read. */
function trapped(): object {
  const value = {};
  for (const key of [
    'message',
    'stack',
    'name',
    'status',
    'statusCode',
    'code',
    'cause',
    'response',
    'expose',
  ])
    Object.defineProperty(value, key, {
      get() {
        throw new Error(`secret-${key}`);
      },
    });
  return value;
}

/** A Proxy whose every trap throws: `instanceof`, `in`, reads, keys. */
function hostileProxy(): object {
  const fail = () => {
    throw new Error('secret-trap');
  };
  return new Proxy(
    {},
    { get: fail, has: fail, ownKeys: fail, getPrototypeOf: fail, getOwnPropertyDescriptor: fail },
  );
}

/** The values a guard throws by name: none of them an Error. */
const thrownValues: Record<string, () => unknown> = {
  string: () => 'secret-string',
  null: () => null,
  undefined: () => undefined,
  number: () => 42,
  getters: trapped,
  proxy: hostileProxy,
};

/** HttpExceptions whose `response` is hostile. */
const hostileHttp: Record<string, () => unknown> = {
  getters: () => new HttpException(trapped() as Record<string, unknown>, 400),
  proxy: () => new HttpException(hostileProxy() as Record<string, unknown>, 400),
  huge: () => new HttpException({ message: 'x'.repeat(1024 * 1024), statusCode: 400 }, 400),
  proto: () => new HttpException(JSON.parse('{"__proto__":{"polluted":"pwn"},"message":"hi"}'), 400),
  messages: () => new HttpException({ message: [{ toString: () => 'secret-object' }] }, 400),
  status: () => new HttpException('secret-status', 1000),
  ok: () => new HttpException('secret-ok', 200),
  crlf: () => new BadRequestException('bad\r\nSet-Cookie: injected=1'),
  getStatus: () =>
    Object.assign(new HttpException('secret-x', 400), {
      getStatus() {
        throw new Error('secret-getStatus');
      },
    }),
};

/** A plain Nest guard throwing by the `x-throw` header. */
const nestThrower = {
  canActivate(context: { switchToHttp(): { getRequest<T>(): T } }): boolean {
    const name = context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-throw'];
    throw thrownValues[name ?? 'string']!();
  },
};

/** A faultline guard doing the same, sync or async by `x-async`. */
const faultlineThrower: Guard = {
  kind: 'thrower',
  check({ request }) {
    const headers = request.headers as Record<string, string>;
    const value = thrownValues[headers['x-throw'] ?? 'string']!();
    if (headers['x-async'] === '1') return Promise.reject(value);
    throw value;
  },
};

/** A guard denying with a header value that would split the response. */
const splitter: Guard = {
  kind: 'splitter',
  check() {
    throw new RoleError('rateLimited', {
      headers: { 'Retry-After': '1\r\nSet-Cookie: pwn=1', 'X-Evil\r\nA': 'b' },
    });
  },
};

/** Resolves the pending handlers of `/slow` when a test says so. */
const gates: (() => void)[] = [];
let slowFailures = 0;

class AttackController {
  nestGuarded() {
    return { reached: true };
  }
  faultlineGuarded() {
    return { reached: true };
  }
  split() {
    return { reached: true };
  }
  http(kind: string): never {
    throw hostileHttp[kind]!();
  }
  many(): never {
    throw new BadRequestException(Array.from({ length: 100_000 }, (_, i) => `field${i} must be a string`));
  }
  factory(): never {
    const deep = { property: 'a', constraints: { x: 'a is bad' }, children: [] as unknown[] };
    let node = deep;
    for (let i = 0; i < 10_000; i++) {
      const child = { property: `c${i}`, constraints: { x: 'nested is bad' }, children: [] as unknown[] };
      node.children.push(child);
      node = child;
    }
    const wide = Array.from({ length: 100_000 }, (_, i) => ({
      property: `f${i}`,
      constraints: { x: 'bad' },
    }));
    throw validationExceptionFactory([deep as never, ...wide]);
  }
  started(res: Record<string, unknown>): never {
    const raw = (typeof res.raw === 'object' ? res.raw : res) as {
      writeHead(status: number, headers: Record<string, string>): void;
      write(chunk: string): void;
    };
    raw.writeHead(200, { 'content-type': 'text/plain' });
    raw.write('partial');
    throw new Error('secret-after-start');
  }
  async slow(): Promise<never> {
    await new Promise<void>((resolve) => gates.push(resolve));
    slowFailures++;
    throw new HttpException('gone away', 400);
  }
}
Controller('attack')(AttackController);
route(AttackController, 'nestGuarded', [Get('nest-guard'), UseGuards(nestThrower)]);
route(AttackController, 'faultlineGuarded', [
  Get('faultline-guard'),
  UseGuards(FaultlineGuard(faultlineThrower)),
]);
route(AttackController, 'split', [Get('split'), UseGuards(FaultlineGuard(splitter))]);
route(AttackController, 'http', [Get('http/:kind')], [{ type: String, decorators: [Param('kind')] }]);
route(AttackController, 'many', [Get('many')]);
route(AttackController, 'factory', [Get('factory')]);
route(AttackController, 'started', [Get('started')], [{ type: Object, decorators: [Res()] }]);
route(AttackController, 'slow', [Get('slow')]);

interface Problem {
  status: number;
  code?: string;
  detail?: string;
  errors?: unknown[];
}

function problem(answer: RawAnswer): Problem {
  expect(answer.body).not.toMatch(leaks);
  expect(answer.headers['content-type']).toBe('application/problem+json');
  expect(answer.headers['set-cookie']).toBeUndefined();
  const body = JSON.parse(answer.body) as Problem;
  expect(body.status).toBe(answer.status);
  return body;
}

const get = (path: string, headers: Record<string, string> = {}) => {
  let head = `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  return [`${head}\r\n`];
};

describe.each(platforms)('faultline/nest under attack on platform-%s', (platform) => {
  let nest: NestApp;
  const send = (path: string, headers?: Record<string, string>) => sendRaw(nest.base, get(path, headers));
  const alive = async () => expect((await send('/attack/http/proto')).status).toBe(400);
  beforeAll(async () => {
    nest = await startNestApp(platform, { controllers: [AttackController], guards: [] });
  });
  afterAll(async () => {
    await nest?.app.close();
  });

  it.each(Object.keys(thrownValues))(
    'answers a Nest guard throwing a non-Error (%s) with 500, never admitting it',
    async (name) => {
      const answer = await send('/attack/nest-guard', { 'X-Throw': name });
      expect(answer.status).toBe(500);
      expect(problem(answer).code).toBe('INTERNAL_ERROR');
      await alive();
    },
  );

  it.each(Object.keys(thrownValues))(
    'answers a faultline guard throwing or rejecting with a non-Error (%s) with 500, never admitting it',
    async (name) => {
      for (const async of ['0', '1']) {
        const answer = await send('/attack/faultline-guard', { 'X-Throw': name, 'X-Async': async });
        expect(answer.status, `async ${async}`).toBe(500);
        expect(problem(answer).code).toBe('INTERNAL_ERROR');
      }
      await alive();
    },
  );

  it.each(Object.keys(hostileHttp))(
    'answers an HttpException with a hostile response (%s) in the catalog',
    async (kind) => {
      const answer = await send(`/attack/http/${kind}`);
      const body = problem(answer);
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(600);
      expect(answer.body.length).toBeLessThan(4096);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      if (kind === 'crlf') expect(body.detail).toBe('bad\r\nSet-Cookie: injected=1');
      if (kind === 'proto') expect(body.detail).toBe('hi');
      await alive();
    },
  );

  it('keeps 100 field errors of a ValidationPipe 400 with 100 000 messages', async () => {
    const answer = await send('/attack/many');
    expect(answer.status).toBe(400);
    const body = problem(answer);
    expect(body.code).toBe('SCHEMA_VALIDATION_FAILED');
    expect(body.errors).toHaveLength(100);
    expect(answer.body.length).toBeLessThan(16 * 1024);
  });

  it('keeps 100 field errors of validationExceptionFactory over 100 000 errors and a 10 000-deep chain', async () => {
    const answer = await send('/attack/factory');
    expect(answer.status).toBe(400);
    const body = problem(answer);
    expect(body.errors!.length).toBeLessThanOrEqual(100);
    expect(answer.body.length).toBeLessThan(32 * 1024);
  });

  it('cuts a response that had started when the handler threw: no error body appended, no hang', async () => {
    const answer = await send('/attack/started');
    expect(answer.status).toBe(200);
    expect(answer.body).not.toMatch(leaks);
    expect(answer.body).not.toContain('INTERNAL_ERROR');
    await alive();
  });

  it('answers a guard’s CR/LF header values without splitting the response', async () => {
    const answer = await send('/attack/split');
    expect(answer.status).toBe(429);
    expect(problem(answer).code).toBe('RATE_LIMITED');
    expect(Object.keys(answer.headers).join()).not.toMatch(/evil|set-cookie/);
    expect(answer.headers['retry-after']).toBeUndefined();
    await alive();
  });

  it('survives a client that disconnects before the handler fails', async () => {
    const before = slowFailures;
    const { port } = new URL(nest.base);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('GET /attack/slow HTTP/1.1\r\nHost: x\r\n\r\n');
      });
      socket.on('error', reject);
      // Bounded: the handler registers its gate within 5 s or the test fails.
      const started = Date.now();
      const poll = setInterval(() => {
        if (gates.length > 0) {
          clearInterval(poll);
          socket.destroy();
          setTimeout(() => {
            gates.shift()!();
            resolve();
          }, 50);
        } else if (Date.now() - started > 5000) {
          clearInterval(poll);
          reject(new Error('the handler never ran'));
        }
      }, 10);
    });
    for (let i = 0; i < 100 && slowFailures === before; i++) await new Promise((r) => setTimeout(r, 20));
    expect(slowFailures).toBe(before + 1);
    await alive();
  });

  it('leaves a non-HTTP context to its own handler: rethrows, never writes, never crashes', async () => {
    const creator = nest.app.get(ExternalContextCreator);
    const instance = new AttackController();
    for (const type of ['rpc', 'ws', 'graphql'] as const) {
      const handler = creator.create(
        instance,
        instance.http as (...args: unknown[]) => unknown,
        'http',
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        type,
      ) as (...args: unknown[]) => Promise<unknown>;
      await expect(handler('status'), type).rejects.toBeInstanceOf(HttpException);
    }
    await alive();
  });
});
