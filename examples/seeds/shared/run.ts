/** What every seed server shares: listening on 127.0.0.1 and a JSON-lines log of the errors it answers. */
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { ErrorEvent } from 'faultline/server';

/**
 * Answers CONNECT through `clientError`, the catalog's 400: node hands a CONNECT to 'connect' listeners only
 * and, with none, closes the socket without a word. A seed is no proxy.
 */
export function refuseConnect<S extends Server>(
  server: S,
  clientError: (error: Error, socket: Socket) => void,
): S {
  return server.on('connect', (_req, socket) =>
    clientError(new Error('CONNECT is not served'), socket as Socket),
  ) as S;
}

/** A running seed: its base URL and how to stop it. */
export interface Running {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (`port` 0 picks a free one) and resolves once the socket is bound. */
export function listen(server: Server, port = 0): Promise<Running> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const bound = (server.address() as AddressInfo).port;
      resolve({
        url: `http://127.0.0.1:${bound}`,
        port: bound,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** True when `moduleUrl` is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && moduleUrl === pathToFileURL(process.argv[1]).href;
}

/** One line of the server log: what the client was answered, and what really happened. */
export interface LogLine {
  readonly level: 'warn' | 'error';
  readonly code: string;
  readonly status: number;
  readonly correlationId: string;
  readonly method: string | undefined;
  readonly url: string | undefined;
  /** The internal reason of a collapsed code: here, never on the wire. */
  readonly reason?: string;
  /** What was thrown, for 5xx answers: its message and the first line of its stack. */
  readonly thrown?: string;
}

/** Where log lines go: stderr as JSON by default; tests pass an array's `push`. */
export type LogSink = (line: LogLine) => void;

export const stderrSink: LogSink = (line) => process.stderr.write(`${JSON.stringify(line)}\n`);

// Query parameters that carry a credential (WebSocket handshakes and links take them in the URL).
const secretParams = /^(access_token|id_token|token|api_key|apikey|key|password|otp|code|secret)$/i;

/** A request target with the values of credential-carrying query parameters replaced: fit for a log. */
export function redactUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const query = url.indexOf('?');
  if (query === -1) return url;
  const hash = url.indexOf('#', query);
  const end = hash === -1 ? url.length : hash;
  const params = url
    .slice(query + 1, end)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        // An undecodable name is logged as it came.
      }
      return eq !== -1 && secretParams.test(decoded) ? `${name}=%5Bredacted%5D` : pair;
    });
  return `${url.slice(0, query)}?${params.join('&')}`;
}

/** The longest request target a log line keeps: what a client sends must not set the size of a line. */
export const maxLoggedUrl = 512;

/** A redacted `url` cut to `maxLoggedUrl` characters: cut after redaction, a credential is masked whole. */
function clipUrl(url: string | undefined): string | undefined {
  return url === undefined || url.length <= maxLoggedUrl ? url : `${url.slice(0, maxLoggedUrl)}…`;
}

/**
 * An `onError` hook that writes one log line per answered error; credentials in the URL are redacted, and
 * the URL is cut to `maxLoggedUrl` characters. A 429 is not logged: it answers a flood, and a line per
 * refused request would let the flood write the log.
 */
export function logErrors(sink: LogSink = stderrSink): (event: ErrorEvent) => void {
  return ({ error, thrown, correlationId, request }) => {
    if (error.status === 429) return;
    const line: LogLine = {
      level: error.status >= 500 ? 'error' : 'warn',
      code: error.code,
      status: error.status,
      correlationId,
      method: request.method,
      url: clipUrl(redactUrl(request.url)),
      ...(error.reason === undefined ? {} : { reason: error.reason }),
      ...(error.status >= 500 && thrown !== error ? { thrown: describe(thrown) } : {}),
    };
    sink(line);
  };
}

function describe(thrown: unknown): string {
  try {
    return thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
  } catch {
    return 'unprintable thrown value';
  }
}

/** A clock the domains read; tests move it instead of waiting. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
