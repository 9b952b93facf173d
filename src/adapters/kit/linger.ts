import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { FaultlineConfigError } from '../../catalog/config-error.js';

/**
 * Bounds of the lingering close after an answer that leaves a body unread (413, 415, 408), as nginx's
 * `lingering_time`/`lingering_timeout`: the rest of the body is read and discarded so that the client
 * reads the answer instead of a reset, then the connection is closed.
 */
export interface LingerOptions {
  /**
   * The most bytes discarded; a client that sends more is cut off.
   * @default 16 MiB
   */
  maxBytes?: number;
  /**
   * The longest time, in milliseconds, spent discarding.
   * @default 5000
   */
  maxTime?: number;
  /**
   * The longest wait, in milliseconds, for the next bytes while discarding.
   * @default 1000
   */
  idleTimeout?: number;
}

/** Linger bounds with every default applied. */
export interface LingerBounds {
  readonly maxBytes: number;
  readonly maxTime: number;
  readonly idleTimeout: number;
}

// Node's timers take at most 2^31 − 1 ms; a longer wait would fire at once.
const maxTimer = 2_147_483_647;

function bound(name: string, value: number | undefined, fallback: number, unit: string, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new FaultlineConfigError(
      'FAULTLINE_INVALID_OPTION',
      `linger option ${name} is ${JSON.stringify(value) ?? String(value)}; it takes a whole number of ${unit} from 0 to ${max} (default ${fallback})`,
    );
  }
  return value;
}

/** Applies the defaults to linger options and checks them once. */
export function toLingerBounds(options: LingerOptions = {}): LingerBounds {
  return {
    maxBytes: bound('maxBytes', options.maxBytes, 16 * 1024 * 1024, 'bytes', Number.MAX_SAFE_INTEGER),
    maxTime: bound('maxTime', options.maxTime, 5000, 'milliseconds', maxTimer),
    idleTimeout: bound('idleTimeout', options.idleTimeout, 1000, 'milliseconds', maxTimer),
  };
}

const lingering = Symbol.for('faultline.lingering');

// node's `parser.onIncoming` for a request not to be served: its body flows and is discarded (0: read it).
const dropRequest = (incoming: IncomingMessage): number => {
  incoming.resume();
  return 0;
};

/** True when a lingering close is under way on the socket: it discards what arrives, within its bounds. */
export function isLingering(socket: Socket): boolean {
  return (socket as Socket & { [lingering]?: true })[lingering] === true;
}

/**
 * Arms a lingering close on the request's socket; call it before the answer (with `Connection: close`)
 * is ended. Node ends such an answer with `socket.destroySoon()`, which closes as soon as the answer is
 * flushed: bytes still arriving are then refused with a reset, which also discards the unread answer at
 * the client. Here the socket instead half-closes (FIN after the answer) and reads and discards the body
 * within the bounds, then closes.
 */
export function linger(req: IncomingMessage, bounds: LingerBounds): void {
  const socket = req.socket as (Socket & { [lingering]?: true }) | null;
  // An injected request (Fastify's `inject`, light-my-request) has a stand-in socket with nothing to linger on.
  if (!socket || typeof socket.destroy !== 'function' || socket.destroyed || socket[lingering]) return;
  socket[lingering] = true;
  // node's parser dispatches every request buffered behind this one, whatever its answer says; with the
  // connection closing, none could be answered, and a client that sent one again would have it run twice.
  // From here node reads such requests (their bodies discarded) but no longer hands them to the app.
  const parser = (socket as { parser?: { onIncoming?: unknown } | null }).parser;
  if (parser && typeof parser.onIncoming === 'function') parser.onIncoming = dropRequest;
  let bytes = 0;
  let idle: ReturnType<typeof setTimeout> | undefined;
  const close = () => {
    clearTimeout(total);
    clearTimeout(idle);
    req.off('data', onData);
    socket.destroy();
  };
  const arm = () => {
    clearTimeout(idle);
    idle = setTimeout(close, bounds.idleTimeout);
  };
  const onData = (chunk: Uint8Array) => {
    bytes += chunk.length;
    if (bytes > bounds.maxBytes) close();
    else arm();
  };
  const total = setTimeout(close, bounds.maxTime);
  arm();
  // Read and discard: the body is abandoned, so other readers (a Web stream wrapper that would pause
  // the request when its queue fills) let go; a listener plus resume also keeps node from dumping it.
  req.removeAllListeners('data');
  req.on('data', onData);
  req.once('end', () => setImmediate(close));
  req.resume();
  socket.once('close', () => {
    clearTimeout(total);
    clearTimeout(idle);
  });
  socket.destroySoon = function destroySoon(this: Socket) {
    if (this.writable) this.end();
  };
}
