import type { ServerResponse } from 'node:http';
import { listValued } from './list-fields.js';
import type { CapturedResponse, GuardContext, GuardRequest } from './types.js';

type Chunk = string | Uint8Array;
type Callback = (error?: Error | null) => void;

function toBytes(chunk: unknown, encoding: unknown): Uint8Array | undefined {
  if (chunk === undefined || chunk === null || typeof chunk === 'function') return undefined;
  if (chunk instanceof Uint8Array) return chunk;
  return Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
}

function headerPairs(headers: Record<string, unknown>): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (Array.isArray(value)) for (const item of value) pairs.push([lower, String(item)]);
    else pairs.push([lower, String(value)]);
  }
  return pairs;
}

/** The guard context over a node `ServerResponse` (node, Express, Fastify's raw response). */
export interface NodeGuardContext extends GuardContext {
  /** Writes the admitted response's headers (`set` defaults to `res.setHeader`). */
  /**
   * Writes the guards' headers on the admitted response (`set` defaults to `res.setHeader`). `RateLimit` and
   * `RateLimit-Policy` are lists (RFC 9651): a chain of guards after another adds its policies to what the
   * first wrote (read with `get`, by default `res.getHeader`) instead of replacing them.
   */
  apply(set?: (name: string, value: string) => void, get?: (name: string) => unknown): void;
  /**
   * The answer a framework made but will not write, its client having hung up (Koa skips `res.end`):
   * settles what `capture` waits for, as the written answer would have. `undefined` for a failure.
   */
  unsent(status: number | undefined, body?: Uint8Array): void;
  /**
   * The answer as it passed the guard (Koa's `ctx.body` after the route), kept instead of what reached the
   * socket when both have one status: a layer between the guard and the socket (koa-compress) codes the
   * body on its way out, and codes the replay again, for the retry's own `Accept-Encoding`.
   */
  made(status: number, headers: Record<string, unknown>, body: Uint8Array): void;
  /** Tells `watchHandler`'s listeners that the handler has settled, or will not run; once. */
  handlerEnded(): void;
}

// Marks a response the error layer cut because its answer had started when the handler failed.
const cut = Symbol('faultline.cut');

/**
 * Cuts a response whose answer had started when its handler failed: the connection's end is the only
 * signal left. Unlike a client's hang-up, it tells the guards the answer failed (an idempotency key is freed
 * for the retry, as after a 5xx), where a hang-up leaves the outcome to the handler.
 */
export function cutAnswer(res: ServerResponse): void {
  (res as unknown as Record<symbol, boolean>)[cut] = true;
  res.destroy();
}

/**
 * Builds the guard context of one node request; `body` yields the payload for fingerprints. With
 * `seesHandler`, the adapter calls `handlerEnded` once the handler has settled (node's `guard()`, Koa), and
 * the context has `watchHandler`.
 */
