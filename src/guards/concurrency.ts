import { roleError } from '../catalog/role-error.js';
import type { LeaseDecision, LeaseStore } from '../stores/types.js';
import { claimNames } from './claims.js';
import { toCount, toMs } from './duration.js';
import { admitted, compileFailure, storeOf } from './failure.js';
import { errorCodeOf, type GuardError } from './guard-error.js';
import { seconds } from './raise.js';
import type { Duration, Guard, GuardContext, GuardRequest, KeyOf, StoreOptions } from './types.js';
import { randomId } from './web-crypto.js';

/** Options of `concurrency`. */
export interface ConcurrencyOptions extends StoreOptions<LeaseStore> {
  /**
   * The catalog error a denial answers instead of `CONCURRENCY_LIMITED`: the catalog's entry, checked now (an error
   * status; its message names only `{limit}`), or its code, checked when the handler answers.
   * @example error: errors.entries.PLAN_CONCURRENCY_LIMITED
   */
  error?: GuardError;
  /** What the leases are counted under (a session, an API key); `undefined` skips the guard. */
  key: KeyOf;
  /** Leases held at once per key. */
  limit: number;
  /**
   * How long a lease lives without renewal: a lease of a process that died expires after it. Held leases
   * renew themselves every third of it.
   * @default '1m'
   */
  ttl?: Duration;
  /**
   * The name leases are counted under, so that two guards with the same keys stay apart.
   * @default 'concurrency'
   */
  name?: string;
}

/** A held lease. */
export interface Lease {
  /** Gives the lease back; safe to call twice; never throws or rejects. */
  release(): void;
}

/** A concurrency guard, also usable outside HTTP (WebSocket connections). */
export interface ConcurrencyGuard extends Guard {
  /**
   * Takes a lease for `request`, or throws the catalog's `CONCURRENCY_LIMITED` (429 + `Retry-After`);
   * undefined when the key function skips the request or the failure policy admits it.
   */
  acquire(request: GuardRequest): Promise<Lease | undefined>;
}

/**
 * Counts in-flight requests or open connections per key with leases: taken at admission, released when
 * the response finishes or the socket closes (whatever its status) and, under node's `guard()`, Koa and
 * Hono, the handler has ended too (a caller who hangs up frees no slot while its handler runs on, for one
 * `ttl` at most: the lease stops renewing once the response is over), expired after a TTL when their
 * process died.
 * @example
 * const perSession = concurrency({ key: (r) => sessionOf(r), limit: 10 });
 * const lease = await perSession.acquire(request); // WebSocket upgrade
 * socket.on('close', () => lease?.release());
 */
export function concurrency(options: ConcurrencyOptions): ConcurrencyGuard {
  const limit = toCount(options.limit, 'concurrency limit');
  const ttl = toMs(options.ttl ?? '1m', 'concurrency ttl');
  const name = options.name ?? 'concurrency';
  const store = storeOf(options, 'concurrency', 'LeaseStore');
  const code = errorCodeOf(options, 'concurrency', ['limit']);
  claimNames(store, 'concurrency', [{ space: 'lease', name, explicit: options.name !== undefined }]);
  const decide = compileFailure(options, store);

  function hold(key: string, id: string): HeldLease {
    let released = false;
    const swallow = (run: () => unknown) => {
      try {
        const result = run();
        if (result instanceof Promise) result.catch(() => undefined);
      } catch {
        // The lease expires after its TTL if the store cannot hear the release.
      }
    };
    // A lease the store lost while its holder still runs (Redis restarted without its data, or frozen past
    // the ttl) is taken again whatever the count: the holder is there, and newcomers must find it counted.
    const again = (renewed: boolean) =>
      renewed || released ? undefined : store.acquire(key, id, Number.MAX_SAFE_INTEGER, ttl);
    const renew = () => {
      const renewed = store.renew(key, id, ttl);
      return renewed instanceof Promise ? renewed.then(again) : again(renewed);
    };
    const timer = setInterval(() => swallow(renew), Math.max(10, ttl / 3));
    // A Web runtime's timer is a number, with no `unref`.
    timer.unref?.();
    return {
      release() {
        if (released) return;
        released = true;
        clearInterval(timer);
        swallow(() => store.release(key, id));
      },
      lapse() {
        clearInterval(timer);
      },
    };
  }

  function take(request: GuardRequest): Promise<HeldLease | undefined> | HeldLease | undefined {
    const key = options.key(request);
    if (key === undefined) return undefined;
    const storeKey = `${name}:${key}`;
    const id = randomId();
    const conclude = (decision: LeaseDecision | typeof admitted) => {
      if (decision === admitted) return undefined;
      if (!decision.acquired) {
        throw roleError('concurrencyLimited', {
          details: { limit },
          headers: { 'retry-after': String(seconds(decision.retryAfterMs)) },
          code,
        });
      }
      return hold(storeKey, id);
    };
    const decision = decide(request, (deadline) => store.acquire(storeKey, id, limit, ttl, deadline));
    return decision instanceof Promise ? decision.then(conclude) : conclude(decision);
  }

  return {
    kind: 'concurrency',
    async acquire(request) {
      return take(request);
    },
    check(context) {
      const taken = take(context.request);
      const attach = (lease: HeldLease | undefined) => {
        if (lease) holdFor(context, lease);
        return undefined;
      };
      return taken instanceof Promise ? taken.then(attach) : attach(taken);
    },
  };
}

/** A lease as the guard holds it: `lapse` stops its renewal, so that the store lets it go after its ttl. */
interface HeldLease extends Lease {
  lapse(): void;
}

/**
 * Holds a request's lease until its response is over and, where the adapter sees it, its handler has
 * ended: a client that hangs up does not free the slot of a handler still running. Once the response is
 * over or its client gone, the lease stops renewing, so that a handler that never ends holds the slot for
 * one ttl at most.
 */
function holdFor(context: GuardContext, lease: HeldLease): void {
  if (context.watchHandler === undefined) {
    context.onFinish(() => lease.release());
    return;
  }
  let responded = false;
  let ended = false;
  context.onFinish(() => {
    responded = true;
    if (ended) lease.release();
    else lease.lapse();
  });
  context.watchHandler(
    () => {
      ended = true;
      if (responded) lease.release();
    },
    () => lease.lapse(),
  );
}
