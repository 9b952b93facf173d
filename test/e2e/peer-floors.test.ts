import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawUpgrade, upgradeHead, watch } from './ws-helpers.js';

/**
 * The lowest version of each peer range in package.json, installed from the registry beside the packed
 * tarball in a project of its own: what a user pinned to the floor runs. `@hono/node-server` is not a
 * peer; 1.x is the line that serves Hono 4 from its first minor (2.x imports `hono/ws`).
 */
const floors = {
  express: '5.0.0',
  fastify: '5.0.0',
  hono: '4.2.0',
  koa: '3.0.0',
  ws: '8.21.0',
  '@hono/node-server': '1.19.19',
} as const;

const root = resolve(import.meta.dirname, '../..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  peerDependencies: Record<string, string>;
};
const work = mkdtempSync(join(tmpdir(), 'faultline-floors-'));
const project = join(work, 'project');
let child: ChildProcess | undefined;
afterAll(() => {
  if (child?.pid !== undefined && child.exitCode === null) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

// The apps, as a user of the installed package writes them: plain JavaScript, the package's public
// subpaths, the frameworks at their floors. Hono is served twice: on @hono/node-server, and in process
// through `app.request()` (the Web Request path of Deno, Bun and Workers), whose answers the child reports.
const apps = String.raw`
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { defineErrors, wsDefinitions } from 'faultline';
import { createExpressErrors } from 'faultline/express';
import { createFastifyErrors } from 'faultline/fastify';
import { createHonoErrors } from 'faultline/hono';
import { createKoaErrors } from 'faultline/koa';
import { createWsErrors } from 'faultline/ws';
import { Hono } from 'hono';
import Koa from 'koa';
import { WebSocketServer } from 'ws';

const catalog = defineErrors({
  ...wsDefinitions,
  INVALID_EVENT: { status: 400, message: 'Invalid event', roles: ['messageMalformed', 'messageTypeUnknown'] },
  ROOM_FULL: { status: 409, message: 'The room is full.' },
});
const full = () => { throw catalog.create('ROOM_FULL'); };
const limit = '1kb';
const listen = (server) => new Promise((done) => server.listen(0, '127.0.0.1', () => done(server.address().port)));

const ex = createExpressErrors({ catalog, logger: false });
const eapp = express();
eapp.post('/echo', ex.json({ limit }), (req, res) => { res.json(req.body); });
eapp.get('/full', full);
eapp.use(ex.notFound);
eapp.use(ex.handler);
const expressPort = await listen(createServer(eapp).on('clientError', ex.clientError));

const fapp = Fastify({ bodyLimit: 1024 });
await fapp.register(createFastifyErrors({ catalog, logger: false }));
fapp.post('/echo', async (request) => request.body);
fapp.get('/full', async () => full());
await fapp.ready();
const fastifyPort = await listen(fapp.server);

const hx = createHonoErrors({ catalog, logger: false });
const happ = new Hono();
hx.install(happ);
happ.post('/echo', hx.json({ limit }), async (c) => c.json(await c.req.json()));
happ.get('/full', full);
const honoServer = serve({ fetch: happ.fetch, port: 0, hostname: '127.0.0.1' });
await new Promise((done) => honoServer.once('listening', done));
honoServer.on('clientError', hx.clientError);

// Koa has no router: a bodyless 405 with Allow is what a router answers, and faultline's middleware
// answers it in the catalog.
const kx = createKoaErrors({ catalog, logger: false });
const kapp = new Koa();
kapp.use(kx.middleware);
const kjson = kx.json({ limit });
kapp.use(async (ctx, next) => {
  if (ctx.path === '/echo') {
    if (ctx.method !== 'POST') {
      ctx.set('allow', 'POST');
      ctx.status = 405;
      return;
    }
    return kjson(ctx, async () => {
      ctx.body = ctx.request.body;
    });
  }
  if (ctx.path === '/full') return full();
  return next();
});
const koaPort = await listen(createServer(kapp.callback()).on('clientError', kx.clientError));

const wsErrors = createWsErrors({
  errors: { catalog, logger: false },
  path: '/ws',
  messages: { maxBytes: 100 },
  server: new WebSocketServer({ noServer: true, maxPayload: 1000 }),
  on: { ping: (_m, conn) => conn.send({ type: 'pong' }), full },
});
const wsServer = createServer((_req, res) => { res.statusCode = 426; res.end(); });
wsServer.on('upgrade', wsErrors.upgrade);
const wsPort = await listen(wsServer);

const web = {};
for (const c of JSON.parse(readFileSync('cases.json', 'utf8'))) {
  const response = await happ.request(c.path, c.init);
  web[c.name] = { status: response.status, allow: response.headers.get('allow'), text: await response.text() };
}
const versions = {};
for (const name of ['express', 'fastify', 'hono', 'koa', 'ws', '@hono/node-server'])
  versions[name] = JSON.parse(readFileSync('node_modules/' + name + '/package.json', 'utf8')).version;
const ports = { express: expressPort, fastify: fastifyPort, hono: honoServer.address().port, koa: koaPort, ws: wsPort };
process.stdout.write(JSON.stringify({ ports, versions, web }) + '\n');
`;

interface Case {
  name: string;
  path: string;
  init: { method?: string; headers?: Record<string, string>; body?: string };
  status: number;
  code?: string;
  allow?: string;
  body?: unknown;
}

const json = (body: string) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body });
const cases: Case[] = [
  { name: 'an unknown route: 404', path: '/no/such/route', init: {}, status: 404, code: 'NOT_FOUND' },
  {
    name: 'a wrong method: 405 and Allow',
    path: '/echo',
    init: { method: 'DELETE' },
    status: 405,
    code: 'METHOD_NOT_ALLOWED',
    allow: 'POST, OPTIONS',
  },
  { name: 'malformed JSON: 400', path: '/echo', init: json('{"a":'), status: 400, code: 'MALFORMED_JSON' },
  { name: 'a JSON POST: 200', path: '/echo', init: json('{"a":1}'), status: 200, body: { a: 1 } },
  {
    name: 'a body over the limit: 413',
    path: '/echo',
    init: json(`{"a":"${'a'.repeat(3000)}"}`),
    status: 413,
    code: 'BODY_TOO_LARGE',
  },
  { name: 'a thrown catalog error: 409', path: '/full', init: {}, status: 409, code: 'ROOM_FULL' },
];