export function nodeContext(
  request: GuardRequest,
  res: ServerResponse,
  body: () => unknown,
  seesHandler = false,
): NodeGuardContext {
  const headers = new Map<string, string>();
  let settleUnsent: ((status: number | undefined, body?: Uint8Array) => void) | undefined;
  let made: CapturedResponse | undefined;
  let listeners: ((status: number | undefined) => void)[] | undefined;
  // Set once the response is over: its status, or undefined when the connection closed first.
  let over: { status: number | undefined } | undefined;

  const fire = (status: number | undefined) => {
    if (over !== undefined) return;
    over = { status };
    for (const each of listeners!) call(each, status);
  };

  function watch(): void {
    // A response queued behind a pipelined one emits neither 'finish' nor 'close' when its client hangs up
    // (node 20): the socket's own close tells it. Let go once the response is over, as a keep-alive socket
    // serves many.
    const socket = res.req?.socket as ServerResponse['socket'] | undefined;
    const closed = () => fire(res.writableFinished ? res.statusCode : undefined);
    const unwatch = socket ? whenClosed(socket, closed) : undefined;
    res.once('finish', () => {
      unwatch?.();
      fire(res.statusCode);
    });
    res.once('close', () => {
      unwatch?.();
      closed();
    });
    // A guard that awaited (a store, an earlier guard) may ask after the response is already over.
    if (res.writableFinished) fire(res.statusCode);
    else if (res.destroyed || socket?.destroyed === true) closed();
  }

  function onFinish(listener: (status: number | undefined) => void): void {
    if (over !== undefined) call(listener, over.status);
    else if (listeners === undefined) {
      listeners = [listener];
      watch();
    } else listeners.push(listener);
  }

  function capture(listener: (response: CapturedResponse | undefined) => void, maxBytes: number): void {
    const chunks: Uint8Array[] = [];
    let size = 0;
    let overflow = false;
    // The headers as the answer passes the guard, taken when it writes its head: a layer between the guard
    // and the socket (Express `compression()`) sets its own in that head (Content-Encoding) over a body the
    // guard never sees coded, and sets them again, for the retry, on the replay the guard sends.
    let headed: Record<string, unknown> | undefined;
    const take = (chunk: unknown, encoding: unknown) => {
      const bytes = toBytes(chunk, encoding);
      if (!bytes || overflow) return;
      size += bytes.byteLength;
      if (size > maxBytes) overflow = true;
      else chunks.push(bytes);
    };
    const writeHead = res.writeHead;
    res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      headed ??= { ...res.getHeaders(), ...explicitOf(args[args.length - 1]) };
      return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as typeof res.writeHead;
    // Set while `end` runs: a response whose `end(chunk)` writes the chunk through `write` (light-my-request's,
    // under Fastify's `inject()`) would otherwise have it taken twice.
    let ending = false;
    const write = res.write;
    res.write = function (this: ServerResponse, chunk: Chunk, encoding?: unknown, callback?: Callback) {
      if (!ending) take(chunk, encoding);
      return (write as (...a: unknown[]) => boolean).call(this, chunk, encoding, callback);
    } as typeof res.write;
    // The handler's answer is known when it ends the response, even after its client hung up: a request
    // whose caller went away keeps running, and its outcome (not the hang-up) settles the capture. A
    // handler that never answers leaves it unsettled, and the store's own expiry (a lock's TTL) ends it.
    let ended = false;
    let hungUp = false;
    let delivered = false;
    const deliver = (status: number | undefined) => {
      if (delivered) return;
      delivered = true;
      if (status === undefined) return listener(undefined);
      if (made?.status === status) {
        const { headers: madeHeaders, body } = made;
        return listener(body.byteLength > maxBytes ? undefined : { status, headers: madeHeaders, body });
      }
      if (overflow) return listener(undefined);
      // No head written through the guard (a client gone before it): the headers as they stand.
      const all = headed ?? res.getHeaders();
      const body = new Uint8Array(size);
      let offset = 0;
      for (const chunk of chunks) {
        body.set(chunk, offset);
        offset += chunk.byteLength;
      }
      listener({ status, headers: headerPairs(all), body });
    };
    const end = res.end;
    res.end = function (this: ServerResponse, chunk?: unknown, encoding?: unknown, callback?: unknown) {
      take(chunk, encoding);
      ended = true;
      ending = true;
      let result: ServerResponse;
      try {
        result = (end as (...a: unknown[]) => ServerResponse).call(this, chunk, encoding, callback);
      } finally {
        ending = false;
      }
      if (hungUp) deliver(this.statusCode);
      return result;
    } as typeof res.end;
    onFinish((status) => {
      if ((res as unknown as Record<symbol, boolean>)[cut]) return deliver(undefined);
      if (status !== undefined || ended) return deliver(status ?? res.statusCode);
      hungUp = true;
    });
    settleUnsent = (status, bytes) => {
      if (ended) return;
      if (bytes !== undefined) take(bytes, undefined);
      deliver(status);
    };
  }

  let ends: (() => void)[] | undefined;
  const watchHandler = (ended: () => void, left: () => void) => {
    ends ??= [];
    ends.push(ended);
    onFinish((status) => {
      if (status === undefined) left();
    });
  };

  return {
    request,
    headers,
    onFinish,
    body,
    capture,
    watchHandler: seesHandler ? watchHandler : undefined,
    handlerEnded() {
      const all = ends;
      if (all === undefined) return;
      ends = [];
      for (const each of all) call(each, undefined);
    },
    apply(set, get) {
      for (const [name, value] of headers) {
        const written = listValued.has(name) ? listOf(get ? get(name) : res.getHeader(name)) : '';
        const combined = written === '' ? value : `${written}, ${value}`;
        if (set) set(name, combined);
        else res.setHeader(name, combined);
      }
    },
    unsent(status, bytes) {
      settleUnsent?.(status, bytes);
    },
    made(status, madeHeaders, body) {
      made = { status, headers: headerPairs(madeHeaders), body };
    },
  };
}

// A list field as written on a response: one line, several, or none ('').
function listOf(value: unknown): string {
  if (typeof value === 'string') return value;
  return Array.isArray(value) ? value.filter((v) => typeof v === 'string' && v !== '').join(', ') : '';
}

// The headers given to `writeHead`, lower case as `getHeaders()` names them: a `Content-Type` given there
// replaces, never doubles, one set before.
function explicitOf(last: unknown): Record<string, unknown> {
  if (!last || typeof last !== 'object') return {};
  const given = Array.isArray(last) ? pairsOfFlat(last as string[]) : Object.entries(last as object);
  return Object.fromEntries(given.map(([name, value]) => [String(name).toLowerCase(), value]));
}

function pairsOfFlat(flat: string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
  return pairs;
}

/** Sends a stored response on a node `ServerResponse`. */
export function sendReplay(res: ServerResponse, replay: CapturedResponse): void {
  res.statusCode = replay.status;
  // A stored header replaces what a middleware before the guard set on this request (the first answer
  // holds it already): sent twice, an Access-Control-Allow-Origin is refused by every browser. Only the
  // stored lines of one name (two Set-Cookie) are sent together.
  const replaced = new Set<string>();
  for (const [name, value] of replay.headers) {
    const current = replaced.has(name) ? res.getHeader(name) : undefined;
    replaced.add(name);
    if (current === undefined) res.setHeader(name, value);
    else res.setHeader(name, [...(Array.isArray(current) ? current : [String(current)]), value]);
  }
  // A 204 or 304 states no length (RFC 9110 §8.6), and sends no body; a 205 may state `Content-Length: 0`.
  if (replay.status === 204 || replay.status === 304) res.end();
  else {
    res.setHeader('content-length', replay.body.byteLength);
    res.end(replay.body);
  }
}

// The requests of one socket waiting for its close: one listener per socket, however many requests are
// pipelined on it, so that a client cannot pile listeners on it.
const closeWaiters = new WeakMap<object, Set<() => void>>();

/** Calls `closed` when `socket` closes; returns what stops waiting. */
function whenClosed(socket: NonNullable<ServerResponse['socket']>, closed: () => void): () => void {
  let waiting = closeWaiters.get(socket);
  if (waiting === undefined) {
    const all = new Set<() => void>();
    waiting = all;
    closeWaiters.set(socket, all);
    socket.once('close', () => {
      for (const each of all) each();
      all.clear();
    });
  }
  const own = waiting;
  own.add(closed);
  return () => own.delete(closed);
}

function call(listener: (status: number | undefined) => void, status: number | undefined): void {
  try {
    listener(status);
  } catch {
    // A listener's failure must not break the response of others.
  }
}
