// WebSocket benchmarks: error-event serialization, messages per second through the endpoint against a raw
// `ws` echo, and the per-message cost of the rate limiter. Run alone: node --import tsx bench/ws.bench.ts
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defineErrors } from 'faultline';
import { memoryStore } from 'faultline/stores';
import { createWsErrors, wsDefinitions, wsEvent } from 'faultline/ws';
import WebSocket, { WebSocketServer } from 'ws';
import { consume, measure, report } from './harness.js';

const catalog = defineErrors({
  ...wsDefinitions,
  AGENT_BUSY: { status: 503, message: 'Our system is experiencing high load.' },
});

async function serialization(): Promise<void> {
  const error = catalog.create('AGENT_BUSY', undefined, {
    correlationId: '8f14e45f-ceea-467f-a8f5-1a2b3c4d5e6f',
  });
  let n = 0;
  const results = await measure([
    {
      name: 'JSON.stringify (same event)',
      fn: () =>
        consume(
          JSON.stringify({
            type: 'error',
            event_id: `evt_${++n}`,
            timestamp: new Date().toISOString(),
            error: {
              code: error.code,
              message: error.message,
              status: error.status,
              correlation_id: error.correlationId,
              reply_to: 'c1',
            },
          }),
        ),
    },
    {
      name: 'wsEvent.serialize',
      fn: () =>
        consume(
          wsEvent.serialize({
            code: error.code,
            status: error.status,
            message: error.message,
            category: error.category,
            retryable: error.retryable,
            correlationId: error.correlationId,
            eventId: `evt_${++n}`,
            timestamp: Date.now(),
            replyTo: 'c1',
          } as never),
        ),
    },
  ]);
  report('WebSocket error event serialization', results, 'JSON.stringify (same event)');
}

async function limiter(): Promise<void> {
  const store = memoryStore();
  const input = { interval: 1, tolerance: 1e12, cost: 1 };
  let k = 0;
  const results = await measure([
    { name: 'no limiter', fn: () => consume(++k) },
    { name: 'GCRA on memoryStore, 1 000 sessions', fn: () => consume(store.rate(`s${++k % 1000}`, input)) },
  ]);
  report('Rate limiter, per message', results, 'no limiter');
}

async function roundTrips(port: number, messages: number): Promise<number> {
  const client = new WebSocket(`ws://127.0.0.1:${port}/?s=1`);
  await new Promise((r) => client.once('open', r));
  const payload = JSON.stringify({ type: 'echo', text: 'hello' });
  const start = performance.now();
  let received = 0;
  const window = 64;
  await new Promise<void>((resolve) => {
    client.on('message', () => {
      if (++received === messages) resolve();
      else if (received + window <= messages) client.send(payload);
    });
    for (let i = 0; i < Math.min(window, messages); i++) client.send(payload);
  });
  const seconds = (performance.now() - start) / 1000;
  client.close();
  return messages / seconds;
}

async function throughput(): Promise<void> {
  const raw = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  raw.on('connection', (ws) =>
    ws.on('message', (data) => ws.send(JSON.stringify(JSON.parse(data.toString())))),
  );
  await new Promise((r) => raw.once('listening', r));
  const endpoint = createWsErrors({
    errors: { catalog },
    authenticate: () => ({ key: 's1' }),
    limits: { rate: { limit: 1e9, window: 1000, store: memoryStore() }, connections: { max: 100 } },
    on: { echo: (m: unknown, conn) => conn.send(JSON.stringify(m)) },
  });
  const server = createServer();
  server.on('upgrade', endpoint.upgrade);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const n = 50_000;
  const rawPort = (raw.address() as AddressInfo).port;
  const guardedPort = (server.address() as AddressInfo).port;
  await roundTrips(rawPort, 5_000);
  await roundTrips(guardedPort, 5_000);
  const results = new Map<string, number>();
  results.set('raw ws echo (JSON.parse + stringify)', 0);
  let rawBest = 0;
  let guardedBest = 0;
  for (let i = 0; i < 3; i++) {
    rawBest = Math.max(rawBest, await roundTrips(rawPort, n));
    guardedBest = Math.max(guardedBest, await roundTrips(guardedPort, n));
  }
  results.set('raw ws echo (JSON.parse + stringify)', rawBest);
  results.set('createWsErrors: parse, type, rate limit, handler', guardedBest);
  report(
    'Messages per second, one connection, 64 in flight',
    results,
    'raw ws echo (JSON.parse + stringify)',
  );
  await endpoint.close({ timeout: 100 });
  server.close();
  raw.close();
}

export async function benchWs(): Promise<void> {
  await serialization();
  await limiter();
  await throughput();
}

if (import.meta.url === `file://${process.argv[1]}`) await benchWs();