interface Answer {
  status: number;
  allow: string | null;
  text: string;
}

function check(answer: Answer | undefined, c: Case): void {
  expect(answer, c.name).toBeDefined();
  const body = JSON.parse(answer!.text) as Record<string, unknown>;
  expect(answer!.status, answer!.text).toBe(c.status);
  if (c.code !== undefined) expect(body.code).toBe(c.code);
  if (c.allow !== undefined) expect(answer!.allow).toBe(c.allow);
  if (c.body !== undefined) expect(body).toEqual(c.body);
}

/** Runs npm in the project; a failure (no registry, a timeout) throws with npm's last words. */
function run(command: string, args: string[], timeout: number): void {
  try {
    execFileSync(command, args, {
      cwd: project,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout,
    });
  } catch (error) {
    const { stderr, code } = error as { stderr?: string; code?: string };
    const tail = String(stderr ?? '')
      .trim()
      .split('\n')
      .slice(-5)
      .join('\n');
    throw new Error(`${command} ${args[0]} of the peer floors failed (${code ?? 'exit'}): ${tail}`);
  }
}

let started: { ports: Record<string, number>; versions: Record<string, string>; web: Record<string, Answer> };

// No registry, no test: a failed install fails the suite rather than skip it.
beforeAll(async () => {
  const tarball = execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', work], {
    cwd: root,
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .pop()!;
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'floors', type: 'module', private: true }),
  );
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--save-exact',
      '--fetch-retries=1',
      '--fetch-timeout=30000',
      '--fetch-retry-maxtimeout=10000',
      join(work, tarball),
      ...Object.entries(floors).map(([name, version]) => `${name}@${version}`),
    ],
    150_000,
  );
  writeFileSync(join(project, 'apps.mjs'), apps);
  writeFileSync(join(project, 'cases.json'), JSON.stringify(cases));
  const spawned = spawn(process.execPath, ['apps.mjs'], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
  child = spawned;
  started = await new Promise((done, fail) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new Error(`the apps did not start within 20 s: ${err}`)), 20_000);
    spawned.stderr!.on('data', (d) => (err += d));
    spawned.stdout!.on('data', (d) => {
      out += d;
      if (!out.includes('\n')) return;
      clearTimeout(timer);
      done(JSON.parse(out.slice(0, out.indexOf('\n'))));
    });
    spawned.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`the apps exited with ${code}: ${err}`));
    });
  });
}, 240_000);

