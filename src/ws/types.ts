import type { IncomingMessage } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import type { ApiError } from '../catalog/api-error.js';
import type { StandardSchemaV1 } from '../catalog/types.js';
import type { ErrorFormat } from '../format/types.js';
import type { TrustProxy } from '../server/client-ip.js';
import type { ErrorHandler, ErrorHandlerOptions } from '../server/handle-error.js';
import type { RequestView } from '../server/request.js';
import type { ErrorEventOptions } from './error-budget.js';
import type { ConnectionLimitOptions, DropInfo, MessageRateOptions } from './limits.js';

/** Who a connection belongs to, as `authenticate` decides at the handshake. */
export interface Admission<C = unknown> {
  /**
   * The limit key: a session, user or API key. Rate and connection limits are shared per key.
   * @default the client address as `byIp` keys it (an IPv6 client's /64)
   */
  key?: string | undefined;
  /** Anything the handlers need, as `conn.context`. */
  context?: C;
}

/** One live WebSocket connection, as message handlers see it. */
export interface WsConnection<C = unknown> {
  /** A unique id of this connection. */
  readonly id: string;
  /** The limit key (session) the connection counts against. */
  readonly key: string;
  readonly context: C;
  /** The correlation id of the handshake; error events carry it. */
  readonly correlationId: string;
  readonly request: RequestView;
  /** The underlying `ws` socket. */
  readonly socket: WebSocket;
  /** When the connection opened (ms since the epoch). */
  readonly openedAt: number;
  /** When its last message arrived (ms since the epoch); `openedAt` until the first one. */
  readonly lastMessageAt: number;
  /**
   * When the connection ends by itself (ms since the epoch): the sooner of `lastMessageAt + idleTimeout`
   * and `openedAt + maxDuration`; undefined when neither limit is set.
   */
  endsAt(): number | undefined;
  /** Sends a message (an object is sent as JSON); false when dropped for backpressure or closed. */
  send(message: unknown): boolean;
  /** Sends an error event for `error` and keeps the connection open. */
  notify(error: unknown, replyTo?: string | number): void;
  /** Connection scope: the error event (unless `notify: false`), then the entry's close code. */
  fail(error: unknown): void;
  /** Closes normally (1000) or with a code; never throws. */
  close(code?: number, reason?: string): void;
}

/** A handler of one message type: receives the validated message; anything it throws becomes an error event. */
export type MessageHandler<C = unknown> = (message: any, conn: WsConnection<C>) => unknown;

/** How inbound messages are read and checked. */
export interface MessageOptions {
  /**
   * The soft size limit in bytes: a larger message gets the `messageTooLarge` event and the connection
   * stays open (it counts against the message rate like any other). The hard limit is `maxPayload`
   * (closes with 1009).
   * @default 65536
   */
  maxBytes?: number;
  /**
   * The member holding the message type.
   * @default 'type'
   */
  typeField?: string;
  /**
   * The member holding the client's event id, echoed as `replyTo`.
   * @default 'id'
   */
  idField?: string;
  /** A Standard Schema per message type (zod, valibot, arktype); failures answer field errors. */
  schemas?: Readonly<Record<string, StandardSchemaV1>>;
  /** Types only the server sends: a client sending one gets `messageTypeNotAllowed`. */
  serverOnly?: readonly string[];
  /**
   * Binary messages: refused with `messageUnsupported` (stays open), or passed to the `binary` handler;
   * either way they count against the message rate.
   * @default 'refuse'
   */
  binary?: 'refuse' | 'accept';
  /** The event sent after an error whose entry has `ws.endsSession`. @default { type: 'session_end' } */
  sessionEnd?: Readonly<Record<string, unknown>>;
}

/** Heartbeat, idle, duration and backpressure limits, besides rate and connections. */
export interface WsLimits {
  /**
   * The message rate per key. Every message counts, binary and too large ones too, so that no answer
   * (event or refusal) goes out faster than it. Without it, `errorEvents` bounds the answers.
   */
  rate?: MessageRateOptions;
  /**
   * The budget of error events answering a connection's messages (refusals, and what handlers throw),
   * per connection: past it they are dropped without a word, and a client that keeps sending refused
   * messages is closed with 1008. It bounds what a flood of bad frames gets back by time, not by the
   * flood (5 000 two-byte frames: 20 events, not 5 000). `conn.notify` is not counted. `'off'` answers
   * every message, bounded only by `backpressure`.
   * With a `rate`, it holds only for the types the rate exempts and for server failures (5xx): the rate
   * bounds the rest, and admits every message while its own store fails.
   * @default { rate: 10, burst: 20, closeAfter: 100 }
   */
  errorEvents?: ErrorEventOptions | 'off';
  /**
   * Simultaneous connections per key, refused at the handshake with 429. Its `Retry-After` says when a
   * slot frees: the soonest `endsAt()` of the key's connections on this instance (two heartbeats when
   * they have no deadline); the lease's expiry when they all live on other instances.
   */
  connections?: ConnectionLimitOptions;
  /**
   * Ping interval in ms; a connection that has not answered the previous ping is terminated.
   * `false` turns heartbeats off.
   * @default 30000
   */
  heartbeat?: number | false;
  /** Close a connection that sent no message for this long (ms), with `idleTimeout`. */
  idleTimeout?: number;
  /** Close every connection after this long (ms), with `sessionExpired`. */
  maxDuration?: number;
  /**
   * Outbound buffering to a slow reader (the socket's `bufferedAmount`). Past `maxBufferedBytes`, `send`
   * applies `action`; error events still go out up to twice it; past twice it the socket is terminated at
   * once (the peer sees 1006), as `ws` drops a peer that stopped answering pings: a reader that reads
   * nothing cannot read a close frame either.
   */
  backpressure?: {
    /**
     * Bytes buffered for one connection before the action applies; error events are sent up to twice this,
     * and a socket past twice this is terminated.
     * @default 1048576
     */
    maxBufferedBytes?: number;
    /**
     * `drop`: `send` drops messages (error events still go out); `close`: close with `slowConsumer` (1008).
     * @default 'close'
     */
    action?: 'drop' | 'close';
  };
}

