import type { RawData, WebSocket } from 'ws';
import { ApiError } from '../catalog/api-error.js';
import type { Catalog, StandardSchemaV1 } from '../catalog/types.js';
import { wsBehaviourOf } from '../catalog/ws-codes.js';
import type { WsRole } from '../catalog/ws-types.js';
import type { ErrorFormat } from '../format/types.js';
import type { Lease } from '../guards/concurrency.js';
import type { MessageVerdict } from '../guards/message.js';
import type { GuardRequest } from '../guards/types.js';
import type { ErrorHandler } from '../server/handle-error.js';
import { fieldErrorsOf } from '../server/normalize.js';
import type { RequestView } from '../server/request.js';
import { safeClose, safeTerminate } from './close.js';
import { type EventContext, eventView } from './events.js';
import { type DropInfo, type MessageLimiter, type OverRateAction, waitOf } from './limits.js';
import { entryOf, wsRoleError } from './roles.js';
import type { MessageHandler, WsConnection } from './types.js';

/** Everything a connection shares with its endpoint, compiled once. */
export interface EndpointState {
  readonly catalog: Catalog<any>;
  readonly handler: ErrorHandler;
  readonly event: ErrorFormat;
  readonly maxBytes: number;
  readonly typeField: string;
  readonly idField: string;
  readonly schemas: Readonly<Record<string, StandardSchemaV1>>;
  readonly serverOnly: ReadonlySet<string>;
  readonly on: Readonly<Record<string, MessageHandler<any>>>;
  readonly acceptBinary: boolean;
  readonly binary: ((data: Buffer, conn: WsConnection<any>) => unknown) | undefined;
  readonly sessionEnd: string;
  readonly limiter: MessageLimiter | undefined;
  readonly over: OverRateAction;
  readonly closeAfter: number;
  readonly exempt: ReadonlySet<string>;
  readonly maxBuffered: number;
  readonly slowAction: 'drop' | 'close';
  readonly idleTimeout: number | undefined;
  readonly maxDuration: number | undefined;
  readonly onDrop: ((info: DropInfo) => void) | undefined;
  readonly onError:
    | ((event: { error: ApiError; thrown: unknown; conn: WsConnection<any> | undefined }) => void)
    | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sizeOf(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return (data as Buffer | ArrayBuffer).byteLength;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data as ArrayBuffer);
}

function idOf(message: unknown, field: string): string | number | undefined {
  if (!isRecord(message)) return undefined;
  const id = message[field];
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : undefined;
}

