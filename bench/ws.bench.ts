// WebSocket benchmarks, each in one run, as ratios: error-event serialization against `JSON.stringify` of the
// same event, messages per second through the endpoint (parse, type, rate-limit guard, handler) against a raw
// `ws` echo, and the per-message cost of the rate-limit guard. Cases alternate in interleaved rounds and the
// medians are compared, because a shared machine drifts between runs.
// Run alone, against the built dist/ as `npm run bench` runs it (the source through tsx pays its helpers per
// call): npm run build && TSX_TSCONFIG_PATH=bench/tsconfig.dist.json node --import tsx bench/ws.bench.ts
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { defineErrors, wsDefinitions } from 'faultline';
import { checkMessage, rateLimit } from 'faultline/guards';
import { memoryStore } from 'faultline/stores';
import { createWsErrors, wsEvent } from 'faultline/ws';
import { WebSocketServer } from 'ws';
import { consume } from './harness.js';

const catalog = defineErrors({
  ...wsDefinitions,
  AGENT_BUSY: { status: 503, message: 'Our system is experiencing high load.' },
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Ops per second of each case: `rounds` interleaved rounds of `n` calls, the order alternating. */
function interleaved(cases: Record<string, () => void>, n: number, rounds: number): Map<string, number> {
  const names = Object.keys(cases);
  const seen = new Map<string, number[]>(names.map((name) => [name, []]));
  for (const name of names) for (let i = 0; i < n / 10; i++) cases[name]!();
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? [...names].reverse() : names;
    for (const name of order) {
      const fn = cases[name]!;
      const start = performance.now();
      for (let i = 0; i < n; i++) fn();
      seen.get(name)!.push(n / ((performance.now() - start) / 1000));
    }
  }
  return new Map(names.map((name) => [name, median(seen.get(name)!)]));
}

function table(title: string, results: Map<string, number>, baseline: string, unit = 'ops/s'): void {
  const base = results.get(baseline)!;
  console.log(`\n## ${title}\n\n| case | ${unit} (median) | ratio |\n| --- | ---: | ---: |`);
  for (const [name, value] of results) {
    console.log(`| ${name} | ${Math.round(value).toLocaleString('en-US')} | ${(value / base).toFixed(2)}× |`);
  }
}

function serialization(): void {
  const error = catalog.create('AGENT_BUSY', undefined, {
    correlationId: '8f14e45f-ceea-467f-a8f5-1a2b3c4d5e6f',
  });
  let n = 0;
  // What a hand-written server does per error event: build the object, then stringify it.
  const stringify = () =>
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
    );
  // What faultline/ws does per error event: the view of the error and the event, then the compiled serializer.
  const compiled = () =>
    consume(
      wsEvent.serialize({
        code: error.code,
        status: error.status,
        message: error.message,
        id: error.id,
        category: error.category,
        retryable: error.retryable,
        details: error.details,
        fieldErrors: error.fieldErrors,
        correlationId: error.correlationId,
        type: error.type,
        eventId: `evt_${++n}`,
        timestamp: Date.now(),
        replyTo: 'c1',
        event: undefined,
        retryAfter: undefined,
      } as never),
    );
  const results = interleaved(
    { 'JSON.stringify (same event)': stringify, 'wsEvent.serialize': compiled },
    200_000,
    9,
  );
  table('Error event serialization', results, 'JSON.stringify (same event)');
}

function limiterCost(): void {
  const store = memoryStore();
  const input = { interval: 1e-6, tolerance: 1e12, cost: 1 };
  // 1 000 sessions; the endpoint keys by session, here the url stands for it.
  const views = Array.from({ length: 1000 }, (_, i) => ({ method: 'GET', url: `s${i}`, headers: {} }));
  const guard = rateLimit({
    key: (r) => r.url,
    limit: 1_000_000_000,
    period: 1000,
    headers: false,
    store: memoryStore(),
  });
  let k = 0;
  const results = interleaved(
    {
      'store.rate alone (GCRA decision)': () => consume(store.rate(views[++k % 1000]!.url, input)),
      'checkMessage([rateLimit])': () => consume(checkMessage([guard], views[++k % 1000]!)),
    },
    200_000,
    9,
  );
  table(
    'Rate-limit guard per message, 1 000 sessions on a memoryStore',
    results,
    'store.rate alone (GCRA decision)',
  );
  console.log(
    `\nper message: ${(1e9 / results.get('checkMessage([rateLimit])')!).toFixed(0)} ns through checkMessage + rateLimit`,
  );
}

