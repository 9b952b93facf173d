import type { WebSocket } from 'ws';
import type { ApiError } from '../catalog/api-error.js';
import { closeCodeOfRole, wsBehaviourOf } from '../catalog/ws-codes.js';
import type { WsRole } from '../catalog/ws-types.js';
import { quiet } from '../server/thenable.js';
import { letGo, safeClose, safeTerminate } from './close.js';
import { type EventContext, eventView } from './events.js';
import type { DropInfo } from './limits.js';
import { entryOf, wsRoleError } from './roles.js';
import type { EndpointState } from './state.js';
import type { WsConnection } from './types.js';

/**
 * What a connection sends, and the bounds on it, as `ws` holds its own: nothing once the close has
 * started (a closing socket sends no data frame); application messages while the send buffer is under
 * `maxBufferedBytes`; error events up to twice that; and a socket past twice that is terminated, since a
 * peer that reads nothing cannot read a close frame either. No path from a send leads back to a send, so a
 * full buffer can never recurse.
 */
export abstract class Outbound {
  /** True from the moment the close starts: nothing is sent after it. */
  closing = false;
  abstract readonly id: string;

  constructor(
    readonly correlationId: string,
    readonly socket: WebSocket,
    protected readonly state: EndpointState,
  ) {}

  send(message: unknown): boolean {
    if (this.closing || this.socket.readyState !== this.socket.OPEN) return false;
    if (this.socket.bufferedAmount > this.state.maxBuffered) {
      if (this.state.slowAction === 'close') this.failRole('slowConsumer');
      else this.drop({ reason: 'backpressure', key: this.id });
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

  protected drop(info: DropInfo): void {
    try {
      quiet(this.state.onDrop?.(info));
    } catch {
      // A failing hook must not change what the connection does.
    }
  }

  protected report(error: ApiError, thrown: unknown): void {
    try {
      quiet(this.state.onError?.({ error, thrown, conn: this as unknown as WsConnection<unknown> }));
    } catch {
      // A failing logger must not change the answer.
    }
  }

  /**
   * Sends an error event and keeps the connection open; a closing connection only reports it. An error
   * that ends the session closes it, as wherever it is raised: the session has nothing left to carry.
   */
  sendError(error: ApiError, context: EventContext, thrown: unknown = error): void {
    const entry = entryOf(this.state.catalog, error.code);
    if (entry && wsBehaviourOf(entry).endsSession) {
      this.failWith(error, context, thrown);
      return;
    }
    this.report(error, thrown);
    if (this.closing || this.socket.readyState !== this.socket.OPEN) return;
    if (this.socket.bufferedAmount > this.state.hardBuffered) {
      this.terminateRole('slowConsumer');
      return;
    }
    this.writeEvent(error, context);
  }

  // The event itself, and the session end after it when the entry says so; the caller checked the bounds.
  private writeEvent(error: ApiError, context: EventContext): void {
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

  /** Connection scope: the event (unless the entry says not to notify), then the entry's close code. */
  protected failWith(error: ApiError, context: EventContext, thrown: unknown = error, role?: WsRole): void {
    if (this.closing) return;
    this.closing = true;
    this.report(error, thrown);
    const open = this.socket.readyState === this.socket.OPEN;
    if (open && this.socket.bufferedAmount > this.state.hardBuffered) {
      this.reportRole('slowConsumer');
      safeTerminate(this.socket);
      return;
    }
    const entry = entryOf(this.state.catalog, error.code);
    const behaviour = entry ? wsBehaviourOf(entry) : undefined;
    if (open && behaviour?.notify !== false) this.writeEvent(error, context);
    // Told or not, a client learns that its session ended.
    else if (open && behaviour?.endsSession) this.write(this.state.sessionEnd);
    // The reason carries the code; the event carries everything else.
    safeClose(
      this.socket,
      (role !== undefined && entry !== undefined ? closeCodeOfRole(entry, role) : behaviour?.closeCode) ??
        (error.status >= 500 ? 1011 : 4000 + error.status),
      error.code,
    );
  }

  /**
   * `failWith` for a peer over its rate, which may have megabytes of frames on their way: reading them only
   * to drop them would hold the loop, so nothing more is read, and a peer that cannot answer the close (it
   * is not read) is let go.
   */
  protected failFlooding(error: ApiError, context: EventContext): void {
    this.failWith(error, context);
    this.socket.pause();
    letGo(this.socket);
  }

  protected roleError(role: WsRole, details?: unknown, specific?: string): ApiError {
    return wsRoleError(this.state.catalog, role, details, { correlationId: this.correlationId }, specific);
  }

  private reportRole(role: WsRole): void {
    const error = this.roleError(role);
    this.report(error, error);
  }

  /** Connection scope, for a mechanism: idle, duration, slow reader, rate escalation, shutdown. */
  failRole(role: WsRole, context: EventContext = {}): void {
    if (this.closing) return;
    const error = this.roleError(role);
    this.failWith(error, context, error, role);
  }

  /**
   * Closes with 1008 (policy violation) and no event, the reason naming the role's code: for a peer that
   * spent its answers and keeps sending what is refused.
   */
  closeForPolicy(role: WsRole): void {
    if (this.closing) return;
    this.closing = true;
    this.reportRole(role);
    safeClose(this.socket, 1008, this.roleError(role).code);
  }

  /**
   * Drops the connection at once, with no event and no close frame (the peer sees 1006): a peer that
   * stopped reading or answering is reported, never written to again.
   */
  terminateRole(role: 'slowConsumer' | 'heartbeatTimeout'): void {
    if (this.closing) return;
    this.closing = true;
    this.reportRole(role);
    safeTerminate(this.socket);
  }
}
