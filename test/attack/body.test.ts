import type { Server } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { createFastifyErrors } from 'faultline/fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapters } from '../helpers/adapters.js';
import { type BodyApp, bodyApps, bodyCatalog } from '../helpers/body-apps.js';
import { close, listen } from '../helpers/http.js';

/**
 * The body surface. Anchors: Fastify's defaults for prototype poisoning (a body with a `__proto__` key,
 * or a `constructor` holding a `prototype`, is refused with 400 unless the server says otherwise), and
 * nginx for whose fault a failure is (4xx only for a request the server cannot read; its own faults 5xx).
 */
type Name = keyof typeof bodyApps;
const names = Object.keys(bodyApps) as Name[];
const apps = new Map<Name, BodyApp & { base: string; nativeBase: string }>();
const examples = new Map<string, { server: Server; base: string }>();

beforeAll(async () => {
  for (const name of names) {
    const app = await bodyApps[name]();
    const base = await listen(app.server);
    apps.set(name, { ...app, base, nativeBase: app.native === app.server ? base : await listen(app.native) });
  }
  for (const { name, example } of adapters) {
    const server = await example();
    examples.set(name, { server, base: await listen(server) });
  }
});
afterAll(async () => {
  for (const app of apps.values()) {
    await close(app.server);
    if (app.native !== app.server) await close(app.native);
  }
  for (const { server } of examples.values()) await close(server);
});

async function post(base: string, path: string, body: string, type = 'application/json') {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': type },
    body,
  });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type'), json: JSON.parse(text) };
}

const poisoned = [
  ['a top-level __proto__ key', '{"__proto__":{"isAdmin":true}}'],
  ['a nested __proto__ key', '{"user":{"name":"a","__proto__":{"isAdmin":true}}}'],
  ['a __proto__ key written with escapes', '{"\\u005f_proto\\u005f_":{"isAdmin":true}}'],
  ['a __proto__ key inside an array', '[{"__proto__":{"isAdmin":true}}]'],
  ['a constructor.prototype shape', '{"constructor":{"prototype":{"isAdmin":true}}}'],
  ['a nested constructor.prototype shape', '{"a":[{"constructor":{"prototype":{"isAdmin":true}}}]}'],
  ['a constructor key written with escapes', '{"\\u0063onstructor":{"prototype":{"isAdmin":true}}}'],
  ['a prototype key written with escapes', '{"constructor":{"\\u0070rototype":{"isAdmin":true}}}'],
  ['a __proto__ key with one escape inside', '{"__pr\\u006fto__":{"isAdmin":true}}'],
  ['both keys with escapes inside', '{"\\u0063onstructor":{"pr\\u006ftotype":{"isAdmin":true}}}'],
  ['a __proto__ key after a byte-order mark', '\uFEFF{"__proto__":{"isAdmin":true}}'],
] as const;

describe('body attack: prototype poisoning', () => {
  it.each(poisoned)(
    '%s is refused with the catalog 400 before any handler runs, on every adapter (Fastify: prototype-poisoning keys are refused with 400 by default)',
    async (_, body) => {
      for (const [name, app] of apps) {
        const before = app.seen.length;
        const answer = await post(app.base, '/echo', body);
        expect({ name, status: answer.status, code: answer.json.code }).toEqual({
          name,
          status: 400,
          code: 'MALFORMED_JSON',
        });
        expect(answer.type).toBe('application/problem+json');
        expect(answer.json.detail).toMatch(/forbidden/);
        expect(app.seen.length, `${name}: the handler ran`).toBe(before);
      }
    },
  );

  it('every adapter example refuses a poisoned body as plain Fastify does (Fastify: 400 for a __proto__ key)', async () => {
    const plain = Fastify();
    plain.post('/echo', async (request) => request.body);
    const anchor = await plain.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"email":"a@b.c","__proto__":{"isAdmin":true}}',
    });
    expect(anchor.statusCode).toBe(400);
    for (const [name, { base }] of examples) {
      const answer = await post(base, '/echo', '{"email":"a@b.c","__proto__":{"isAdmin":true}}');
      expect({ name, status: answer.status, code: answer.json.code }).toEqual({
        name,
        status: 400,
        code: 'MALFORMED_JSON',
      });
    }
  });

  it('keys that only look alike pass untouched (Fastify: only __proto__ and constructor.prototype are refused)', async () => {
    for (const [name, app] of apps) {
      const answer = await post(app.base, '/echo', '{"constructor":"x","proto":1,"note":"__proto__"}');
      expect({ name, status: answer.status }).toEqual({ name, status: 200 });
      expect(answer.json).toMatchObject({ ownProto: false, ownConstructor: true, polluted: false });
    }
  });
});

