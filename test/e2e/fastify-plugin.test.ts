import { connect } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { defineErrors } from 'faultline';
import { createFastifyErrors, type FastifyRaw } from 'faultline/fastify';
import type { ErrorEvent } from 'faultline/server';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';

const catalog = defineErrors({
  ROOM_FULL: { status: 409, message: 'Room is full', headers: { 'retry-after': '30' } },
  SEAT_TAKEN: { status: 409, message: 'Seat {seat} is taken', details: z.object({ seat: z.string() }) },
});

async function build(events: ErrorEvent<FastifyRaw>[] = []): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(createFastifyErrors({ catalog, onError: (event) => events.push(event) }));
  // The decorators reach routes of encapsulated child plugins too.
  await app.register(
    async (child) => {
      child.get('/full', async (_request, reply) => reply.apiError('ROOM_FULL'));
      child.get<{ Params: { seat: string } }>('/seats/:seat', async (request, reply) =>
        reply.apiError('SEAT_TAKEN', { seat: request.params.seat }),
      );
      child.get('/same-catalog', async () => ({ same: child.errors.catalog === catalog }));
    },
    { prefix: '/v1' },
  );
  return app;
}

describe('faultline/fastify as a Fastify plugin', () => {
  it('registers under the name faultline (Fastify: a plugin’s metadata names it for hasPlugin and printPlugins)', async () => {
    const app = await build();
    await app.ready();
    expect(app.hasPlugin('faultline')).toBe(true);
    expect(app.printPlugins()).toContain('faultline');
  });

  it.each(['4.29.1', '6.0.0'])(
    'is refused by a Fastify %s (Fastify: a plugin whose metadata says fastify 5.x fails register on any other version)',
    async (version) => {
      const app = Fastify();
      // Fastify checks the metadata against the registering instance's `version`: a child scope shadows it.
      app.register(async (child) => {
        Object.defineProperty(child, 'version', { value: version });
        child.register(createFastifyErrors({ catalog }));
      });
      const refused = await app.ready().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect((refused as { code?: string } | undefined)?.code).toBe('FST_ERR_PLUGIN_VERSION_MISMATCH');
      expect(String((refused as Error).message)).toContain('faultline');
      await app.close();
    },
  );

  it('reply.apiError answers a catalog error as if it had been thrown: status, headers, format and onError', async () => {
    const events: ErrorEvent<FastifyRaw>[] = [];
    const app = await build(events);
    const response = await app.inject({ method: 'GET', url: '/v1/full' });
    expect(response.statusCode).toBe(409);
    expect(response.headers['retry-after']).toBe('30');
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.json()).toMatchObject({ code: 'ROOM_FULL', status: 409 });
    expect(events.map((event) => event.error.code)).toEqual(['ROOM_FULL']);
    expect(events[0]?.raw?.request.url).toBe('/v1/full');
  });

  it('reply.apiError renders the details of a code with a schema', async () => {
    const app = await build();
    const response = await app.inject({ method: 'GET', url: '/v1/seats/A7' });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ code: 'SEAT_TAKEN', detail: 'Seat A7 is taken' });
  });

  it('decorates the instance with errors, the handler compiled from the plugin’s options', async () => {
    const app = await build();
    expect((await app.inject({ method: 'GET', url: '/v1/same-catalog' })).json()).toEqual({ same: true });
    expect(app.errors.catalog).toBe(catalog);
    const { status } = app.errors.handle(catalog.create('ROOM_FULL'));
    expect(status).toBe(409);
  });

  it.each(['/v1/%zz', '/v1/seats/%E0%A4%A'])(
    'with frameworkErrors, inject answers the malformed path %s as the wire does, in the catalog (Fastify: frameworkErrors answers what the router refuses)',
    async (url) => {
      const faultline = createFastifyErrors({ catalog, onError: false });
      const app = Fastify({ frameworkErrors: faultline.frameworkErrors });
      await app.register(faultline);
      app.get('/v1/seats/:seat', async () => 'free');
      const injected = await app.inject({ method: 'GET', url });
      await app.listen({ port: 0, host: '127.0.0.1' });
      try {
        const { port } = app.server.address() as { port: number };
        const wire = await fetch(`http://127.0.0.1:${port}${url}`);
        expect(injected.statusCode).toBe(400);
        expect(injected.headers['content-type']).toBe('application/problem+json');
        const body = injected.json();
        expect(body).toMatchObject({ code: 'BAD_REQUEST', detail: 'The request path is malformed.' });
        expect(injected.body).not.toContain('FST_ERR');
        expect(wire.status).toBe(400);
        const { correlation_id: _wireId, ...wireBody } = await wire.json();
        const { correlation_id: _injectedId, ...injectedBody } = body;
        expect(injectedBody).toEqual(wireBody);
      } finally {
        await app.close();
      }
    },
  );

  it('with frameworkErrors, a parameter over maxParamLength is the catalog’s 400, the status its code documents, not Fastify’s 414 body', async () => {
    const faultline = createFastifyErrors({ catalog, onError: false });
    const app = Fastify({ frameworkErrors: faultline.frameworkErrors, maxParamLength: 8 });
    await app.register(faultline);
    app.get('/v1/seats/:seat', async () => 'free');
    const response = await app.inject({ method: 'GET', url: `/v1/seats/${'x'.repeat(9)}` });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      status: 400,
      code: 'BAD_REQUEST',
      detail: 'The request path is too long.',
    });
    expect(response.body).not.toContain('FST_ERR');
  });

  it('with frameworkErrors and requestListener: false, the server keeps Fastify’s request listener and the wire still gets the catalog’s answers', async () => {
    const faultline = createFastifyErrors({ catalog, onError: false }, { requestListener: false });
    const app = Fastify({ frameworkErrors: faultline.frameworkErrors });
    const [fastifyListener] = app.server.listeners('request');
    await app.register(faultline);
    app.post('/v1/seats/:seat', async () => 'taken');
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect(app.server.listeners('request')).toEqual([fastifyListener]);
      const { port } = app.server.address() as { port: number };
      const malformed = await fetch(`http://127.0.0.1:${port}/v1/seats/%zz`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"a":1}',
      });
      expect(malformed.status).toBe(400);
      expect(malformed.headers.get('content-type')).toBe('application/problem+json');
      expect(await malformed.json()).toMatchObject({
        code: 'BAD_REQUEST',
        detail: 'The request path is malformed.',
      });
      // A request node's parser refuses (a bare CR in a header value) is still the catalog's 400.
      const raw = await rawRequest(port, 'GET /v1/seats/a HTTP/1.1\r\nHost: x\r\nX-Bad: a\rb\r\n\r\n');
      expect(raw).toMatch(/^HTTP\/1\.1 400 /);
      expect(raw).toContain('"code":"BAD_REQUEST"');
      expect(raw).not.toContain('FST_ERR');
    } finally {
      await app.close();
    }
  });
});

