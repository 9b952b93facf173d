import { createServer, type Server } from 'node:http';
import { defineErrors } from 'faultline';
import { createNodeErrors, createRouter } from 'faultline/node';
import { afterAll, describe, expect, it } from 'vitest';
import { close, listen } from '../helpers/http.js';

// The node router's matching rules, the same whether a path is routed by its static table or by walking the
// routes: registration order decides, a route without the method leaves it to later routes, HEAD runs GET.
const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

async function serve(router: ReturnType<typeof createRouter>) {
  const errors = createNodeErrors({ catalog: defineErrors({}), onError: false });
  const server = createServer(errors(router.handle));
  servers.push(server);
  const url = await listen(server);
  return async (method: string, path: string) => {
    const res = await fetch(url + path, { method });
    return {
      status: res.status,
      allow: res.headers.get('allow'),
      body: method === 'HEAD' ? '' : await res.text(),
    };
  };
}

describe('createRouter', () => {
  it('routes in registration order: a parameter route before a static one of the same path wins', async () => {
    const send = await serve(
      createRouter()
        .get('/users/:id', (_req, _res, { params }) => ({ by: 'param', id: params.id }))
        .get('/users/me', () => ({ by: 'static' }))
        .get('/teams/all', () => ({ by: 'static' }))
        .get('/teams/:id', (_req, _res, { params }) => ({ by: 'param', id: params.id })),
    );
    expect(JSON.parse((await send('GET', '/users/me')).body)).toEqual({ by: 'param', id: 'me' });
    expect(JSON.parse((await send('GET', '/teams/all')).body)).toEqual({ by: 'static' });
    expect(JSON.parse((await send('GET', '/teams/a%20b')).body)).toEqual({ by: 'param', id: 'a b' });
  });

  it('gives a static route no parameters, and leaves a method it lacks to a later route', async () => {
    const send = await serve(
      createRouter()
        .get('/items/new', (_req, _res, { params }) => ({ by: 'static', params }))
        .post('/items/:id', (_req, _res, { params }) => ({ by: 'param', id: params.id })),
    );
    expect(JSON.parse((await send('GET', '/items/new')).body)).toEqual({ by: 'static', params: {} });
    expect(JSON.parse((await send('POST', '/items/new')).body)).toEqual({ by: 'param', id: 'new' });
    const refused = await send('DELETE', '/items/new');
    expect(refused.status).toBe(405);
    expect(refused.allow?.split(/,\s*/).sort()).toEqual(['GET', 'HEAD', 'OPTIONS', 'POST']);
  });

  it('answers HEAD with the GET route, and matches paths exactly: a trailing slash or an encoded letter is 404', async () => {
    let runs = 0;
    const send = await serve(
      createRouter().get('/limited', () => {
        runs++;
        return { ok: true };
      }),
    );
    expect((await send('HEAD', '/limited')).status).toBe(200);
    expect((await send('GET', '/limited?x=1')).status).toBe(200);
    expect(runs).toBe(2);
    expect((await send('GET', '/limited/')).status).toBe(404);
    expect((await send('GET', '/lim%69ted')).status).toBe(404);
    expect((await send('GET', '//limited')).status).toBe(404);
    expect(runs).toBe(2);
  });

  it("answers a handler's synchronous throw through the wrapper, and rethrows it to a wrapper of the user's", async () => {
    const catalog = defineErrors({});
    const router = createRouter().get('/limited', () => {
      throw catalog.create('RATE_LIMITED', undefined, { headers: { 'retry-after': '7' } });
    });
    const send = await serve(router);
    for (let i = 0; i < 3; i++) {
      const answered = await send('GET', '/limited');
      expect(answered.status).toBe(429);
      expect(JSON.parse(answered.body)).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    }
    // Without the wrapper, the router's own `handle` lets the throw reach its caller.
    const caught: unknown[] = [];
    const server = createServer((req, res) => {
      try {
        router.handle(req, res);
      } catch (thrown) {
        caught.push(thrown);
        res.writeHead(503).end();
      }
    });
    servers.push(server);
    const url = await listen(server);
    expect((await fetch(`${url}/limited`)).status).toBe(503);
    expect(catalog.is(caught[0], 'RATE_LIMITED')).toBe(true);
  });
});
