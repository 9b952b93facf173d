import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { defineErrors } from 'faultline';
import { concurrency, type Guard } from 'faultline/guards';
import { createNodeErrors, createRouter, guard } from 'faultline/node';
import { memoryStore } from 'faultline/stores';
import { afterAll, describe, expect, it } from 'vitest';
import { adapters } from '../helpers/adapters.js';
import { close, listen } from '../helpers/http.js';

// Attack: a concurrency limit bounds the handlers that run at once. A caller who sends a request and hangs
// up while its handler runs must not free the slot: eight such callers would run eight slow handlers under
// a limit of two. The adapters that see a handler end (node's `guard()`, Koa, Hono) hold the lease until
// it does; Express middleware and Fastify hooks cannot see it, and give it back when the socket closes.
const catalog = defineErrors({});
const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

const seeing = adapters.filter((a) => a.name === 'node' || a.name === 'koa' || a.name === 'hono');

/** Resolves when `check` holds, polled every 10 ms for at most 5 s; rejects past that. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Sends `count` pipelined GETs on a fresh socket; resolves with the socket once `ready` holds or an answer
 * arrives.
 */
function send(url: string, ready: () => boolean, count = 1): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write('GET /work HTTP/1.1\r\nhost: x\r\n\r\n'.repeat(count));
      until(() => ready() || answered, 'the handler or an answer').then(() => resolve(socket), reject);
    });
    let answered = false;
    socket.on('data', () => {
      answered = true;
    });
    socket.on('error', () => {});
  });
}

/** A promise the test settles: handlers wait on `gate` until `open()`. */
function gated(): { gate: Promise<void>; open: () => void } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { gate, open };
}

/** A server of one `/work` route behind `guards`, whose handler waits on `gate`, and counts what it sees. */
async function workServer(
  adapter: (typeof adapters)[number],
  guards: Guard[],
  gate: Promise<void>,
): Promise<{ url: string; seen: { running: number; most: number; started: number; closed: number } }> {
  const seen = { running: 0, most: 0, started: 0, closed: 0 };
  const server = await adapter.build({
    options: { catalog, logger: false },
    routes: [
      {
        method: 'GET',
        path: '/work',
        guards,
        async handle() {
          seen.started++;
          seen.running++;
          seen.most = Math.max(seen.most, seen.running);
          try {
            await gate;
          } finally {
            seen.running--;
          }
          return { body: { done: true } };
        },
      },
    ],
  });
  server.on('connection', (socket) => socket.on('close', () => seen.closed++));
  servers.push(server);
  return { url: await listen(server), seen };
}

describe.each(seeing.map((a) => [a.name, a] as const))('%s', (_name, adapter) => {
  it('eight callers who hang up while their handlers run start two handlers under a limit of two', async () => {
    const { gate, open } = gated();
    const store = memoryStore();
    const { url, seen } = await workServer(
      adapter,
      [concurrency({ store, key: () => 'one', limit: 2, ttl: '1m' })],
      gate,
    );
    for (let i = 0; i < 8; i++) {
      const before = seen.started;
      const socket = await send(url, () => seen.started > before);
      socket.destroy();
      // The server has seen this caller leave before the next one comes.
      await until(() => seen.closed === i + 1, 'the hang-up');
    }
    // Before: each hang-up gave its slot back, and all eight handlers ran at once.
    expect(seen.started).toBe(2);
    expect(seen.most).toBe(2);
    const refused = await fetch(`${url}/work`, { signal: AbortSignal.timeout(5_000) });
    expect(refused.status).toBe(429);
    expect((await refused.json()).code).toBe('CONCURRENCY_LIMITED');
    // The handlers end: their slots are free again.
    open();
    await until(() => seen.running === 0, 'the handlers to end');
    const admitted = await fetch(`${url}/work`, { signal: AbortSignal.timeout(5_000) });
    expect(admitted.status).toBe(200);
    store.close();
  });

  it('a handler that never ends after its caller hung up holds its slot for one ttl, not for ever', async () => {
    const store = memoryStore();
    const never = new Promise<void>(() => {});
    const { url, seen } = await workServer(
      adapter,
      [concurrency({ store, key: () => 'one', limit: 1, ttl: 300 })],
      never,
    );
    const socket = await send(url, () => seen.started === 1);
    socket.destroy();
    await until(() => seen.closed === 1, 'the hang-up');
    // Renewed for as long as the handler ran (Hono before), the slot would never come back.
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      const before = seen.started;
      const probe = await send(url, () => seen.started > before);
      probe.destroy();
      await until(() => seen.closed === i + 2, 'the probe to close');
      status = seen.started > before ? 200 : 429;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toBe(200);
    expect(seen.started).toBe(2);
    store.close();
  });

  it("a later guard's denial gives an earlier guard's lease back at once", async () => {
    const store = memoryStore();
    const deny: Guard = { kind: 'deny', check: () => catalog.create('FORBIDDEN') };
    const { url, seen } = await workServer(
      adapter,
      [concurrency({ store, key: () => 'one', limit: 1, ttl: '1m' }), deny],
      Promise.resolve(),
    );
    for (let i = 0; i < 5; i++) {
      const answer = await fetch(`${url}/work`, { signal: AbortSignal.timeout(5_000) });
      // Before a lease went back on the response: a 429 here would mean the first denial kept it.
      expect(answer.status).toBe(403);
      await answer.arrayBuffer();
    }
    expect(seen.started).toBe(0);
    store.close();
  });
});

