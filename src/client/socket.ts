import { ApiError, type ApiErrorInit } from '../catalog/api-error.js';
import type { Catalog } from '../catalog/types.js';
import { errorInitFromBody } from '../format/detect.js';
import { matchMessage } from '../format/match-message.js';
import type { ErrorFormat } from '../format/types.js';
import { wsEvent } from '../ws/event-format.js';
import { parseErrorResponse } from './parse-response.js';
import { timerDelay } from './retry.js';
import { type CloseDecision, classifyClose } from './socket-close.js';
import { type NodeHandshake, responseOf } from './socket-handshake.js';
import { readMessage } from './socket-message.js';
import type { SocketClient, SocketEvents, SocketOptions, WebSocketLike } from './socket-types.js';

type Listeners = { [E in keyof SocketEvents]: Set<SocketEvents[E]> };

// A message-only event names no code: an interpolated message is read back through the catalog's templates.
function fromTemplate(init: ApiErrorInit, catalog: Catalog<any>, message: string, status: unknown): void {
  const found = matchMessage(catalog, message);
  if (found === undefined || found.details === undefined) return;
  const entry = found.entry;
  init.code = entry.code;
  init.status = typeof status === 'number' ? status : entry.status;
  init.details = init.details ?? found.details;
  init.id = entry.id;
  init.category = entry.category;
  init.retryable = entry.retryable;
  init.type = entry.type;
  init.role = entry.role;
}

function handshakeDecision(error: ApiError): CloseDecision {
  if (error.status === 401) return 'afterAuth';
  return error.status === 408 || error.status === 429 || error.status >= 500 ? 'backoff' : 'never';
}

/**
 * Connects a reconnecting WebSocket that speaks the catalog: error events become typed `ApiError`s, a close
 * becomes an `ApiError` and a reconnect decision from the catalog's `ws` blocks, and a refused handshake is
 * parsed like a REST error (with `ws` in Node). Backoff has full jitter and resets after `minUptime`.
 * @example
 * const socket = connectSocket('wss://api.example.com/v1/ws', { WebSocket, catalog, refresh: renewToken });
 * socket.on('error', (error) => console.log(error.code));
 */
