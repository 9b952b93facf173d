/**
 * Seed 001: the messaging API of reference page 001 on node:http, with its WebSocket. HTTP errors are
 * message-only bodies; over the WebSocket an invalid event is answered with an `EVENT_TYPE_SYSTEM_MESSAGE`
 * at level `SYSTEM_MESSAGE_LEVEL_ERROR` and the connection stays open; terminal errors are followed by
 * `EVENT_TYPE_SESSION_END`.
 */
import { createServer, type Server } from 'node:http';
import { createNodeErrors } from 'faultline/node';
import type { WsErrors } from 'faultline/ws';
import { headTimeouts } from '../shared/head-timeouts.js';
import {
  type Clock,
  type LogSink,
  listen,
  logErrors,
  type Running,
  refuseConnect,
  stderrSink,
  systemClock,
} from '../shared/run.js';
import { Agent, Handoff } from './agent.js';
import { errors, format } from './catalog.js';
import { Messaging, type MessagingOptions } from './domain.js';
import { type HttpOptions, httpRoutes, ipLimit } from './http.js';
import { type Context, clientEvents, messagingSocket } from './socket.js';

/** Options of seed 001. */
export interface SeedOptions extends MessagingOptions, HttpOptions {
  clock?: Clock;
  log?: LogSink;
  /** The agent service. @default http://127.0.0.1:9 (nothing listens) */
  agentUrl?: string;
  /** The live-agent handoff provider. @default http://127.0.0.1:9 */
  handoffUrl?: string;
  /** WebSocket messages per second per session; more are dropped. @default 10 */
  messageRate?: number;
  /** Simultaneous WebSocket connections per session. @default 10 */
  connectionsPerSession?: number;
  /** Simultaneous WebSocket connections per connector on this instance. @default 200 */
  connectionsPerConnector?: number;
}

export interface Seed {
  readonly server: Server;
  readonly messaging: Messaging;
  readonly ws: WsErrors<Context>;
}

export function createSeed(options: SeedOptions = {}): Seed {
  const clock = options.clock ?? systemClock;
  const messaging = new Messaging(clock, options);
  const log = logErrors(options.log);
  const nodeErrors = createNodeErrors({ catalog: errors, format, onError: log });
  // One per-address budget for HTTP requests and WebSocket handshakes.
  const perIp = ipLimit(options);
  // A request node cannot parse (a bad request line, headers too large) gets the page's envelope too.
  const server = createServer(headTimeouts(), nodeErrors(httpRoutes(messaging, options, perIp)))
    .on('clientError', nodeErrors.clientError)
    .on('checkContinue', nodeErrors.checkContinue)
    .on('checkExpectation', nodeErrors.checkExpectation);
  refuseConnect(server, nodeErrors.clientError);
  const ws = messagingSocket({
    messaging,
    agent: new Agent(options.agentUrl ?? 'http://127.0.0.1:9'),
    handoff: new Handoff(options.handoffUrl ?? 'http://127.0.0.1:9'),
    handler: nodeErrors.handler,
    handshakeGuards: [perIp],
    warn: options.log ?? stderrSink,
    messageRate: options.messageRate,
    connectionsPerSession: options.connectionsPerSession,
    connectionsPerConnector: options.connectionsPerConnector,
    logError: ({ error, conn }) =>
      log({
        error,
        thrown: error,
        correlationId: conn?.correlationId ?? error.correlationId ?? '',
        request: conn?.request ?? {},
      }),
  });
  server.on('upgrade', ws.upgrade);
  return { server, messaging, ws };
}

/** The client events a client may send. */
export { clientEvents };

/** Starts seed 001 on `port` (0: a free one). */
export async function start(port = 0, options: SeedOptions = {}): Promise<Running & { seed: Seed }> {
  const seed = createSeed(options);
  const running = await listen(seed.server, port);
  return {
    ...running,
    seed,
    close: async () => {
      await seed.ws.close({ timeout: 500 });
      await running.close();
    },
  };
}
