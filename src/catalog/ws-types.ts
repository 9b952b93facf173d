/** A WebSocket mechanism of faultline that raises errors of its own; a catalog code answers for it. */
export type WsRole =
  | 'messageMalformed'
  | 'messageTypeUnknown'
  | 'messageTypeNotAllowed'
  | 'messageInvalid'
  | 'messageTooLarge'
  | 'messageUnsupported'
  | 'messageRateLimited'
  | 'connectionLimit'
  | 'upgradeRequired'
  | 'handshakeInvalid'
  | 'idleTimeout'
  | 'heartbeatTimeout'
  | 'sessionExpired'
  | 'slowConsumer'
  | 'goingAway'
  | 'serviceRestart';

/** What a client should do after a close: stop, retry with backoff, refresh credentials once, or retry at once. */
export type ReconnectAdvice = 'never' | 'backoff' | 'afterAuth' | 'immediate';

/** How a catalog error behaves on a WebSocket: its close code and the reconnect advice clients obey. */
export interface WsBehaviour {
  /**
   * Raised while handling a message: stay open (`false`), or send the event and close with this code.
   * At connection scope the connection always closes, with this code when it is a number.
   * @default false (derived at connection scope: 1001/1003/1009/1011/1012 for their roles, else 4000 + status)
   */
  close?: number | false;
  /** Send the error event before closing. @default true */
  notify?: boolean;
  /** What a client should do after this close. @default 401 → 'afterAuth', retryable → 'backoff', else 'never' */
  reconnect?: ReconnectAdvice;
  /** Session state survives a reconnect (resume with a cursor). @default false */
  resume?: boolean;
  /**
   * The error ends the session: the session-end event follows the error event, the connection closes with
   * the entry's close code (raised in a message handler too), and a client starts a new session instead of
   * resuming. The application ends its own record of the session. @default false
   */
  endsSession?: boolean;
}

/** A close code clients may see that no catalog error sends (1000, 1006, a client library's own codes). */
export interface CloseCodeDefinition {
  /** A short name, e.g. "Abnormal closure". */
  name: string;
  /** When it happens. */
  description?: string;
  /** @default 'backoff' for 1001, 1006, 1011–1014, else 'never' */
  reconnect?: ReconnectAdvice;
  /** @default false */
  resume?: boolean;
}

/** A documented close code with its kind derived: sent by a server, or only observed by clients. */
export interface CloseCodeInfo {
  readonly code: number;
  readonly name: string;
  readonly description: string | undefined;
  readonly reconnect: ReconnectAdvice;
  readonly resume: boolean;
  /** `sendable`: a server may send it; `observed`: clients see it, no endpoint sends it. */
  readonly kind: 'sendable' | 'observed';
}