async function fastifyWith(
  options: FastifyServerOptions,
  setup: (app: FastifyInstance) => void = () => {},
): Promise<FastifyInstance> {
  const app = Fastify(options);
  setup(app);
  await app.register(createFastifyErrors({ catalog: bodyCatalog }));
  app.post('/echo', async (request) => ({
    ownProto: Object.hasOwn(request.body as object, '__proto__'),
    ownConstructor: Object.hasOwn(request.body as object, 'constructor'),
    body: request.body,
  }));
  return app;
}

function inject(app: FastifyInstance, payload: string, type = 'application/json') {
  return app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': type }, payload });
}

describe('body attack: the Fastify plugin keeps what Fastify keeps', () => {
  it('honours onProtoPoisoning and onConstructorPoisoning of the server (Fastify: the server settings decide; error by default)', async () => {
    const removing = await fastifyWith({ onProtoPoisoning: 'remove', onConstructorPoisoning: 'remove' });
    const removed = await inject(removing, '{"a":1,"__proto__":{"x":1},"constructor":{"prototype":{}}}');
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toEqual({ ownProto: false, ownConstructor: false, body: { a: 1 } });
    const ignoring = await fastifyWith({ onProtoPoisoning: 'ignore', onConstructorPoisoning: 'error' });
    expect((await inject(ignoring, '{"__proto__":{"x":1}}')).json()).toMatchObject({ ownProto: true });
    const shaped = await inject(ignoring, '{"constructor":{"prototype":{}}}');
    expect(shaped.statusCode).toBe(400);
    expect(shaped.json().code).toBe('MALFORMED_JSON');
  });

  it('a content-type parser registered before the plugin keeps working (Fastify: a registered parser serves its type)', async () => {
    const app = await fastifyWith({}, (instance) => {
      instance.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'string' },
        (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
      );
    });
    const form = await inject(app, 'a=1&b=2', 'application/x-www-form-urlencoded');
    expect(form.statusCode).toBe(200);
    expect(form.json().body).toEqual({ a: '1', b: '2' });
    // JSON still goes through faultline's reader, and what no parser takes is the catalog's 415.
    expect((await inject(app, '{"a":')).json().code).toBe('MALFORMED_JSON');
    const text = await inject(app, 'x', 'text/plain');
    expect(text.statusCode).toBe(415);
    expect(text.headers.accept).toBe('application/json');
  });

  it("the user's own JSON parser registered before the plugin stays in charge of JSON (Fastify: a replaced default stays replaced)", async () => {
    const app = await fastifyWith({}, (instance) => {
      instance.removeContentTypeParser('application/json');
      instance.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) =>
        done(null, { raw: body }),
      );
    });
    const answer = await inject(app, 'not json');
    expect(answer.statusCode).toBe(200);
    expect(answer.json().body).toEqual({ raw: 'not json' });
  });

  it('a content-type parser registered after the plugin works too (Fastify: a registered parser serves its type)', async () => {
    const app = await fastifyWith({});
    app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_request, body, done) =>
      done(null, { rows: (body as string).split('\n').length }),
    );
    const csv = await inject(app, 'a,b\nc,d', 'text/csv');
    expect(csv.statusCode).toBe(200);
    expect(csv.json().body).toEqual({ rows: 2 });
  });

  it('a +json media type is still read by faultline, poisoning refused (Fastify: refused by default)', async () => {
    const app = await fastifyWith({});
    const ok = await inject(app, '{"a":1}', 'application/merge-patch+json');
    expect(ok.statusCode).toBe(200);
    const bad = await inject(app, '{"__proto__":{}}', 'application/merge-patch+json');
    expect(bad.statusCode).toBe(400);
  });
});

describe('body attack: errors blamed on the right side', () => {
  it("the server's own JSON.parse of a token payload is a 500, not the client's 400, on every adapter (nginx: a server fault is a 5xx)", async () => {
    for (const [name, app] of apps) {
      const response = await fetch(`${app.base}/token`);
      const json = (await response.json()) as { code: string; detail: string };
      expect({ name, status: response.status, code: json.code }).toEqual({
        name,
        status: 500,
        code: 'INTERNAL_ERROR',
      });
      expect(json.detail).not.toMatch(/JSON|position|token/i);
    }
  });

  it("a failure of the framework's own body parser is the client's 400 on every adapter (nginx: a body the server cannot read is a 4xx)", async () => {
    for (const [name, app] of apps) {
      const answer = await post(app.nativeBase, '/native', '{"email":');
      expect({ name, status: answer.status, code: answer.json.code }).toEqual({
        name,
        status: 400,
        code: 'MALFORMED_JSON',
      });
      const reader = await post(app.base, '/echo', '{"email":');
      expect({ name, status: reader.status, code: reader.json.code }).toEqual({
        name,
        status: 400,
        code: 'MALFORMED_JSON',
      });
    }
  });
});
