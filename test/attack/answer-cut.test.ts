import { request as httpRequest, type Server } from 'node:http';
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
