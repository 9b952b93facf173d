import { request as httpRequest, type Server } from 'node:http';
import { connect } from 'node:net';
import { defineErrors } from 'faultline';
import { idempotency } from 'faultline/guards';
import { memoryStore } from 'faultline/stores';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapters } from '../helpers/adapters.js';
import { close, listen } from '../helpers/http.js';

// Attack: a handler writes the head and part of its answer by hand (a stream, a long poll), then fails.
// Too late for an error answer, the layer cuts the connection. That cut is the answer failing, not the
// client leaving: the failure is logged, and the idempotency key is freed for the retry, as after a 5xx,
// where it stayed "in flight" until the lock's TTL and every retry got 409.
const catalog = defineErrors({});

/** Sends one keyed POST; resolves with the status, or 'cut' when the connection ended mid-answer. */
function post(base: string, key: string): Promise<number | 'cut'> {
  return new Promise((resolve) => {
    const body = '{"item":1}';
    const req = httpRequest(
      `${base}/orders`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key, connection: 'close' },
        timeout: 5_000,
      },
      (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve(res.complete ? res.statusCode! : 'cut'));
        res.on('error', () => resolve('cut'));
        res.on('aborted', () => resolve('cut'));
      },
    );
    req.on('error', () => resolve('cut'));
    req.on('timeout', () => req.destroy());
    req.end(body);
  });
}

const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

// Hono's handlers answer with a Response, never by writing a node response by hand.
const writers = adapters.filter((adapter) => adapter.name !== 'hono');

describe.each(writers.map((a) => [a.name, a] as const))(
  'an answer cut after it began on %s',
  (_name, adapter) => {
    let base = '';
    let runs = 0;
    const logged: unknown[] = [];
    beforeAll(async () => {
      const server = await adapter.build({
        options: { catalog, logger: { error: (record) => logged.push(record) } },
        routes: [
          {
            method: 'POST',
            path: '/orders',
            json: true,
            guards: [idempotency({ store: memoryStore(), tenant: () => 't', lockTtl: '1m' })],
            handle({ res }) {
              runs++;
              res!.writeHead(201, { 'content-type': 'application/json' });
              res!.write('{"order":');
              throw new Error('the database went away mid-answer');
            },
          },
        ],
      });
      servers.push(server);
      base = await listen(server);
    });

    it('frees the idempotency key, so that the retry runs again, and logs each failure', async () => {
      expect(await post(base, 'order-42')).toBe('cut');
      expect(runs).toBe(1);
      // The retry runs the handler again: no 409 IDEMPOTENCY_IN_FLIGHT for a request nothing is running.
      expect(await post(base, 'order-42')).toBe('cut');
      expect(runs).toBe(2);
      expect(logged).toHaveLength(2);
      expect(logged[0]).toMatchObject({ status: 500 });
    });
  },
);

// The other side of the same line: a client that resets its connection while its handler runs has not
// made the answer fail. Koa hands that reset to its error path, which must leave the key in flight.
describe.each(writers.map((a) => [a.name, a] as const))(
  'a client reset mid-handler on %s',
  (_name, adapter) => {
    let base = '';
    let runs = 0;
    let entered: () => void = () => {};
    let closed: () => void = () => {};
    let release: () => void = () => {};
    beforeAll(async () => {
      const server = await adapter.build({
        options: { catalog, logger: false },
        routes: [
          {
            method: 'POST',
            path: '/orders',
            json: true,
            guards: [idempotency({ store: memoryStore(), tenant: () => 't', lockTtl: '1m' })],
            async handle({ res }) {
              runs++;
              res!.once('close', () => closed());
              entered();
              await new Promise<void>((resolve) => {
                release = resolve;
              });
              return { status: 201, body: { order: runs } };
            },
          },
        ],
      });
      servers.push(server);
      base = await listen(server);
    });

    it('keeps the key in flight: the retry gets 409, and the handler runs once', async () => {
      const started = new Promise<void>((resolve) => {
        entered = resolve;
      });
      const gone = new Promise<void>((resolve) => {
        closed = resolve;
      });
      const { port } = new URL(base);
      const socket = connect(Number(port), '127.0.0.1');
      socket.on('error', () => {});
      const body = '{"item":1}';
      socket.write(
        `POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nIdempotency-Key: reset-1\r\n` +
          `Content-Length: ${body.length}\r\n\r\n${body}`,
      );
      await started;
      socket.resetAndDestroy();
      await gone;
      const retry = await fetch(`${base}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'reset-1' },
        body,
        signal: AbortSignal.timeout(5_000),
      });
      await retry.arrayBuffer();
      expect(retry.status).toBe(409);
      release();
      expect(runs).toBe(1);
    });
  },
);
