/**
 * 10 000 arbitrary thrown values through every adapter, over real sockets: errors with secret messages
 * and causes, strings, objects with throwing `toJSON` or getters, Proxies, circular causes, BigInt,
 * Symbols, frozen objects, objects with `status`/`statusCode`/`expose`. Every answer is a valid
 * problem+json envelope with a 4xx/5xx status and a correlation id; no secret and no stack frame ever
 * reaches the wire; the server answers its health check afterwards.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { parseErrorParts } from 'faultline/client';
import { commonFormats } from 'faultline/format';
import { afterAll, describe, expect, it } from 'vitest';
import { type AdapterName, adapters, createApp, type Thrown } from './fixtures/apps.js';

const runs = 10_000;
const secret = 'S3CR3T-db-password-7f3a';
const stackFrame = /\bat [^\s]+ \(|\bat (?:file|node):|\.(?:ts|js):\d+:\d+/;

// fast-check inspects generated values (clone hooks, printing): hostile ones are built only when thrown.
const hostile = (build: () => unknown) => fc.constant({ make: build, exposed: false });
const plain = <T>(arbitrary: fc.Arbitrary<T>) =>
  arbitrary.map((value) => ({ make: () => value as unknown, exposed: false }));
const throwing = (): never => {
  throw new Error(secret);
};

/** Anything a handler may throw; `exposed` marks a 4xx message the thrower meant for the client. */
const thrownValue: fc.Arbitrary<{ make: () => unknown; exposed: boolean }> = fc.oneof(
  plain(fc.string().map((s) => new Error(`${secret} ${s}`))),
  plain(fc.string().map((s) => `${secret}${s}`)),
  plain(fc.constantFrom<unknown>(null, undefined, 0, -1, Number.NaN, true, '', [], {})),
  plain(fc.bigInt()),
  plain(fc.string().map((s) => Symbol(`${secret}${s}`))),
  hostile(() => ({ toJSON: throwing, message: secret })),
  hostile(() =>
    Object.create(Error.prototype, {
      message: { get: throwing },
      status: { get: throwing },
      code: { get: throwing },
      stack: { get: throwing },
    }),
  ),
  hostile(
    () =>
      new Proxy(new Error(secret), {
        get: throwing,
        has: throwing,
        ownKeys: throwing,
        getPrototypeOf: throwing,
        getOwnPropertyDescriptor: throwing,
      }),
  ),
  hostile(() => {
    const error = new Error(secret) as Error & { cause?: unknown };
    error.cause = error;
    return error;
  }),
  fc.integer({ min: 1, max: 5 }).map((depth) => {
    let error: Error = new Error(secret);
    for (let i = 0; i < depth; i++) error = new Error('wrapped', { cause: error });
    return { make: () => error as unknown, exposed: false };
  }),
  hostile(() => Object.freeze(Object.assign(new Error(secret), { status: 418, details: { secret } }))),
  fc
    .record({
      status: fc.oneof(
        fc.integer({ min: -1000, max: 1000 }),
        fc.constantFrom('404', 'abc', Number.POSITIVE_INFINITY, 4.5),
      ),
      statusCode: fc.option(fc.integer({ min: 100, max: 700 }), { nil: undefined }),
      expose: fc.option(fc.boolean(), { nil: undefined }),
      headers: fc.option(fc.dictionary(fc.string(), fc.string()), { nil: undefined }),
    })
    .map((fields) => {
      const value = Object.assign(new Error(secret), fields);
      const status = typeof fields.status === 'number' ? fields.status : fields.statusCode;
      // http-errors semantics: a 4xx error that says `expose: true` carries a message meant for the client.
      const exposed = fields.expose === true && typeof status === 'number' && status >= 400 && status < 500;
      return { make: () => value as unknown, exposed };
    }),
  plain(fc.anything()),
);

const servers: Server[] = [];
afterAll(() => {
  for (const server of servers) server.close();
});

describe.concurrent.each(adapters)('thrown values through the %s adapter', (adapter: AdapterName) => {
  it(`answers ${runs} arbitrary thrown values with a clean envelope and stays up`, {
    timeout: 180_000,
  }, async () => {
    const thrown: Thrown = new Map();
    const server = await createApp(adapter, thrown);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    let n = 0;
    let leaks = 0;
    let frames = 0;
    await fc.assert(
      fc.asyncProperty(thrownValue, async ({ make, exposed }) => {
        const id = String(n++);
        thrown.set(id, make());
        const res = await fetch(`${base}/throw/${id}`);
        const body = await res.text();
        thrown.delete(id);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThanOrEqual(599);
        expect(res.headers.get('content-type')).toBe(commonFormats.problemJson.contentType);
        const parsed = await parseErrorParts(
          { status: res.status, headers: {}, body },
          { formats: [commonFormats.problemJson] },
        );
        expect(parsed.status).toBe(res.status);
        expect(parsed.correlationId).toBe(res.headers.get('x-request-id'));
        if (!exposed && body.includes(secret)) leaks++;
        if (stackFrame.test(body)) frames++;
        expect(leaks).toBe(0);
        expect(frames).toBe(0);
      }),
      { numRuns: runs, seed: 20261203 },
    );
    expect(n).toBe(runs);
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
  });
});
