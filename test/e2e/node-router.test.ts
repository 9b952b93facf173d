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

describe('createRouter: request targets', () => {
  /** One raw request on its own connection: the status line and body of its answer. */
  async function raw(port: number, head: string) {
    const { connect } = await import('node:net');
    return new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.end(`${head}\r\nConnection: close\r\n\r\n`));
      let text = '';
      socket.setEncoding('latin1');
      socket.setTimeout(5000, () => socket.destroy(new Error('no answer')));
      socket.on('data', (chunk: string) => {
        text += chunk;
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
  }

  it('routes the absolute form by its path and query (RFC 9112 §3.2.2), and answers * and the authority form 404', async () => {
    const errors = createNodeErrors({ catalog: defineErrors({}), onError: false });
    const router = createRouter()
      .get('/items/:id', (_req, _res, { params, url }) => ({ id: params.id, q: url.searchParams.get('q') }))
      .get('/', (_req, _res, { url }) => ({ root: true, q: url.searchParams.get('q') }));
    const server = createServer(errors(router.handle));
    servers.push(server);
    const port = Number(new URL(await listen(server)).port);
    const host = `Host: 127.0.0.1:${port}`;
    const item = await raw(port, `GET http://127.0.0.1:${port}/items/7?q=a HTTP/1.1\r\n${host}`);
    expect(item).toMatch(/^HTTP\/1\.1 200/);
    expect(JSON.parse(item.slice(item.indexOf('\r\n\r\n') + 4))).toEqual({ id: '7', q: 'a' });
    // No path: the target is `/` and the query that follows the authority.
    const root = await raw(port, `GET http://127.0.0.1:${port}?q=b HTTP/1.1\r\n${host}`);
    expect(JSON.parse(root.slice(root.indexOf('\r\n\r\n') + 4))).toEqual({ root: true, q: 'b' });
    expect(await raw(port, `OPTIONS * HTTP/1.1\r\n${host}`)).toMatch(/^HTTP\/1\.1 404/);
    expect(await raw(port, `GET 127.0.0.1:${port} HTTP/1.1\r\n${host}`)).toMatch(/^HTTP\/1\.1 (400|404)/);
  });
});
