import Fastify from 'fastify';
import { defineErrors } from 'faultline';
import { createFastifyErrors } from 'faultline/fastify';
import { describe, expect, it } from 'vitest';

const catalog = defineErrors(
  { ROOM_FULL: { status: 409, message: 'Room is full', headers: { 'retry-after': '30' } } },
  { rename: { VALIDATION_FAILED: 'SCHEMA_VALIDATION_FAILED' } },
);

async function build() {
  const app = Fastify({ bodyLimit: 1024 });
  await app.register(createFastifyErrors({ catalog }));
  // Routes in an encapsulated child plugin: the root handlers must still apply.
  await app.register(
    async (child) => {
      child.post(
        '/users',
        {
          schema: {
            body: {
              type: 'object',
              required: ['email', 'name'],
              properties: { email: { type: 'string' }, name: { type: 'string' } },
            },
          },
        },
        async (request) => request.body,
      );
      child.get('/full', async () => {
        throw catalog.create('ROOM_FULL');
      });
      child.get('/boom', async () => {
        throw new Error('fastify secret');
      });
    },
    { prefix: '/v1' },
  );
  return app;
}

const json = { 'content-type': 'application/json' };

describe('faultline/fastify', () => {
  it('applies its handlers to routes registered in child plugins', async () => {
    const app = await build();
    const full = await app.inject({ method: 'GET', url: '/v1/full' });
    expect(full.statusCode).toBe(409);
    expect(full.headers['retry-after']).toBe('30');
    expect(full.json().code).toBe('ROOM_FULL');
    const missing = await app.inject({ method: 'GET', url: '/v1/nothing-here' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('NOT_FOUND');
  });

  it('answers with the content type of the chosen format', async () => {
    const app = await build();
    const response = await app.inject({ method: 'GET', url: '/v1/full' });
    expect(response.headers['content-type']).toBe('application/problem+json');
  });

  it('maps route-schema validation errors to the validation code with field errors by JSON Pointer', async () => {
    const app = await build();
    const response = await app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: json,
      payload: '{"email":1}',
    });
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body.code).toBe('SCHEMA_VALIDATION_FAILED');
    expect(body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/name']);
    const typed = await app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: json,
      payload: '{"email":{},"name":"n"}',
    });
    expect(typed.json().errors).toEqual([{ pointer: '/email', detail: 'must be string' }]);
  });

  it.each([
    ['invalid JSON', '{"email":', 'application/json', 400, 'MALFORMED_JSON'],
    ['an empty JSON body', '', 'application/json', 400, 'MALFORMED_JSON'],
    ['an unsupported media type', '<x/>', 'application/xml', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    [
      'a body over the limit',
      JSON.stringify({ a: 'x'.repeat(2000) }),
      'application/json',
      413,
      'BODY_TOO_LARGE',
    ],
  ])('maps %s to the catalog code', async (_, payload, type, status, code) => {
    const app = await build();
    const response = await app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: { 'content-type': type },
      payload,
    });
    expect(response.statusCode).toBe(status);
    expect(response.json().code).toBe(code);
  });

  it('answers an internal error without its message', async () => {
    const app = await build();
    const response = await app.inject({ method: 'GET', url: '/v1/boom' });
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('fastify secret');
  });
});

describe('frameworkErrors given a value whose reads throw (a revoked Proxy)', () => {
  it('answers the catalog 500 and reports the value thrown, never a throw of its own', async () => {
    const thrown: unknown[] = [];
    const faultline = createFastifyErrors({
      catalog,
      logger: false,
      onError: (event) => thrown.push(event.thrown),
    });
    const app = Fastify();
    await app.register(faultline);
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    app.get('/hostile', (request, reply) => {
      faultline.frameworkErrors(proxy as never, request, reply);
    });
    const response = await app.inject({ method: 'GET', url: '/hostile' });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toMatchObject({ code: 'INTERNAL_ERROR' });
    expect(thrown.length).toBe(1);
    expect(thrown[0] === proxy).toBe(true);
  });
});
