import type { ApiError } from '../catalog/api-error.js';
import type { Catalog } from '../catalog/types.js';
import type { ErrorFormat } from '../format/types.js';
import type { CloseDecision } from './socket-close.js';

/** The part of a WHATWG `WebSocket` the client uses: the browser's global, or `ws` in Node. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: any) => void): void;
}

/** A `WebSocket` constructor: `globalThis.WebSocket` in browsers, `ws`'s `WebSocket` in Node 20. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** Reconnection with full-jitter backoff; a connection counts as healthy after `minUptime`. */
export interface SocketReconnectOptions {
  /**
   * The first backoff ceiling in ms; attempt n waits a uniformly random time up to min(cap, base × 2ⁿ).
   * @default 1000
   */
  base?: number;
  /**
   * The largest backoff ceiling in ms.
   * @default 30000
   */
  cap?: number;
  /**
   * How long a connection must stay open before the attempt counter resets, in ms.
   * @default 5000
   */
  minUptime?: number;
  /**
   * The most reconnection attempts in a row; then the client stops.
   * @default Infinity
   */
  maxAttempts?: number;
  /**
   * The most attempts in a row that never reached `open` (a refused handshake looks like this in browsers).
   * @default 8
   */
  maxNeverOpened?: number;
  /**
   * The longest server-given wait honoured, in ms: a refused handshake's `Retry-After`, or the `retry_after`
   * of the error event a close's reason names. Past it the client stops (the close's decision is `never`;
   * the error that asked for it carries `retryAfter`) rather than sleeping it. Longer than the HTTP client's
   * `retry.maxRetryAfter` (60 s): a WebSocket server's connection limit answers with the life of a slot's
   * lease, 90 s by faultline's defaults (three heartbeats of 30 s), which a client must wait out.
   * @default 300000
   */
  maxRetryAfter?: number;
  /** Random source in [0, 1), for tests. @default Math.random */
  random?: () => number;
}

/** Options of `connectSocket`. */
export interface SocketOptions {
  /** The `WebSocket` implementation: `globalThis.WebSocket` in browsers, `ws` in Node 20. */
  WebSocket: WebSocketConstructor;
  /** The API's catalog: types errors, and holds the close codes' reconnect advice. */
  catalog?: Catalog<any>;
  /**
   * The envelope of the server's error events.
   * @default wsEvent
   */
  event?: ErrorFormat;
  protocols?: string | string[];
  /**
   * How long a handshake may take, in milliseconds; past it the attempt is closed, as a 1006.
   * @default 30000
   */
  connectTimeout?: number;
  /** Reconnection; `false` never reconnects. */
  reconnect?: SocketReconnectOptions | false;
  /** Refreshes credentials after an `afterAuth` close; called once, then the client gives up if it fails again. */
  refresh?: () => void | Promise<void>;
  /** Resume: the query parameter and the cursor to send on a reconnect whose close allows resuming. */
  resume?: { param?: string; cursor: () => string | undefined };
}

/** The events a socket client emits. */
export interface SocketEvents {
  open: () => void;
  /** A message that is not an error event, parsed as JSON when it is JSON. */
  message: (data: unknown) => void;
  /** An error event, or a refused handshake, as a typed ApiError. */
  error: (error: ApiError) => void;
  /** A close, with the error it stands for and the decision taken. */
  close: (
    error: ApiError | undefined,
    decision: CloseDecision,
    info: { code: number; reason: string },
  ) => void;
  /** A reconnection is scheduled in `delay` ms. */
  reconnect: (delay: number, attempt: number) => void;
}

/** A reconnecting WebSocket client that speaks the catalog. */
export interface SocketClient {
  /** Sends a message (objects as JSON); false when not open. */
  send(message: unknown): boolean;
  /** Closes for good (1000). */
  close(code?: number, reason?: string): void;
  on<E extends keyof SocketEvents>(event: E, listener: SocketEvents[E]): () => void;
  /** Consecutive attempts since the last healthy connection. */
  readonly attempts: number;
  readonly state: 'connecting' | 'open' | 'waiting' | 'closed';
}
