import { invalidOption } from '../catalog/config-error.js';
import { targetOf } from '../server/request.js';
import type { Awaitable, ClaimDecision, IdempotencyStore } from '../stores/types.js';
import { toCount, toMs } from './duration.js';
import { admitted, compileFailure, storeOf } from './failure.js';
import { fingerprintOf } from './fingerprint.js';
import { singleHeader } from './header.js';
import { raise, seconds } from './raise.js';
import { decodeResponse, encodeResponse } from './replay.js';
import type {
  CapturedResponse,
  Duration,
  Guard,
  GuardContext,
  GuardRequest,
  Replay,
  StoreOptions,
} from './types.js';
import { randomId } from './web-crypto.js';

/** Options of `idempotency`. */
export interface IdempotencyOptions extends StoreOptions<IdempotencyStore> {
  /**
   * Whose keys these are (an account, an API key): keys are scoped by it, so that one tenant never
   * replays another's response. Return a constant only for an API without callers to tell apart.
   */
  tenant: (request: GuardRequest) => string;
  /**
   * Whether a request without a key is refused (400) rather than run without idempotency.
   * @default false
   */
  required?: boolean;
  /**
   * The methods the guard applies to.
   * @default ['POST', 'PATCH']
   */
  methods?: readonly string[];
  /**
   * The header holding the key.
   * @default 'idempotency-key'
   */
  header?: string;
  /**
   * The longest key accepted.
   * @default 255
   */
  maxKeyLength?: number;
  /**
   * How long a completed response is replayed.
   * @default '24h'
   */
  ttl?: Duration;
  /**
   * How long a request may run holding its key: a process that dies mid-request frees it after this.
   * @default '1m'
   */
  lockTtl?: Duration;
  /**
   * The largest response body kept for replays, in bytes; a larger response frees the key, so that a
   * retry executes again. The store bounds what it keeps too (`maxRecordBytes`, 2 MiB by default, which
   * holds a 1 MiB body in base64 with its headers): an answer over the store's cap frees the key alike.
   * @default 1_048_576
   */
  maxResponseBytes?: number;
  /**
   * Which statuses are kept and replayed; others free the key so that a retry executes. By default a
   * request refused as sent (400, 413, 415, 422: its body or parameters failed, nothing ran) is not kept,
   * as Stripe keeps no result for a request that failed validation: the corrected request runs under the
   * same key, and the same one sent again is refused again.
   * @default status < 500 and not 400, 408, 409, 413, 415, 422, 429 or 499
   */
  keep?: (status: number) => boolean;
  /**
   * The payload fingerprint.
   * @default SHA-256 of the method, the path and query, and the body (canonical JSON when the body is JSON,
   * else its text, else its bytes)
   */
  fingerprint?: (request: GuardRequest, body: unknown) => string | Promise<string>;
}

// What is not kept: a failure (5xx), a wait (408, 409, 429), a request refused as it was sent, or the
// answer to a client that closed first (499, nginx's and Koa's), which a retry must run again.
const notKept = new Set([400, 408, 409, 413, 415, 422, 429, 499]);
const keepByDefault = (status: number) => status < 500 && !notKept.has(status);

/**
 * The path and query the fingerprint covers: a query is a payload too (`?amount=100`), as Stripe compares
 * every parameter. An empty query is none, so that a target without one keeps the fingerprint stored before.
 */
/** A claim decision whose stored answer has been read. */
type ReadDecision =
  | Exclude<ClaimDecision, { state: 'done' }>
  | { readonly state: 'done'; readonly stored: CapturedResponse };

/**
 * Reads the answer a `done` decision holds. One that is not an answer (altered in the store, or written by
 * another program) throws within the store's call: a store failure, answered by the guard's failure policy
 * (503 by default), never a 422 that blames the client's body nor a header node refuses (a 500).
 */
function readDecision(decision: ClaimDecision): ReadDecision {
  if (decision.state !== 'done') return decision;
  const stored = decodeResponse(decision.response);
  if (stored === undefined) throw new TypeError('idempotency store: the stored answer is malformed');
  return { state: 'done', stored };
}

function readable(decision: Awaitable<ClaimDecision>): Awaitable<ReadDecision> {
  return decision instanceof Promise ? decision.then(readDecision) : readDecision(decision);
}

function queryTargetOf(url: string | undefined): string {
  const target = (url === undefined ? undefined : targetOf(url)) ?? '/';
  const hash = target.indexOf('#');
  const bare = hash === -1 ? target : target.slice(0, hash);
  return normalEscapes(bare.endsWith('?') ? bare.slice(0, -1) : bare);
}

const percentEscape = /%([0-9A-Fa-f]{2})/g;
const unreserved = /^[A-Za-z0-9._~-]$/;

/**
 * One spelling of each percent-encoding (RFC 3986 §6.2.2): an unreserved character as itself (`%77s_1` is
 * `ws_1`, the resource a router decodes it to), any other escape in upper case. A retry spelled another
 * way is then the same request, never a 422 that blames its body. A target without `%` is left as it is.
 */
function normalEscapes(target: string): string {
  if (!target.includes('%')) return target;
  return target.replace(percentEscape, (_, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return unreserved.test(char) ? char : `%${hex.toUpperCase()}`;
  });
}

