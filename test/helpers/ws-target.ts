// A WebSocket endpoint in a process of its own, for attacks that may crash it: the parent watches it
// live or die. argv[2] names a preset. It prints `{"port":…}` once listening, then answers each `stats`
// line on stdin with one JSON line: frames and bytes handed to `ws`, open connections, the largest send
// buffer seen, and memory after a collection; `release` lets the `stalled` preset's store answer.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { defineErrors, wsDefinitions } from 'faultline';
import type { Guard } from 'faultline/guards';
import type { RequestView } from 'faultline/server';
import { createWsErrors, type WsErrorsOptions } from 'faultline/ws';
import { WebSocket, WebSocketServer } from 'ws';
import { fuzzLimits } from './ws-process.js';

const catalog = defineErrors({
  ...wsDefinitions,
  SESSION_ENDED: { status: 410, message: 'The session has ended.', ws: { close: 4410, endsSession: true } },
  AGENT_BUSY: { status: 503, message: 'Try again in a moment.' },
});

// The limit key is the `key` of the query, so that each test has a budget of its own.
const byQueryKey = (request: RequestView) => ({
  key: new URL(request.url ?? '/', 'http://x').searchParams.get('key') ?? undefined,
});

// Verdicts waiting for `release`: after it, every check answers at once.
let waiting: (() => void)[] | undefined = [];
const stalledStore: Guard = {
  kind: 'stalled',
  check: () =>
    new Promise<undefined>((resolve) => {
      if (waiting) waiting.push(() => resolve(undefined));
      else resolve(undefined);
    }),
};

const kilobyte = JSON.stringify({ type: 'fill', data: 'x'.repeat(1000) });

const presets: Record<string, () => WsErrorsOptions<unknown>> = {
  // createWsErrors as a user first writes it: no option at all (the log off, to keep the test quiet).
  default: () => ({ errors: { catalog, logger: false } }),
  // The same with the budget of error events turned off: only the send bounds stand behind a flood.
  unbudgeted: () => ({ errors: { catalog, logger: false }, limits: { errorEvents: 'off' } }),
  // A budget of 20 messages, the rest dropped; it refills one every 3 s, so a burst of a few seconds
  // meets it whatever the speed of the machine.
  rated: () => ({
    errors: { catalog, logger: false },
    authenticate: byQueryKey,
    limits: { heartbeat: false, rate: { limit: 20, window: 60_000, over: 'drop' } },
  }),
  // The same budget, every message over it answered with an event.
  'rated-event': () => ({
    errors: { catalog, logger: false },
    authenticate: byQueryKey,
    limits: { heartbeat: false, rate: { limit: 20, window: 60_000, over: 'event' } },
  }),
  fuzz: () => {
    const open = fuzzOpen();
    return { ...open, limits: { ...open.limits, rate: { limit: 200, over: 'event', closeAfter: 400 } } };
  },
  // A rate whose store never answers until the parent says `release`: every verdict is pending.
  stalled: () => ({
    errors: { catalog, logger: false },
    authenticate: byQueryKey,
    on: { note: () => {} },
    limits: { heartbeat: false, rate: { guard: stalledStore, over: 'drop' } },
  }),
  // The fuzz endpoint with no message rate: the default budget of error events bounds the answers.
  'fuzz-open': () => fuzzOpen(),
  // No rate and no budget: only the send bounds stand between a flood and memory.
  'fuzz-off': () => {
    const open = fuzzOpen();
    return { ...open, limits: { ...open.limits, errorEvents: 'off' } };
  },
};

function fuzzOpen(): WsErrorsOptions<unknown> {
  return {
    errors: { catalog, logger: false },
    authenticate: byQueryKey,
    server: new WebSocketServer({ noServer: true, maxPayload: fuzzLimits.maxPayload }),
    messages: { maxBytes: fuzzLimits.maxBytes },
    on: {
      echo: (message, conn) => {
        conn.send(message);
      },
      // Up to 1 MiB of answers to one message, written while the TCP socket is corked: they stay in the
      // process as they would behind a full kernel buffer (loopback buffers take tens of MiB), so the
      // send bound is met at once.
      fill: (message: { kb?: unknown }, conn) => {
        const kb = Math.min(1024, Math.max(0, Math.trunc(Number(message.kb) || 0)));
        const tcp = (conn.socket as unknown as { _socket: import('node:net').Socket })._socket;
        tcp.cork();
        try {
          for (let i = 0; i < kb && conn.send(kilobyte); i++);
        } finally {
          tcp.uncork();
        }
      },
      // Holds everything sent for 100 ms in the process, as a kernel buffer already full would: what
      // follows meets the send bounds without tens of MiB of traffic first.
      freeze: (_message, conn) => {
        const tcp = (conn.socket as unknown as { _socket: import('node:net').Socket })._socket;
        tcp.cork();
        setTimeout(() => tcp.uncork(), 100).unref();
      },
      busy: () => {
        throw catalog.create('AGENT_BUSY');
      },
      end: () => {
        throw catalog.create('SESSION_ENDED');
      },
      crash: () => {
        throw new Error('handler failure');
      },
    },
    limits: { heartbeat: false, backpressure: { maxBufferedBytes: fuzzLimits.maxBuffered } },
  };
}

const preset = presets[process.argv[2] ?? 'default'];
if (preset === undefined) throw new Error(`no preset ${process.argv[2]}`);
const endpoint = createWsErrors(preset());

let frames = 0;
let bytes = 0;
const send = WebSocket.prototype.send;
WebSocket.prototype.send = function (this: WebSocket, data: any, ...rest: any[]) {
  if (this.readyState === WebSocket.OPEN) {
    frames++;
    bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  }
  return (send as any).call(this, data, ...rest);
} as typeof send;

let maxBuffered = 0;
setInterval(() => {
  for (const conn of endpoint.connections) {
    maxBuffered = Math.max(maxBuffered, conn.socket.bufferedAmount);
  }
}, 2).unref();

const server = createServer((_req, res) => {
  res.statusCode = 426;
  res.end();
});
server.on('upgrade', endpoint.upgrade);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'release') {
    const released = waiting ?? [];
    waiting = undefined;
    for (const resolve of released) resolve();
    process.stdout.write(`${JSON.stringify({ released: released.length })}\n`);
    return;
  }
  if (line.trim() !== 'stats') return;
  (globalThis as { gc?: () => void }).gc?.();
  const memory = process.memoryUsage();
  const stats = {
    frames,
    bytes,
    connections: endpoint.connections.size,
    maxBuffered,
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    external: memory.external + memory.arrayBuffers,
  };
  process.stdout.write(`${JSON.stringify(stats)}\n`);
});
// The parent's end of stdin closing means the test is over.
process.stdin.once('end', () => process.exit(0));