describe('the peer floors of package.json', () => {
  it.each(Object.entries(floors).filter(([name]) => name in manifest.peerDependencies))(
    '%s %s is the lowest version the peer range admits, and the one installed',
    (name, version) => {
      const range = manifest.peerDependencies[name]!;
      expect(range).toBe(`^${version}`);
      expect(started.versions[name]).toBe(version);
    },
  );
});

describe.each(['express', 'fastify', 'hono', 'koa'])(
  '%s at its floor, through the packed package',
  (name) => {
    it.each(cases.map((c) => [c.name, c] as const))('answers %s', async (_, c) => {
      const response = await fetch(`http://127.0.0.1:${started.ports[name]}${c.path}`, {
        ...c.init,
        signal: AbortSignal.timeout(10_000),
      });
      check(
        { status: response.status, allow: response.headers.get('allow'), text: await response.text() },
        c,
      );
    });
  },
);

describe(`hono ${floors.hono} in process (app.request, the Web runtimes' path)`, () => {
  it.each(cases.map((c) => [c.name, c] as const))('answers %s', (_, c) => {
    check(started.web[c.name], c);
  });
});

describe(`ws ${floors.ws} at its floor, through faultline/ws`, () => {
  const url = () => `ws://127.0.0.1:${started.ports.ws}`;

  it('answers an upgrade to an unknown path with 404', async () => {
    const raw = await rawUpgrade(started.ports.ws!, upgradeHead('/elsewhere'));
    expect(raw).toMatch(/^HTTP\/1\.1 404 /);
    expect(raw).toContain('"NOT_FOUND"');
  });

  it('answers an upgrade with the wrong method with 405 and Allow: GET', async () => {
    const raw = await rawUpgrade(started.ports.ws!, upgradeHead('/ws').replace('GET', 'POST'));
    expect(raw).toMatch(/^HTTP\/1\.1 405 /);
    expect(raw).toMatch(/\r\nallow: GET\r\n/i);
  });

  it('answers malformed JSON, an oversized message and a thrown catalog error with events, then a message', async () => {
    const client = watch(`${url()}/ws`);
    await client.opened;
    client.socket.send('{"type":');
    expect(await client.next()).toMatchObject({ error: { code: 'INVALID_EVENT', status: 400 } });
    client.socket.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(200) }));
    expect(await client.next()).toMatchObject({ error: { code: 'MESSAGE_TOO_LARGE', status: 413 } });
    client.socket.send(JSON.stringify({ type: 'full' }));
    expect(await client.next()).toMatchObject({ error: { code: 'ROOM_FULL', status: 409 } });
    client.socket.send(JSON.stringify({ type: 'ping' }));
    expect(await client.next()).toEqual({ type: 'pong' });
    client.socket.send('x'.repeat(2000));
    expect((await client.closed).code).toBe(1009);
  });
});