// RFC 8941 sf-string: printable ASCII in quotes, `\` escaping only `"` and `\`. Bare values are accepted too,
// as Stripe's clients send them, without a comma: a proxy joins two key lines with one (`a, b` or `a,b`),
// and that is two keys, never one.
const quoted = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/;
const bare = /^[\x21\x23-\x2b\x2d-\x5b\x5d-\x7e]+$/;

/**
 * The key of an `Idempotency-Key` field value (an RFC 8941 string, or a bare token), or undefined when it is
 * malformed, empty or longer than `maxLength`.
 * @example
 * parseIdempotencyKey('"8e03978e-40d5-43e8-bc93-6894a57f9324"') // '8e03978e-…'
 */
export function parseIdempotencyKey(value: string, maxLength = 255): string | undefined {
  const trimmed = value.trim();
  const match = quoted.exec(trimmed);
  const key = match ? match[1]!.replace(/\\(["\\])/g, '$1') : bare.test(trimmed) ? trimmed : undefined;
  if (key === undefined || key.length === 0 || key.length > maxLength) return undefined;
  return key;
}

/**
 * Makes POST and PATCH retry-safe per draft-ietf-httpapi-idempotency-key-header: the first request with a
 * key runs and its response (status, headers, body) is kept and replayed to later requests with the same
 * key and payload, marked `Idempotent-Replayed: true`. A key in flight answers 409 with `Retry-After` set
 * to the lock's remaining life, a key reused with another payload 422, a missing (when required) or
 * malformed key 400. A 5xx response, a request refused as it was sent (400, 413, 415, 422), a process that
 * dies mid-request, or a claim refused because the store failed (503) frees the key so that the retry
 * executes.
 * @example
 * const once = idempotency({ tenant: (r) => headerOf(r.headers, 'x-api-key') ?? '', required: true });
 */
export function idempotency(options: IdempotencyOptions): Guard {
  const methods = new Set((options.methods ?? ['POST', 'PATCH']).map((m) => m.toUpperCase()));
  const header = (options.header ?? 'idempotency-key').toLowerCase();
  const maxKeyLength = toCount(options.maxKeyLength ?? 255, 'idempotency maxKeyLength');
  const ttl = toMs(options.ttl ?? '24h', 'idempotency ttl');
  const lock = toMs(options.lockTtl ?? '1m', 'idempotency lockTtl');
  const maxBytes = toCount(options.maxResponseBytes ?? 1_048_576, 'idempotency maxResponseBytes');
  const keep = options.keep ?? keepByDefault;
  const store = storeOf(options, 'idempotency', 'IdempotencyStore');
  const decide = compileFailure(options, store);
  if (typeof options.tenant !== 'function') throw invalidOption('idempotency needs a tenant function');

  function settle(context: GuardContext, key: string, token: string): void {
    const swallow = (run: () => unknown) => {
      try {
        const result = run();
        if (result instanceof Promise) result.catch(() => undefined);
      } catch {
        // The lock expires after lockTtl if the store cannot hear us.
      }
    };
    context.capture((response) => {
      if (response && keep(response.status))
        swallow(() => store.complete(key, token, encodeResponse(response), ttl));
      else swallow(() => store.abandon(key, token));
    }, maxBytes);
  }

  function conclude(
    context: GuardContext,
    key: string,
    token: string,
    decision: ReadDecision | typeof admitted,
  ): Replay | undefined {
    if (decision === admitted) return undefined;
    switch (decision.state) {
      case 'claimed':
        settle(context, key, token);
        return undefined;
      case 'pending':
        // The lock's remaining life: the first request answers by then, or its lock expires.
        throw raise('idempotencyInFlight', undefined, {
          'retry-after': String(Math.max(1, seconds(decision.retryAfterMs))),
        });
      case 'mismatch':
        throw raise('idempotencyKeyReused');
      default:
        return {
          replay: {
            ...decision.stored,
            headers: [...decision.stored.headers, ['idempotent-replayed', 'true']],
          },
        };
    }
  }

  // Async: the default fingerprint is a Web Crypto digest, which only resolves.
  async function claim(context: GuardContext, key: string, body: unknown): Promise<Replay | undefined> {
    const { request } = context;
    const method = (request.method ?? 'GET').toUpperCase();
    let fingerprint: string;
    try {
      fingerprint = await (options.fingerprint
        ? options.fingerprint(request, body)
        : fingerprintOf(method, queryTargetOf(request.url), body));
    } catch {
      throw raise('badRequest');
    }
    const tenant = options.tenant(request);
    const scoped = `${tenant.length}:${tenant}:${key}`;
    const token = randomId();
    const decision = decide(request, (deadline) =>
      readable(store.claim(scoped, fingerprint, token, lock, deadline)),
    );
    return decision instanceof Promise
      ? decision.then((d) => conclude(context, scoped, token, d))
      : conclude(context, scoped, token, decision);
  }

  return {
    kind: 'idempotency',
    check(context) {
      const { request } = context;
      if (!methods.has((request.method ?? 'GET').toUpperCase())) return undefined;
      // A key sent on two lines names two requests: refuse it rather than pick one (RFC 9110 §5.3).
      const value = singleHeader(request.headers, header, 'idempotencyKeyInvalid');
      if (value === undefined) {
        if (options.required) throw raise('idempotencyKeyMissing');
        return undefined;
      }
      const key = parseIdempotencyKey(value, maxKeyLength);
      if (key === undefined) throw raise('idempotencyKeyInvalid');
      const body = context.body();
      return body instanceof Promise ? body.then((b) => claim(context, key, b)) : claim(context, key, body);
    },
  };
}
