import type { RawData, WebSocket } from 'ws';
import type { ApiError } from '../catalog/api-error.js';
import type { StandardSchemaV1 } from '../catalog/types.js';
import { wsBehaviourOf } from '../catalog/ws-codes.js';
import type { WsRole } from '../catalog/ws-types.js';
import type { Lease } from '../guards/concurrency.js';
import type { MessageVerdict } from '../guards/message.js';
import type { GuardRequest } from '../guards/types.js';
import { fieldErrorsOf } from '../server/normalize.js';
import type { RequestView } from '../server/request.js';
import { asPromise } from '../server/thenable.js';
import { safeClose } from './close.js';
import { budgetHolds, ErrorBudget } from './error-budget.js';
import type { EventContext } from './events.js';
import { idOf, parseText, sizeOf, toBuffer } from './inbound.js';
import { Lifetime } from './lifetime.js';
import { waitOf } from './limits.js';
import { Outbound } from './outbound.js';
import { catalogError, entryOf, specificOf, wsRoleError } from './roles.js';
import type { EndpointState } from './state.js';
import type { MessageHandler, WsConnection } from './types.js';

// What a message turned out to be before the guards ran: its answer waits for their verdict.
const json = 0;
const binary = 1;
const tooLarge = 2;
// A text message not parsed yet: the rate is checked first, so a message over it costs no parse.
const text = 3;
type Kind = typeof json | typeof binary | typeof tooLarge | typeof text;

// Messages whose verdict a store has not given yet; past this, reading pauses until it answers (TCP
// backpressure, as `ws` itself applies to a receiver that cannot keep up).
const maxPending = 64;

/** One live connection: reads, checks and dispatches messages; turns anything thrown into events and closes. */
export class Connection<C> extends Outbound implements WsConnection<C> {
  /** Whether a ping is unanswered (heartbeat). */
  awaitingPong = false;
  /** The connection's lease of the connection limit, given back when it closes. */
  lease: Lease | undefined;
  private violations = 0;
  /** Until when a rate notice is not repeated (ms since the epoch): one notice per wait, not one per message. */
  private quietUntil = 0;
  private pending = 0;
  private paused = false;
  /** The connection's budget of error events, when the endpoint has one. */
  private readonly budget: ErrorBudget | undefined;
  private readonly lifetime: Lifetime;

  constructor(
    readonly id: string,
    readonly key: string,
    readonly context: C,
    correlationId: string,
    readonly request: RequestView,
    socket: WebSocket,
    state: EndpointState,
    /** The request view the guards see: the handshake's, carrying the session. */
    private readonly guardRequest: GuardRequest,
  ) {
    super(correlationId, socket, state);
    this.budget = state.errorBudget && new ErrorBudget(state.errorBudget);
    this.lifetime = new Lifetime(state.idleTimeout, state.maxDuration, (role) => this.failRole(role));
  }

  get openedAt(): number {
    return this.lifetime.openedAt;
  }
  get lastMessageAt(): number {
    return this.lifetime.lastMessageAt;
  }

  endsAt(): number | undefined {
    return this.lifetime.endsAt();
  }

  /** Stops the connection's timers; called once it is closed. */
  dispose(): void {
    this.closing = true;
    this.lifetime.dispose();
  }

  notify(thrown: unknown, replyTo?: string | number): void {
    this.sendError(this.toError(thrown), { replyTo });
  }

  fail(thrown: unknown): void {
    this.failWith(this.toError(thrown), {});
  }

  close(code = 1000, reason?: string): void {
    if (this.closing) return;
    this.closing = true;
    safeClose(this.socket, code, reason);
  }

  /**
   * Receives one message from `ws`. Every message passes the rate first, whatever its size or kind, so
   * that refusals (binary, too large, malformed) are answered no faster than anything else. No closure is
   * made per message on the path of a valid one.
   */
  receive(data: RawData, isBinary: boolean): void {
    if (this.closing) return;
    this.lifetime.touch();
    const state = this.state;
    if (sizeOf(data) > state.maxBytes) {
      if (this.admit(undefined, undefined, tooLarge)) this.proceed(undefined, undefined, tooLarge);
      return;
    }
    if (isBinary) {
      if (this.admit(undefined, data, binary)) this.proceed(undefined, data, binary);
      return;
    }
    // Exempt types must be known before the rate: only then is a message parsed first.
    if (state.exempt.size === 0) {
      if (this.admit(undefined, data, text)) this.proceed(undefined, data, text);
      return;
    }
    const [type, message] = parseText(data, state.typeField);
    if (this.admit(type, message, json)) this.proceed(type, message, json);
  }

  /** The context of an error answering `message`: the message itself and its id. */
  private contextOf(message: unknown): EventContext {
    return message === undefined ? {} : { event: message, replyTo: idOf(message, this.state.idField) };
  }

  /** After the guards: the answer for the kind of message; a JSON one without a type is malformed. */
  private proceed(type: string | undefined, message: unknown, kind: Kind): void {
    if (kind === text) this.proceed(...parseText(message as RawData, this.state.typeField), json);
    else if (kind === tooLarge) this.notifyRole('messageTooLarge', {});
    else if (kind === binary) {
      const handle = this.state.acceptBinary ? this.state.binary : undefined;
      if (handle) this.call(handle, toBuffer(message as RawData), undefined);
      else this.notifyRole('messageUnsupported', {});
    } else if (type === undefined) this.notifyRole('messageMalformed', this.contextOf(message));
    else this.dispatch(type, message as Record<string, unknown>);
  }