export function connectSocket(url: string | (() => string), options: SocketOptions): SocketClient {
  const listeners: Listeners = {
    open: new Set(),
    message: new Set(),
    error: new Set(),
    close: new Set(),
    reconnect: new Set(),
  };
  const event: ErrorFormat = options.event ?? wsEvent;
  const catalog = options.catalog;
  const policy = options.reconnect === false ? undefined : (options.reconnect ?? {});
  const base = policy?.base ?? 1000;
  const cap = policy?.cap ?? 30_000;
  const minUptime = policy?.minUptime ?? 5000;
  const maxAttempts = policy?.maxAttempts ?? Number.POSITIVE_INFINITY;
  const maxNeverOpened = policy?.maxNeverOpened ?? 8;
  const random = policy?.random ?? Math.random;
  const maxRetryAfter = policy?.maxRetryAfter ?? 300_000;
  const connectTimeout = options.connectTimeout ?? 30_000;

  let socket: WebSocketLike | undefined;
  let state: SocketClient['state'] = 'connecting';
  let attempts = 0;
  let neverOpened = 0;
  let refreshed = false;
  let resumeNext = false;
  let stopped = false;
  /** The wait, in seconds, that what ended the connection asked for: its close, or the refused handshake. */
  let retryAfter: number | undefined;
  /** The last error event of this connection: a close whose reason names its code takes its wait. */
  let announced: { code: string; wait: number | undefined } | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let healthy: ReturnType<typeof setTimeout> | undefined;
  let connecting: ReturnType<typeof setTimeout> | undefined;

  function emit<E extends keyof SocketEvents>(name: E, ...args: Parameters<SocketEvents[E]>): void {
    for (const listener of listeners[name]) {
      try {
        (listener as (...a: unknown[]) => void)(...args);
      } catch {
        // A failing listener must not stop the others or the socket.
      }
    }
  }

  function target(): string {
    const base = typeof url === 'function' ? url() : url;
    const cursor = resumeNext ? options.resume?.cursor() : undefined;
    if (cursor === undefined) return base;
    const next = new URL(base);
    next.searchParams.set(options.resume?.param ?? 'cursor', cursor);
    return next.toString();
  }

  function onMessage(data: unknown): void {
    const { value: parsed, json } = readMessage(data);
    if (!json) {
      emit('message', parsed);
      return;
    }
    let error: ApiError | undefined;
    try {
      error = errorOf(parsed);
    } catch {
      // An event no reader can walk (nested past the stack) is none of the error events: a message as sent.
    }
    if (error) emit('error', error);
    else emit('message', parsed);
  }

  /** The error an event stands for, or undefined when it is not an error event. */
  function errorOf(parsed: unknown): ApiError | undefined {
    if (event.match(parsed) <= 0) return undefined;
    const fields = event.parse(parsed) as Record<string, unknown> | undefined;
    const init = errorInitFromBody(parsed, { formats: [event], ...(catalog ? { catalog } : {}) });
    if (catalog && fields?.code === undefined && typeof fields?.message === 'string') {
      fromTemplate(init, catalog, fields.message, fields.status);
    }
    const wait = typeof fields?.retryAfter === 'number' ? fields.retryAfter : undefined;
    // An in-session event's wait is advice about one message; it becomes the reconnect's wait only if
    // the close that follows names its code (faultline's connection-scope error: the event, then the close).
    announced = { code: init.code, wait };
    const error = new ApiError({ ...init, retryAfter: wait }, { stack: false });
    if (fields?.replyTo !== undefined) (error as { replyTo?: unknown }).replyTo = fields.replyTo;
    return error;
  }

  function open(): void {
    if (stopped) return;
    state = 'connecting';
    let opened = false;
    let handshake: Promise<ApiError> | undefined;
    let current: WebSocketLike;
    try {
      current = new options.WebSocket(target(), options.protocols);
    } catch (thrown) {
      emit(
        'error',
        new ApiError({ code: 'WS_CONNECT_FAILED', status: 400, message: String(thrown) }, { stack: false }),
      );
      stopped = true;
      state = 'closed';
      return;
    }
    socket = current;
    // A handshake the server never answers would hold `connecting` forever (`ws` sets no deadline of its own).
    connecting = setTimeout(() => current.close(), timerDelay(connectTimeout));
    (current as NodeHandshake).on?.('unexpected-response', (request, response) => {
      handshake = Promise.resolve()
        .then(() => parseErrorResponse(responseOf(response), catalog ? { catalog } : {}))
        .finally(() => {
          try {
            request.destroy();
          } catch {}
          try {
            current.close();
          } catch {}
        });
    });
    current.addEventListener('open', () => {
      opened = true;
      retryAfter = undefined;
      announced = undefined;
      clearTimeout(connecting);
      neverOpened = 0;
      state = 'open';
      healthy = setTimeout(() => {
        attempts = 0;
        refreshed = false;
      }, minUptime);
      emit('open');
    });
    current.addEventListener('message', (e: { data: unknown }) => onMessage(e.data));
    current.addEventListener('error', () => {});
    current.addEventListener('close', (e: { code: number; reason: string }) => {
      clearTimeout(healthy);
      clearTimeout(connecting);
      if (!opened) neverOpened++;
      const info = { code: e.code, reason: e.reason };
      if (handshake) {
        handshake.then(
          (error) => {
            emit('error', error);
            retryAfter = error.retryAfter;
            after(error, handshakeDecision(error), false, info);
          },
          () => after(undefined, 'backoff', false, info),
        );
        return;
      }
      const { error, reconnect, resume } = classifyClose(e.code, e.reason, catalog);
      retryAfter = e.reason !== '' && announced?.code === e.reason ? announced.wait : undefined;
      announced = undefined;
      after(error, reconnect, resume, info);
    });
  }

  function after(
    error: ApiError | undefined,
    decision: CloseDecision,
    resume: boolean,
    info: { code: number; reason: string },
  ): void {
    socket = undefined;
    let next = decision;
    if (stopped || policy === undefined) next = 'stop';
    else if (next === 'afterAuth') next = refreshed || options.refresh === undefined ? 'never' : 'afterAuth';
    const wait = retryAfter === undefined ? undefined : retryAfter * 1000;
    retryAfter = undefined;
    if (
      next !== 'stop' &&
      next !== 'never' &&
      // A wait past maxRetryAfter is reported (the error that asked for it carries it), never slept.
      (attempts >= maxAttempts ||
        neverOpened >= maxNeverOpened ||
        (wait !== undefined && wait > maxRetryAfter))
    ) {
      next = 'never';
    }
    emit('close', error, next, info);
    if (next === 'stop' || next === 'never') {
      stopped = true;
      state = 'closed';
      return;
    }
    resumeNext = resume && options.resume !== undefined;
    state = 'waiting';
    if (next === 'afterAuth') {
      refreshed = true;
      Promise.resolve()
        .then(() => options.refresh!())
        .then(
          () => schedule(0),
          () => {
            stopped = true;
            state = 'closed';
          },
        );
      return;
    }
    // Full jitter, from the first attempt on (RFC 6455 §7.2.3), so that many clients do not come back at once.
    // `immediate` only after a healthy connection: a server that closes every socket at once gets backoff.
    const soon = next === 'immediate' && attempts === 0;
    const ceiling = soon ? Math.min(base, 1000) : Math.min(cap, base * 2 ** attempts);
    let delay = Math.floor(random() * ceiling);
    if (wait !== undefined) delay = Math.max(delay, wait * (1 + random() * 0.2));
    // Node and browsers fire a timer past 2^31 - 1 ms at once: a server's huge wait would be a reconnect storm.
    schedule(timerDelay(Math.floor(delay)));
  }

  function schedule(delay: number): void {
    attempts++;
    emit('reconnect', delay, attempts);
    timer = setTimeout(open, delay);
  }

  open();

  return {
    send(message) {
      if (socket === undefined || socket.readyState !== 1) return false;
      try {
        socket.send(typeof message === 'string' ? message : JSON.stringify(message));
        return true;
      } catch {
        return false;
      }
    },
    close(code = 1000, reason = '') {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(healthy);
      clearTimeout(connecting);
      state = 'closed';
      try {
        socket?.close(code, reason);
      } catch {
        socket?.close();
      }
    },
    on(name, listener) {
      (listeners[name] as Set<typeof listener>).add(listener);
      return () => {
        (listeners[name] as Set<typeof listener>).delete(listener);
      };
    },
    get attempts() {
      return attempts;
    },
    get state() {
      return state;
    },
  };
}