/** One live connection: reads, checks and dispatches messages; turns anything thrown into events and closes. */
export class Connection<C> implements WsConnection<C> {
  /** Whether a ping is unanswered (heartbeat). */
  awaitingPong = false;
  closing = false;
  /** The connection's lease of the connection limit, given back when it closes. */
  lease: Lease | undefined;
  private violations = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private durationTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: string,
    readonly key: string,
    readonly context: C,
    readonly correlationId: string,
    readonly request: RequestView,
    readonly socket: WebSocket,
    private readonly state: EndpointState,
    /** The request view the guards see: the handshake's, carrying the session. */
    private readonly guardRequest: GuardRequest,
  ) {
    if (state.idleTimeout !== undefined) {
      this.idleTimer = setTimeout(() => this.failRole('idleTimeout'), state.idleTimeout);
      this.idleTimer.unref();
    }
    if (state.maxDuration !== undefined) {
      this.durationTimer = setTimeout(() => this.failRole('sessionExpired'), state.maxDuration);
      this.durationTimer.unref();
    }
  }

  /** Stops the connection's timers; called once it is closed. */
  dispose(): void {
    this.closing = true;
    clearTimeout(this.idleTimer);
    clearTimeout(this.durationTimer);
  }

  send(message: unknown): boolean {
    if (this.closing || this.socket.readyState !== this.socket.OPEN) return false;
    if (this.socket.bufferedAmount > this.state.maxBuffered) {
      if (this.state.slowAction === 'close') {
        this.failRole('slowConsumer');
      } else {
        this.drop({ reason: 'backpressure', key: this.id });
      }
      return false;
    }
    return this.write(typeof message === 'string' ? message : JSON.stringify(message));
  }

  private write(text: string): boolean {
    try {
      this.socket.send(text);
      return true;
    } catch {
      return false;
    }
  }

  notify(thrown: unknown, replyTo?: string | number): void {
    this.sendError(this.toError(thrown), { replyTo });
  }

  fail(thrown: unknown): void {
    this.failWith(this.toError(thrown), {});
  }

  close(code = 1000, reason?: string): void {
    this.closing = true;
    safeClose(this.socket, code, reason);
  }

  /** Receives one message from `ws`. No closure is made per message on the path of a valid one. */
  receive(data: RawData, isBinary: boolean): void {
    if (this.closing) return;
    this.idleTimer?.refresh();
    const state = this.state;
    if (sizeOf(data) > state.maxBytes) {
      this.notifyRole('messageTooLarge', {});
      return;
    }
    if (isBinary) {
      if (state.acceptBinary && state.binary) this.call(state.binary, toBuffer(data), undefined);
      else this.notifyRole('unsupportedMessage', {});
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(toBuffer(data).toString('utf8'));
    } catch {
      if (this.admit(undefined, undefined)) this.proceed(undefined, undefined);
      return;
    }
    const type = isRecord(message) ? message[state.typeField] : undefined;
    const known = typeof type === 'string' ? type : undefined;
    if (this.admit(known, message)) this.proceed(known, message);
  }

  /** The context of an error answering `message`: the message itself and its id. */
  private contextOf(message: unknown): EventContext {
    return message === undefined ? {} : { event: message, replyTo: idOf(message, this.state.idField) };
  }

  /** After the guards: a message without a type is malformed; one with a type is dispatched. */
  private proceed(type: string | undefined, message: unknown): void {
    if (type === undefined) this.notifyRole('malformedMessage', this.contextOf(message));
    else this.dispatch(type, message as Record<string, unknown>);
  }

  /**
   * Runs the message guards (the rate): true when the message goes on now; false when it was refused or
   * waits for a store that answers asynchronously (it then goes on by itself).
   */
  private admit(type: string | undefined, message: unknown): boolean {
    const limiter = this.state.limiter;
    if (limiter === undefined || (type !== undefined && this.state.exempt.has(type))) return true;
    let verdict: MessageVerdict | Promise<MessageVerdict>;
    try {
      verdict = limiter.check(this.guardRequest);
    } catch (thrown) {
      this.raise(thrown, {});
      return false;
    }
    if (!(verdict instanceof Promise)) return this.decide(verdict, type);
    verdict.then(
      (settled) => {
        if (this.decide(settled, type)) this.proceed(type, message);
      },
      (thrown) => this.raise(thrown, {}),
    );
    return false;
  }

  private decide(verdict: MessageVerdict, type: string | undefined): boolean {
    if (this.closing) return false;
    if (verdict.allowed) {
      this.violations = 0;
      return true;
    }
    this.violations++;
    const wait = waitOf(verdict.error);
    const context: EventContext = { retryAfter: Math.max(1, Math.ceil(wait / 1000)) };
    // Over the rate is the catalog's messageRateLimited; another guard's denial (a quota) is its own error.
    const error =
      verdict.error.role === 'rateLimited'
        ? wsRoleError(this.state.catalog, 'messageRateLimited', undefined, {
            correlationId: this.correlationId,
          })
        : this.toError(verdict.error);
    if (this.state.over === 'close' || this.violations >= this.state.closeAfter) {
      this.failWith(error, context);
      return false;
    }
    this.drop({ reason: 'rate', key: this.key, type, retryAfter: wait });
    if (this.state.over === 'event') this.raise(error, context);
    return false;
  }

  private drop(info: DropInfo): void {
    try {
      this.state.onDrop?.(info);
    } catch {
      // A failing hook must not change what the connection does.
    }
  }

  private dispatch(type: string, message: Record<string, unknown>): void {
    const state = this.state;
    if (state.serverOnly.has(type)) {
      this.notifyRole('messageTypeNotAllowed', this.contextOf(message), { type });
      return;
    }
    const handler = state.on[type];
    const schema = state.schemas[type];
    if (handler === undefined && schema === undefined) {
      this.notifyRole('unknownMessageType', this.contextOf(message), { type });
      return;
    }
    if (schema === undefined) {
      this.call(handler!, message, message);
      return;
    }
    let result: StandardSchemaV1.Result<unknown> | Promise<StandardSchemaV1.Result<unknown>>;
    try {
      result = schema['~standard'].validate(message);
    } catch (thrown) {
      this.raise(thrown, this.contextOf(message));
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (settled) => this.validated(settled, handler, message),
        (thrown) => this.raise(thrown, this.contextOf(message)),
      );
    } else {
      this.validated(result, handler, message);
    }
  }

  private validated(
    result: StandardSchemaV1.Result<unknown>,
    handler: MessageHandler<C> | undefined,
    message: unknown,
  ): void {
    if (result.issues) {
      const error = this.state.catalog.builtin('validation', undefined, {
        fieldErrors: fieldErrorsOf(result.issues) ?? [],
      });
      this.raise(error, this.contextOf(message));
    } else if (handler) {
      this.call(handler, result.value, message);
    }
  }

  /** Calls a handler; anything it throws or rejects with answers `message` with an error event. */
  private call(handler: (value: any, conn: this) => unknown, value: unknown, message: unknown): void {
    try {
      const result = handler(value, this);
      if (result instanceof Promise) result.catch((thrown) => this.raise(thrown, this.contextOf(message)));
    } catch (thrown) {
      this.raise(thrown, this.contextOf(message));
    }
  }

  /** A raise inside a message handler: an event, and a close only when the entry says so. */
  private raise(thrown: unknown, context: EventContext): void {
    const error = this.toError(thrown);
    const entry = entryOf(this.state.catalog, error.code);
    if (entry && wsBehaviourOf(entry).closesOnRaise) this.failWith(error, context, thrown);
    else this.sendError(error, context, thrown);
  }

  /** The catalog error for anything thrown; unexpected values are reported once and answered generically. */
  toError(thrown: unknown): ApiError {
    if (thrown instanceof ApiError && entryOf(this.state.catalog, thrown.code)) {
      const error = thrown.role === undefined ? thrown : this.state.catalog.resolve(thrown);
      error.correlationId ??= this.correlationId;
      return error;
    }
    // handle() normalizes, gives an unexpected failure its own correlation id and logs it once.
    try {
      return this.state.handler.handle(thrown, { method: 'GET', url: this.request.url }).error;
    } catch {
      return this.state.catalog.builtin('internal', undefined, { correlationId: this.correlationId });
    }
  }

  private report(error: ApiError, thrown: unknown): void {
    try {
      this.state.onError?.({ error, thrown, conn: this });
    } catch {
      // A failing logger must not change the answer.
    }
  }

  /** Sends an error event; error events are sent past the backpressure limit, up to twice it. */
  sendError(error: ApiError, context: EventContext, thrown: unknown = error): void {
    this.report(error, thrown);
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (this.socket.bufferedAmount > 2 * this.state.maxBuffered) {
      this.failRole('slowConsumer');
      return;
    }
    let body: string;
    try {
      body = this.state.event.serialize(eventView(error, context, this.correlationId));
    } catch {
      body = JSON.stringify({ type: 'error', error: { code: error.code, status: error.status } });
    }
    this.write(body);
    const entry = entryOf(this.state.catalog, error.code);
    if (entry && wsBehaviourOf(entry).endsSession) this.write(this.state.sessionEnd);
  }

  private failWith(error: ApiError, context: EventContext, thrown: unknown = error): void {
    if (this.closing) return;
    const entry = entryOf(this.state.catalog, error.code);
    const behaviour = entry ? wsBehaviourOf(entry) : undefined;
    const code = behaviour?.closeCode ?? (error.status >= 500 ? 1011 : 4000 + error.status);
    if (behaviour?.notify === false) this.report(error, thrown);
    else this.sendError(error, context, thrown);
    this.closing = true;
    // The reason carries the code; the event carries everything else.
    safeClose(this.socket, code, error.code);
  }

  private notifyRole(role: WsRole, context: EventContext, details?: unknown): void {
    const error = wsRoleError(this.state.catalog, role, details, { correlationId: this.correlationId });
    this.raise(error, { ...context, retryAfter: context.retryAfter });
  }

  /** Connection scope, for a mechanism: idle, duration, slow reader, rate escalation, shutdown. */
  failRole(role: WsRole, context: EventContext = {}): void {
    if (this.closing) return;
    const error = wsRoleError(this.state.catalog, role, undefined, { correlationId: this.correlationId });
    this.failWith(error, context);
  }

  /** The heartbeat found no pong since the last ping: terminate (the peer sees 1006). */
  terminateUnresponsive(): void {
    if (this.closing) return;
    const error = wsRoleError(this.state.catalog, 'heartbeatTimeout', undefined, {
      correlationId: this.correlationId,
    });
    this.report(error, error);
    this.closing = true;
    safeTerminate(this.socket);
  }
}