// The load generator runs in a worker thread, so the server's own work is what is measured.
const loadSource = `
const { parentPort, workerData } = require('node:worker_threads');
const WebSocket = require(workerData.ws);
parentPort.on('message', async ({ port, messages, connections, window }) => {
  const payload = JSON.stringify({ type: 'echo', text: 'hello', id: 'c1' });
  const sockets = await Promise.all(Array.from({ length: connections }, () => new Promise((resolve, reject) => {
    const socket = new WebSocket('ws://127.0.0.1:' + port + '/?s=1');
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  })));
  const per = Math.floor(messages / connections);
  const start = performance.now();
  await Promise.all(sockets.map((socket) => new Promise((resolve) => {
    let received = 0;
    socket.on('message', () => {
      if (++received === per) resolve();
      else if (received + window <= per) socket.send(payload);
    });
    for (let i = 0; i < Math.min(window, per); i++) socket.send(payload);
  })));
  const seconds = (performance.now() - start) / 1000;
  for (const socket of sockets) socket.close();
  parentPort.postMessage((per * connections) / seconds);
});
`;

async function throughput(): Promise<void> {
  const raw = new WebSocketServer({ port: 0, host: '127.0.0.1', maxPayload: 1024 * 1024 });
  raw.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (data) => ws.send(JSON.stringify(JSON.parse(data.toString()))));
  });
  await new Promise((r) => raw.once('listening', r));
  const endpoint = createWsErrors({
    errors: { catalog },
    authenticate: () => ({ key: 's1' }),
    limits: {
      rate: { limit: 1_000_000_000, window: 1000, store: memoryStore() },
      connections: { max: 100 },
    },
    on: { echo: (m: unknown, conn) => conn.send(JSON.stringify(m)) },
  });
  const server = createServer();
  server.on('upgrade', endpoint.upgrade);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const ports = {
    'raw ws echo (JSON.parse + stringify)': (raw.address() as AddressInfo).port,
    'createWsErrors: parse, type, rate-limit guard, handler': (server.address() as AddressInfo).port,
  };
  const worker = new Worker(loadSource, {
    eval: true,
    workerData: { ws: createRequire(import.meta.url).resolve('ws') },
  });
  const run = (port: number, messages: number) =>
    new Promise<number>((resolve) => {
      worker.once('message', resolve);
      worker.postMessage({ port, messages, connections: 4, window: 32 });
    });
  const names = Object.keys(ports) as (keyof typeof ports)[];
  for (const name of names) await run(ports[name], 20_000);
  const seen = new Map<string, number[]>(names.map((name) => [name, []]));
  const ratios: number[] = [];
  const rounds = 9;
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? [...names].reverse() : names;
    for (const name of order) seen.get(name)!.push(await run(ports[name], 60_000));
    // Each round's pair ran back to back: their ratio is less exposed to the machine's drift than the medians.
    ratios.push(seen.get(names[1]!)![round]! / seen.get(names[0]!)![round]!);
  }
  const results = new Map(names.map((name) => [name, median(seen.get(name)!)]));
  table(
    `Messages per second, 4 connections × 32 in flight, load from a worker thread (median of ${rounds} rounds)`,
    results,
    names[0]!,
    'msg/s',
  );
  const sorted = [...ratios].sort((x, y) => x - y);
  console.log(
    `\nper-round ratio guarded / raw: median ${median(ratios).toFixed(2)}× (range ${sorted[0]!.toFixed(2)}–${sorted[sorted.length - 1]!.toFixed(2)})`,
  );
  await worker.terminate();
  await endpoint.close({ timeout: 100 });
  server.close();
  raw.close();
}

export async function benchWs(): Promise<void> {
  serialization();
  limiterCost();
  await throughput();
}

if (import.meta.url === `file://${process.argv[1]}`) await benchWs();
