import type { ApiError } from '../catalog/api-error.js';
import type { RoleError } from '../catalog/role-error.js';
import type { RequestView } from '../server/request.js';
import type { Awaitable, Store, StoreBase } from '../stores/types.js';

/** The request a guard sees: the request view, with the peer address for per-IP keys. */
export interface GuardRequest extends RequestView {
  /** The peer address (after the framework's trust-proxy rules). */
  readonly ip?: string | undefined;
  /**
   * The route's parameters (`/items/:id` → `{ id }`), where the guard runs after routing: Express route
   * middleware (`req.params`), Fastify hooks (`request.params`), Hono route middleware (`c.req.param()`),
   * and the node router's routes. Undefined where no route has matched yet (a guard over the whole app).
   * A parameter is whatever the caller put in the URL: key on it together with who the caller is.
   */
  readonly params?: Readonly<Record<string, string | undefined>> | undefined;
}

/** A response as sent, captured for idempotent replays. */
export interface CapturedResponse {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Uint8Array;
}

/** What an adapter gives the guards of one request. */
export interface GuardContext {
  readonly request: GuardRequest;
  /** Headers for the admitted response; list fields (`RateLimit`) accumulate. */
  readonly headers: Map<string, string>;
  /** Called once when the response is sent (with its status) or the connection closes first (undefined). */
  onFinish(listener: (status: number | undefined) => void): void;
  /** The request payload, for fingerprints: bytes, text, or the parsed body; undefined when there is none. */
  body(): unknown;
  /** Asks for the response as sent; undefined when it was not captured whole (aborted, too large). */
  capture(listener: (response: CapturedResponse | undefined) => void, maxBytes: number): void;
  /**
   * Where the adapter sees the admitted handler run (node's `guard()`, Koa, Hono): `ended` is called once
   * the handler has settled, or once the guards did not let it run (a denial, a replay), and `left` when
   * the client hangs up before its answer. A concurrency lease is held until both the handler and the
   * response are over, so that a caller who hangs up frees no slot while its handler runs on; it stops
   * renewing when the client leaves, so that a handler that never ends holds it for one `ttl` at most.
   * Undefined where the adapter cannot see the handler end (Express middleware, Fastify hooks, WebSocket
   * messages): a lease is given back when the response is over.
   */
  watchHandler?(ended: () => void, left: () => void): void;
}

/** A stored response a guard answers instead of running the handler. */
export interface Replay {
  readonly replay: CapturedResponse;
}

/** A guard's refusal: the role the catalog answers (`rateLimited`), or an error of the catalog. */
export type Denial = RoleError | ApiError;

/**
 * A guard: admits a request (`undefined`), denies it, or answers it with a replay. A denial is a result,
 * as a store's is: `check` returns it. A guard that throws or rejects with a `RoleError` or an ApiError is
 * answered alike, but a throw costs more than the rest of a denial; the built-in rate limit returns.
 * Run guards through an adapter's `guard(...)` or `checkMessage`, which answer both; a caller of `check`
 * itself must look at what it returns.
 */
export interface Guard {
  /** The guard's kind, for logs: `rateLimit`, `quota`, … */
  readonly kind: string;
  /** Checks one request: `undefined` admits it, a `Denial` refuses it, a `Replay` answers it. */
  check(context: GuardContext): Awaitable<Replay | Denial | undefined>;
}

/**
 * What a guard does when its store fails or does not answer in time: admit (`open`), deny with the
 * catalog's `STORE_UNAVAILABLE` (`closed`), or decide per error.
 */
export type FailurePolicy =
  | 'open'
  | 'closed'
  | ((error: unknown, request: GuardRequest) => 'open' | 'closed' | ApiError | RoleError);

/**
 * Options every stateful guard takes; `S` is the capability its store needs (`RateStore` for
 * `rateLimit`), so that a store of that capability alone fits.
 */
export interface StoreOptions<S extends StoreBase = Store> {
  /**
   * Where the guard keeps its state: a store with the capability the guard uses, checked when the guard
   * is created.
   * @default one memoryStore() shared by the guards of the process
   */
  store?: S;
  /**
   * What to do when the store fails or times out.
   * @default 'closed'
   */
  onStoreError?: FailurePolicy;
  /**
   * How long a store decision may take, in ms, before the failure policy answers.
   * @default 1000
   */
  storeTimeout?: number;
  /**
   * The `Retry-After` of the closed answer, in seconds.
   * @default 5
   */
  storeRetryAfter?: number;
}

/** A function of the request giving the key state is counted under; `undefined` skips the guard. */
export type KeyOf = (request: GuardRequest) => string | undefined;

/** A duration: milliseconds, or a string such as `'30s'`, `'1m'`, `'1h'`, `'1d'`. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

/**
 * An option fixed for the guard, or a function of the request giving it per request (a tenant's own
 * limit). A value it gives that the option does not take answers the catalog's 500 and logs a
 * configuration error, never an admission. It may return a promise (a lookup), which makes that check
 * asynchronous: a lookup that rejects or outlasts the guard's `storeTimeout` is answered by its
 * `onStoreError`, as `apiKey`'s key lookup is. A constant keeps the check synchronous on the memory store.
 */
export type PerRequest<T> = T | ((request: GuardRequest) => T | Promise<T>);

/** Which admitted requests a guard spends on: all of them, or only those whose response succeeded. */
export type Count = 'all' | 'succeeded';
