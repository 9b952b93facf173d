/**
 * Seed 000: the voice-agent platform API of reference page 000 on node:http, with its chat over
 * WebSocket. Its flat envelope carries the correlation id of `X-PolyAI-Correlation-Id` as `error_id`.
 */

import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { byHeader, byIp, type GuardRequest, rateLimit } from 'faultline/guards';
import { createNodeErrors, guard } from 'faultline/node';
import { createErrorHandler } from 'faultline/server';
import type { WsErrors } from 'faultline/ws';
import { headTimeouts } from '../shared/head-timeouts.js';
import {
  type Clock,
  type LogSink,
  listen,
  logErrors,
  type Running,
  refuseConnect,
  systemClock,
} from '../shared/run.js';
import { Auth } from './auth.js';
import { errors, settings } from './catalog.js';
import { type ChatContext, chatSocket } from './chat-socket.js';
import { Platform, type PlatformOptions } from './domain.js';
import { RecordingStore } from './recordings.js';
import { routes } from './routes.js';
import type { Resolve } from './upstream.js';

/** Options of seed 000. */
export interface SeedOptions extends PlatformOptions {
  /** @default the system clock */
  clock?: Clock;
  /** Where error log lines go. @default stderr */
  log?: LogSink;
  /** The folder recordings are kept in. @default a new temporary folder */
  recordings?: string;
  /** The largest recording accepted, in bytes. @default 10 MiB */
  recordingLimit?: number;
  /**
   * Requests per minute per user: its API key and every token it holds share one budget, and a credential
   * that does not authenticate spends none (only its address's). @default 600
   */
  rate?: number;
  /**
   * Requests per minute per client address, counted before authentication so that requests without a
   * key, or with made-up ones, are limited too. The address is the socket's: proxies are not trusted.
   * @default 600
   */
  ipRate?: number;
  /**
   * Origins a connector may reach whatever their address (a test or development upstream on loopback);
   * every other connector URL must resolve to public addresses only. @default none
   */
  upstreams?: readonly string[];
  /** How connector hosts are resolved. @default node's resolver */
  resolve?: Resolve;
  /** How long a connector test may take, redirects included, in ms. @default 2 000 */
  connectorTimeout?: number;
  /**
   * How long a request body may stall between chunks, and a request head may take, before 408, in ms.
   * @default 10 000
   */
  readTimeout?: number;
  /** WebSocket ping interval; a client that misses a pong is cut off. @default 30 000 */
  heartbeat?: number;
  /** The chat sockets one account holds open at once, over all its chats; past it, 429. @default 50 */
  chatSocketsPerAccount?: number;
}

/** The methods the API knows; any other is answered 501 (RFC 9110 §15.6.2). */
const knownMethods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The seed's parts: the server, its domain and auth, and `drain()` for a graceful stop. */
export interface Seed {
  readonly server: Server;
  readonly platform: Platform;
  readonly auth: Auth;
  readonly recordings: string;
  /** The chat WebSocket endpoint. */
  readonly chat: WsErrors<ChatContext>;
  /** Stops admitting requests: each new one is answered 503 with `Retry-After` while in-flight ones finish. */
  drain(): void;
}

const correlationHeader = settings.correlation.header;

/**
 * The caller's budget: the user its credential proves, once verified (an API key, or a bearer token whose
 * signature holds), so that every key and token of one user, however many it mints, spends one budget. A
 * credential that does not authenticate has no budget of its own, only its address's, and is answered 401
 * or 403 by the route: keyed on what it sent, it could name a verified caller's budget (`x-api-key:
 * user:<id>`) and spend it. A header sent twice or holding two values has none either, so that
 * authentication answers it the page's 401 rather than `byHeader`'s 400.
 */
const callerKeyOf =
  (auth: Auth) =>
  (request: GuardRequest): string | undefined => {
    try {
      const headers = {
        authorization: byHeader('authorization')(request),
        'x-api-key': byHeader('x-api-key')(request),
      };
      return `user:${auth.authenticate({ headers }).id}`;
    } catch {
      return undefined;
    }
  };
// The error layer's own choice of id (the caller's when safe to echo, else a new one), made for every response.
const correlation = createErrorHandler(settings);

/**
 * Every response carries `X-PolyAI-Correlation-Id`, 2xx included (the page: "Every API response
 * includes" it): the caller's when it is safe to echo, else a new one. The error layer reads it back from
 * the request, so an error's `error_id` is the same id.
 */
function correlate(handler: (req: IncomingMessage, res: ServerResponse) => unknown) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const id = correlation.correlationId({ headers: req.headers });
    req.headers[correlationHeader] = id;
    res.setHeader(correlationHeader, id);
    return handler(req, res);
  };
}

export function createSeed(options: SeedOptions = {}): Seed {
  const clock = options.clock ?? systemClock;
  const platform = new Platform(clock, options);
  const auth = new Auth(clock, platform.limits.users);
  const recordings = options.recordings ?? mkdtempSync(join(tmpdir(), 'seed-000-'));
  const readTimeout = options.readTimeout ?? 10_000;
  const router = routes(platform, auth, {
    recordings: new RecordingStore(recordings),
    recordingLimit: options.recordingLimit ?? 10 * 1024 * 1024,
    readTimeout,
    upstream: {
      allow: options.upstreams ?? [],
      timeoutMs: options.connectorTimeout ?? 2000,
      ...(options.resolve ? { resolve: options.resolve } : {}),
    },
  });
  const nodeErrors = createNodeErrors({ ...settings, onError: logErrors(options.log) });
  // One budget per client address in front of authentication (what a caller without a valid key cannot
  // escape by rotating keys or forging X-Forwarded-For), and one per caller: the user its key or token proves.
  const limiter = rateLimit({
    policies: [
      { name: 'address', key: byIp, limit: options.ipRate ?? 600, period: '1m' },
      {
        name: 'caller',
        key: callerKeyOf(auth),
        limit: options.rate ?? 600,
        period: '1m',
      },
    ],
  });
  const limited = guard(limiter);
  let draining = false;
  const server = createServer(
    headTimeouts(readTimeout),
    correlate(
      nodeErrors(
        limited((req, res) => {
          if (draining)
            throw errors.builtin('serviceUnavailable', undefined, { headers: { 'retry-after': '5' } });
          if (!knownMethods.has(req.method ?? '')) throw errors.builtin('notImplemented');
          return router.handle(req, res);
        }),
      ),
    ),
  )
    .on('clientError', nodeErrors.clientError)
    .on('checkContinue', nodeErrors.checkContinue)
    .on('checkExpectation', nodeErrors.checkExpectation);
  refuseConnect(server, nodeErrors.clientError);
  const chat = chatSocket(
    platform,
    auth,
    nodeErrors.handler,
    options.heartbeat ?? 30_000,
    limiter,
    options.chatSocketsPerAccount,
  );
  server.on('upgrade', chat.upgrade);
  return {
    server,
    platform,
    auth,
    recordings,
    chat,
    drain: () => {
      draining = true;
    },
  };
}

/** Starts seed 000 on `port` (0: a free one) and returns its URL. */
export async function start(port = 0, options: SeedOptions = {}): Promise<Running & { seed: Seed }> {
  const seed = createSeed(options);
  const running = await listen(seed.server, port);
  return {
    ...running,
    seed,
    close: async () => {
      await seed.chat.close({ timeout: 500 });
      await running.close();
    },
  };
}