/** Writes `head` on a fresh socket and reads until the server closes it (bounded by 5 s). */
function rawRequest(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within 5 s; received ${JSON.stringify(received)}`));
    }, 5000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
  });
}

describe('an idempotent replay on Fastify', () => {
  it('sends every line of a header the first answer sent twice (its cookies aside), and no header twice that a hook set before', async () => {
    const { guard } = await import('faultline/fastify');
    const { idempotency } = await import('faultline/guards');
    const { memoryStore } = await import('faultline/stores');
    const app = Fastify();
    await app.register(createFastifyErrors({ catalog, onError: false }));
    let runs = 0;
    app.addHook('onRequest', async (_request, reply) => {
      reply.header('access-control-allow-origin', 'https://app.example');
    });
    app.post(
      '/orders',
      { preHandler: guard(idempotency({ tenant: () => 'acme', store: memoryStore() })) },
      async (_request, reply) => {
        runs++;
        reply.header('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
        reply.header('link', ['</a>; rel="next"', '</b>; rel="prev"']);
        return reply.code(201).send({ runs });
      },
    );
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const send = () =>
        fetch(`${url}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': '"k1"' },
          body: '{"item":1}',
        });
      const first = await send();
      const replay = await send();
      expect(runs).toBe(1);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(first.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
      // A session set for the first caller is never handed to whoever retries with the key.
      expect(replay.headers.getSetCookie()).toEqual([]);
      expect(replay.headers.get('link')).toBe('</a>; rel="next", </b>; rel="prev"');
      expect(replay.headers.get('link')).toBe(first.headers.get('link'));
      expect(replay.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(await replay.json()).toEqual(await first.json());
    } finally {
      await app.close();
    }
  });
});