  /**
   * Runs the message guards (the rate): true when the message goes on now; false when it was refused or
   * waits for a store that answers asynchronously (it then goes on by itself).
   */
  private admit(type: string | undefined, message: unknown, kind: Kind): boolean {
    const limiter = this.state.limiter;
    if (limiter === undefined || (type !== undefined && this.state.exempt.has(type))) return true;
    let verdict: MessageVerdict | Promise<MessageVerdict>;
    try {
      verdict = limiter.check(this.guardRequest);
    } catch (thrown) {
      this.raise(thrown, {});
      return false;
    }
    const later = asPromise(verdict);
    if (later === undefined) return this.decide(verdict as MessageVerdict, type);
    if (++this.pending >= maxPending && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    later.then(
      (settled) => {
        this.settled();
        if (this.decide(settled, type)) this.proceed(type, message, kind);
      },
      (thrown) => {
        this.settled();
        this.raise(thrown, {});
      },
    );
    return false;
  }

  private settled(): void {
    if (--this.pending < maxPending && this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private decide(verdict: MessageVerdict, type: string | undefined): boolean {
    if (this.closing) return false;
    if (verdict.allowed) {
      // One off the count per message within the rate: a flood that the refills let through in part still
      // mounts to `closeAfter`, where counting in a row would start it afresh at every refill.
      this.violations = Math.max(0, this.violations - 1);
      this.quietUntil = 0;
      return true;
    }
    this.violations++;
    const wait = waitOf(verdict.error);
    const context: EventContext = { retryAfter: Math.max(1, Math.ceil(wait / 1000)) };
    // Over the rate is the catalog's messageRateLimited; another guard's denial (a quota) is its own error.
    const error =
      verdict.error.role === 'rateLimited'
        ? this.roleError('messageRateLimited')
        : this.toError(verdict.error);
    if (this.state.over === 'close' || this.violations >= this.state.closeAfter) {
      this.failFlooding(error, context);
      return false;
    }
    this.drop({ reason: 'rate', key: this.key, type, retryAfterMs: wait });
    if (this.state.over !== 'event') return false;
    // The notice says how long to wait; repeating it to every message of the wait would answer a flood
    // with a flood.
    const now = Date.now();
    if (now < this.quietUntil) return false;
    this.quietUntil = now + context.retryAfter! * 1000;
    this.raise(error, context);
    return false;
  }

  private dispatch(type: string, message: Record<string, unknown>): void {
    const state = this.state;
    if (state.serverOnly.has(type)) {
      this.notifyRole('messageTypeNotAllowed', this.contextOf(message), { type });
      return;
    }
    // Own entries only: a type of `constructor` or `__proto__` must not find a member of Object.prototype.
    const handler = Object.hasOwn(state.on, type) ? state.on[type] : undefined;
    const schema = Object.hasOwn(state.schemas, type) ? state.schemas[type] : undefined;
    if (handler === undefined && schema === undefined) {
      this.notifyRole('messageTypeUnknown', this.contextOf(message), { type });
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
    // A schema of another realm or library may answer with its own promise: any thenable is waited for.
    const later = asPromise(result);
    if (later !== undefined) {
      later.then(
        (settled) => this.validated(settled, handler, message),
        (thrown) => this.raise(thrown, this.contextOf(message)),
      );
    } else {
      this.validated(result as StandardSchemaV1.Result<unknown>, handler, message);
    }
  }

  private validated(
    result: StandardSchemaV1.Result<unknown>,
    handler: MessageHandler<C> | undefined,
    message: unknown,
  ): void {
    if (result.issues) {
      // Its own role: a catalog may answer an event of the wrong shape apart from an HTTP validation failure.
      const error = wsRoleError(this.state.catalog, 'messageInvalid', undefined, {
        correlationId: this.correlationId,
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
      asPromise(handler(value, this))?.then(undefined, (thrown) =>
        this.raise(thrown, this.contextOf(message)),
      );
    } catch (thrown) {
      this.raise(thrown, this.contextOf(message));
    }
  }

  /** A raise inside a message handler: an event, and a close only when the entry says so. */
  private raise(thrown: unknown, context: EventContext): void {
    const error = this.toError(thrown);
    const entry = entryOf(this.state.catalog, error.code);
    if (entry && wsBehaviourOf(entry).closesOnRaise) this.failWith(error, context, thrown);
    else if (!this.budget || !budgetHolds(this.state, context.event, error.status) || this.budget.take())
      this.sendError(error, context, thrown);
    else this.overBudget(error);
  }

  /** Past the budget: dropped without a word; a client that keeps on is closed (never for a 5xx). */
  private overBudget(error: ApiError): void {
    this.drop({ reason: 'errorEvents', key: this.key });
    if (error.status < 500 && this.budget!.exhausted()) this.closeForPolicy('messageRateLimited');
  }

  /** The catalog error for anything thrown; unexpected values are reported once and answered generically. */
  toError(thrown: unknown): ApiError {
    return catalogError(this.state.catalog, this.state.handler, thrown, this.correlationId, this.request.url);
  }

  private notifyRole(role: WsRole, context: EventContext, details?: unknown): void {
    this.raise(this.roleError(role, details, specificOf(role, context, this.state.typeField)), context);
  }
}