/** Options of `createWsErrors`. */
export interface WsErrorsOptions<C = unknown> {
  /** The HTTP error handler (or its options): handshake refusals are exactly its answers. */
  errors?: ErrorHandler | ErrorHandlerOptions;
  /**
   * The envelope of error events.
   * @default wsEvent
   */
  event?: ErrorFormat;
  /**
   * How handshake errors are answered: an HTTP response (`http`), or accept, send the event and close
   * (`close`, for browsers that cannot read refused handshakes); `auto` picks `close` for requests with
   * an `Origin`. Connection limits are always answered over HTTP.
   * @default 'http'
   */
  handshake?: 'http' | 'close' | 'auto';
  /**
   * The pages that may open a socket, for an endpoint that authenticates by what a browser attaches by
   * itself (cookies, HTTP auth): their origins (`['https://app.example.com']`), or a function of the
   * `Origin` header. A handshake from any other page (`null`, a look-alike, the header sent twice) is
   * refused 403 over HTTP before `authenticate` runs, whatever `handshake` says; one without the header
   * (a client that is no browser) passes. A malformed list throws `FAULTLINE_INVALID_OPTION` at setup.
   * @default every origin (ws leaves the check to the app)
   */
  origins?: readonly string[] | ((origin: string) => boolean);
  /** The path the endpoint serves; other paths are answered 404. @default any path */
  path?: string;
  /**
   * The proxies whose `X-Forwarded-For` says who the client is, as Express's `trust proxy` and the node
   * adapter take them: `true`, a number of hops, addresses and CIDR ranges (`'loopback'`, `'linklocal'`,
   * `'uniquelocal'`), or a function of an address and its hop (0 is the socket's peer). The handshake's
   * `request.ip` is that client: `authenticate` sees it, and the limits key on it by default and with
   * `byIp`. Untrusted by default: the header is ignored and the address is the socket's. A malformed value
   * throws `FAULTLINE_INVALID_OPTION` when the endpoint is created.
   * @default false
   */
  trustProxy?: TrustProxy;
  /** Decides who connects; anything it throws is the handshake's answer. */
  authenticate?: (request: RequestView, raw: IncomingMessage) => Admission<C> | Promise<Admission<C>>;
  /** The handlers, one per client message type. */
  on?: Readonly<Record<string, MessageHandler<C>>>;
  /** Called with each binary message when `messages.binary` is `accept`. */
  binary?: (data: Buffer, conn: WsConnection<C>) => unknown;
  /** Called when a connection opens; a throw or a rejection of an async one fails the connection (1011). */
  onConnection?: (conn: WsConnection<C>) => unknown;
  messages?: MessageOptions;
  limits?: WsLimits;
  /**
   * The `ws` server to upgrade with; its `maxPayload` is the hard limit.
   * @default new WebSocketServer({ noServer: true, maxPayload: 1 MiB })
   */
  server?: WebSocketServer;
  /** Called on every dropped message or send; its failures (a throw, a rejection) are swallowed. */
  onDrop?: (info: DropInfo) => unknown;
  /**
   * Called with every error sent as an event or close, and with socket errors; its failures (a throw, a
   * rejection of an async one) are swallowed.
   */
  onError?: (event: { error: ApiError; thrown: unknown; conn: WsConnection<C> | undefined }) => unknown;
}

/** A WebSocket endpoint with the catalog's error handling. */
export interface WsErrors<C = unknown> {
  /** The `'upgrade'` listener of a node HTTP server. */
  upgrade(request: IncomingMessage, socket: import('node:stream').Duplex, head: Buffer): void;
  /** The error to answer a plain HTTP request to the endpoint with: 426 and `Upgrade: websocket`. */
  upgradeRequired(): ApiError;
  /** Live connections of this instance. */
  readonly connections: ReadonlySet<WsConnection<C>>;
  /** The `ws` server. */
  readonly server: WebSocketServer;
  /** The error handler answering handshakes. */
  readonly errors: ErrorHandler;
  /** The event format. */
  readonly event: ErrorFormat;
  /**
   * Graceful shutdown: refuse new connections, send every socket `goingAway` (1001) or `serviceRestart`
   * (1012), then terminate what is still open after `timeout` ms.
   */
  close(options?: { restart?: boolean; timeout?: number }): Promise<void>;
}