// On every adapter: the response can be over before the guard takes its lease, or be one that node never
// finishes or closes (queued behind a pipelined one). Either way the slot comes back.
describe.each(adapters.map((a) => [a.name, a] as const))('%s', (_name, adapter) => {
  it('a caller who hangs up while an earlier guard awaits does not leave the slot taken for ever', async () => {
    const store = memoryStore();
    let entered = 0;
    let pass!: () => void;
    const passing = new Promise<void>((resolve) => {
      pass = resolve;
    });
    // Stands for a store or an auth lookup that answers after the client has gone.
    const slow: Guard = {
      kind: 'slow',
      async check() {
        entered++;
        await passing;
        return undefined;
      },
    };
    const { url, seen } = await workServer(
      adapter,
      [slow, concurrency({ store, key: () => 'one', limit: 1, ttl: '1m' })],
      Promise.resolve(),
    );
    const socket = await send(url, () => entered === 1);
    socket.destroy();
    await until(() => seen.closed === 1, 'the hang-up');
    pass();
    // Before: the lease was taken after the close, renewed for ever, and every later caller got 429.
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      const answer = await fetch(`${url}/work`, { signal: AbortSignal.timeout(5_000) });
      status = answer.status;
      await answer.arrayBuffer();
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status).toBe(200);
    store.close();
  });

  it('two pipelined requests whose caller hangs up give both slots back', async () => {
    const { gate, open } = gated();
    const store = memoryStore();
    const { url, seen } = await workServer(
      adapter,
      [concurrency({ store, key: () => 'one', limit: 2, ttl: '1m' })],
      gate,
    );
    const socket = await send(url, () => seen.started === 2, 2);
    socket.destroy();
    await until(() => seen.closed === 1, 'the hang-up');
    open();
    await until(() => seen.running === 0, 'the handlers to end');
    // Before: the queued response emitted neither 'finish' nor 'close', and its lease stayed: 200 then 429.
    let statuses: number[] = [];
    for (let i = 0; i < 50; i++) {
      const answers = await Promise.all(
        [0, 1].map(() => fetch(`${url}/work`, { signal: AbortSignal.timeout(5_000) })),
      );
      statuses = answers.map((answer) => answer.status);
      await Promise.all(answers.map((answer) => answer.arrayBuffer()));
      if (statuses.every((status) => status === 200)) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(statuses).toEqual([200, 200]);
    store.close();
  });
});

describe('node guard() and what a handler returns', () => {
  it('a thenable a guarded handler returns is adopted once: a lazy query runs once', async () => {
    let thens = 0;
    // A query builder that runs its query on every `then`, as ORMs' do.
    const query = {
      // biome-ignore lint/suspicious/noThenProperty: a thenable is what this test returns
      then(resolve: (value: unknown) => void) {
        thens++;
        resolve({ rows: thens });
      },
    };
    const store = memoryStore();
    const errors = createNodeErrors({ catalog, logger: false });
    const router = createRouter().get(
      '/work',
      guard(concurrency({ store, key: () => 'one', limit: 1 }))(() => query),
    );
    const server = createServer(errors(router.handle));
    servers.push(server);
    const url = await listen(server);
    const answer = await fetch(`${url}/work`, { signal: AbortSignal.timeout(5_000) });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ rows: 1 });
    expect(thens).toBe(1);
    store.close();
  });

  it('a thenable whose then throws frees the slot with its 500', async () => {
    const store = memoryStore();
    const errors = createNodeErrors({ catalog, logger: false });
    const broken = {
      // biome-ignore lint/suspicious/noThenProperty: a thenable is what this test returns
      then() {
        throw new Error('broken query');
      },
    };
    const router = createRouter().get(
      '/work',
      guard(concurrency({ store, key: () => 'one', limit: 1, ttl: '1m' }))(() => broken),
    );
    const server = createServer(errors(router.handle));
    servers.push(server);
    const url = await listen(server);
    for (let i = 0; i < 3; i++) {
      const answer = await fetch(`${url}/work`, { signal: AbortSignal.timeout(5_000) });
      // A 429 on the second would mean the first kept its lease.
      expect(answer.status).toBe(500);
      await answer.arrayBuffer();
    }
    store.close();
  });
});
