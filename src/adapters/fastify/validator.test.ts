import { type } from 'arktype';
import Fastify, { type FastifyRequest } from 'fastify';
import { defineErrors } from 'faultline';
import { createFastifyErrors } from 'faultline/fastify';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';

const catalog = defineErrors({}, { rename: { VALIDATION_FAILED: 'SCHEMA_VALIDATION_FAILED' } });
const json = { 'content-type': 'application/json' };
const post = (app: { inject: ReturnType<typeof Fastify>['inject'] }, url: string, payload: string) =>
  app.inject({ method: 'POST', url, headers: json, payload });

async function appWith(register: (app: ReturnType<typeof Fastify>) => void, logged: unknown[] = []) {
  const faultline = createFastifyErrors({
    catalog,
    logger: false,
    onError: (event) => logged.push(event.thrown),
  });
  const app = Fastify();
  await app.register(faultline);
  app.setValidatorCompiler(faultline.validatorCompiler);
  register(app);
  await app.ready();
  return app;
}

describe('faultline/fastify validatorCompiler', () => {
  it.each([
    ['zod', z.object({ email: z.string(), tags: z.array(z.string()) })],
    ['valibot', v.object({ email: v.string(), tags: v.array(v.string()) })],
    ['arktype', type({ email: 'string', tags: 'string[]' })],
  ])(
    'answers a %s body schema failure as the catalog validation error, by JSON Pointer',
    async (_, schema) => {
      const app = await appWith((a) =>
        a.post('/users', { schema: { body: schema } }, async (r: FastifyRequest) => r.body),
      );
      const response = await post(app, '/users', '{"email":1,"tags":["a",2]}');
      expect(response.statusCode).toBe(400);
      const body = response.json();
      expect(body.code).toBe('SCHEMA_VALIDATION_FAILED');
      expect(body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/email', '/tags/1']);
      expect(response.body).not.toContain('FST_ERR');
    },
  );

  it("replaces the request part with a synchronous schema's output, and validates the query string", async () => {
    const app = await appWith((a) =>
      a.post(
        '/users',
        {
          schema: {
            body: z.object({ email: z.string().trim().toLowerCase() }),
            querystring: z.object({ page: z.coerce.number().int().min(1) }),
          },
        },
        async (request: FastifyRequest) => ({ body: request.body, query: request.query }),
      ),
    );
    const ok = await post(app, '/users?page=2', '{"email":"  A@B.C "}');
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ body: { email: 'a@b.c' }, query: { page: 2 } });
    const bad = await post(app, '/users?page=0', '{"email":"a"}');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([{ pointer: '/page', detail: expect.any(String) }]);
  });

  it('passes or fails an asynchronous schema, as Fastify takes any asynchronous validator', async () => {
    const taken = z.object({ name: z.string() }).refine(async (value) => value.name !== 'taken', {
      message: 'Name is taken',
      path: ['name'],
    });
    const app = await appWith((a) =>
      a.post('/names', { schema: { body: taken } }, async (r: FastifyRequest) => r.body),
    );
    const refused = await post(app, '/names', '{"name":"taken"}');
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({
      code: 'SCHEMA_VALIDATION_FAILED',
      errors: [{ pointer: '/name', detail: 'Name is taken' }],
    });
    const free = await post(app, '/names', '{"name":"free"}');
    expect(free.statusCode).toBe(200);
    expect(free.json()).toEqual({ name: 'free' });
  });

  const secret = () => {
    throw new Error('schema secret');
  };
  it.each([
    // zod retries a throwing parse asynchronously: the rejection path.
    ['zod', z.object({ n: z.number() }).transform(secret)],
    // valibot throws out of `validate` itself: the synchronous path.
    ['valibot', v.pipe(v.object({ n: v.number() }), v.transform(secret))],
  ])(
    "answers a %s schema's own throw as the internal error, kept off the wire and logged",
    async (_, broken) => {
      const logged: unknown[] = [];
      const app = await appWith(
        (a) => a.post('/x', { schema: { body: broken } }, async () => 'never'),
        logged,
      );
      const response = await post(app, '/x', '{"n":1}');
      expect(response.statusCode).toBe(500);
      expect(response.json().code).toBe('INTERNAL_ERROR');
      expect(response.body).not.toContain('schema secret');
      expect(logged).toHaveLength(1);
      expect((logged[0] as Error).cause).toEqual(new Error('schema secret'));
    },
  );

  // A hand-written Standard Schema, as a library other than zod, valibot and arktype may give.
  const standardSchema = (validate: (this: { name: string }, value: unknown) => unknown) => ({
    '~standard': { version: 1, vendor: 'test', name: 'hand-written', validate },
  });
  it.each([
    // `async validate(v) { check(v) }`, its `return` forgotten: the outcome is undefined.
    ['an asynchronous outcome that is no result', standardSchema(async () => undefined)],
    [
      'an asynchronous outcome whose issues cannot be read',
      standardSchema(async () => ({
        get issues(): never {
          throw null;
        },
      })),
    ],
    [
      'a synchronous outcome whose issues cannot be read',
      standardSchema(() => ({
        get issues(): never {
          throw 0;
        },
      })),
    ],
  ])("answers %s as the schema's fault, a logged 500, and never runs the handler", async (_, broken) => {
    const logged: unknown[] = [];
    let ran = false;
    const app = await appWith(
      (a) =>
        a.post('/x', { schema: { body: broken } }, async () => {
          ran = true;
          return 'ran';
        }),
      logged,
    );
    const response = await post(app, '/x', '{"n":1}');
    expect(response.statusCode).toBe(500);
    expect(response.json().code).toBe('INTERNAL_ERROR');
    expect(ran).toBe(false);
    expect(logged).toHaveLength(1);
  });

  it("calls a schema's validate as a method of its Standard Schema object", async () => {
    const named = standardSchema(function (this: { name: string }, value) {
      return this.name === 'hand-written' ? { value } : { issues: [{ message: 'lost its this' }] };
    });
    const app = await appWith((a) =>
      a.post('/x', { schema: { body: named } }, async (r: FastifyRequest) => r.body),
    );
    const response = await post(app, '/x', '{"n":1}');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ n: 1 });
  });

  it('refuses, when the route is compiled, a schema that is no Standard Schema', async () => {
    const ready = appWith((a) =>
      a.post('/json-schema', { schema: { body: { type: 'object' } } }, async (r: FastifyRequest) => r.body),
    );
    // Fastify wraps the compiler's refusal in its own FST_ERR_SCH_VALIDATION_BUILD, keeping the message.
    await expect(ready).rejects.toThrow(
      /validatorCompiler takes Standard Schemas \(zod, valibot, arktype\); the body schema of POST \/json-schema is not one/,
    );
  });

  it('answers a body of 10 000 failing items with at most 100 field errors', async () => {
    const app = await appWith((a) =>
      a.post('/items', { schema: { body: z.array(z.string()) } }, async (r: FastifyRequest) => r.body),
    );
    const payload = JSON.stringify(Array.from({ length: 10_000 }, (_, i) => i));
    const response = await post(app, '/items', payload);
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toHaveLength(100);
    expect(response.json().errors[99].pointer).toBe('/99');
  });
});
