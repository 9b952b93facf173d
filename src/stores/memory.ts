import { invalidOption } from '../catalog/config-error.js';
import type { StoreLogger } from '../server/log.js';
import { BoundedMap } from './bounded-map.js';
import { type QuotaEntry, quotaDecision } from './memory-quota.js';
import { gcra, type Tat, tatOf } from './memory-rate.js';
import { type WindowEntry, windowDecision, windowEnd } from './memory-window.js';
import { RecordMap } from './records.js';
import type {
  ClaimDecision,
  Deadline,
  LeaseDecision,
  QuotaDecision,
  QuotaInput,
  RateDecision,
  RateInput,
  Store,
  WindowDecision,
  WindowInput,
} from './types.js';

/** Options of the memory store. */
export interface MemoryStoreOptions {
  /**
   * The most keys each kind of state holds (rate, quota, window, lease, idempotency; rate limits: per
   * policy).
   * Rate, quota, window and lease keys over 128 characters (keys are callers' values: a URL segment, a header)
   * are kept apart, in `maxKeys × 128` characters, so that a flood of them evicts only its own kind.
   * Past a bound, expired keys go first, then the oldest keys, which forgets those callers' state.
   * @default 100_000
   */
  maxKeys?: number;
  /**
   * The most bytes (UTF-8) the stored idempotent answers hold together; past it, the oldest answers are
   * dropped (the storing tenant's own first when it holds more than the oldest's tenant, as for maxKeys),
   * and a retry with one of their keys executes again. 64 MiB holds about 50 000 answers of
   * 1 KiB, or 45 of the largest the idempotency guard keeps by default (a 1 MiB body is 1.4 MiB stored).
   * @default 67_108_864 (64 MiB)
   */
  maxTotalRecordBytes?: number;
  /**
   * The largest stored idempotent answer, in bytes (UTF-8, body in base64 and headers); a larger answer
   * is not stored and its key is released, so that a retry executes again. The default keeps every answer
   * the idempotency guard captures by default (`maxResponseBytes`, 1 MiB of body).
   * @default 2_097_152 (2 MiB)
   */
  maxRecordBytes?: number;
  /**
   * How often one slice of expired keys is swept, in ms (one unref'd timer per store).
   * @default 10_000
   */
  sweepInterval?: number;
  /**
   * How many keys one sweep visits per kind of state.
   * @default 10_000
   */
  sweepBatch?: number;
  /**
   * The clock, in epoch milliseconds.
   * @default Date.now
   */
  now?: () => number;
  /**
   * Where guards log outages of this store (a custom store wrapping it may fail; this one does not).
   * @default one JSON line on stderr
   */
  logger?: StoreLogger;
}

/** The memory store: state of one process, bounded in size. */
export interface MemoryStore extends Store {
  /** Keys held, per kind of state, and the bytes of the stored idempotent answers. */
  size(): {
    rate: number;
    quota: number;
    window: number;
    lease: number;
    idempotency: number;
    idempotencyBytes: number;
  };
  /** Stops the sweep timer; the store still works, swept lazily on reads. */
  close(): void;
  /** Every decision answers synchronously. */
  readonly synchronous: true;
  /** Rate decisions in one namespace (a rate-limit policy), without a prefixed key built per decision. */
  rateIn(space: string): (key: string, input: RateInput) => RateDecision;
  /** Window decisions in one namespace (a rate-limit policy), as `rateIn`. */
  windowIn(space: string): (key: string, input: WindowInput) => WindowDecision;
}

/** Why a decision failed: its deadline had passed, or its caller had stopped waiting; it changed nothing. */
class LateDecisionError extends Error {
  override readonly name = 'LateDecisionError';
}

function onTime(deadline: Deadline | undefined, at: number, what: string): void {
  if (deadline !== undefined && (deadline.abandoned || at > deadline.at))
    throw new LateDecisionError(`the ${what} decision came past its deadline and changed nothing`);
}

function sizeOf<V>(shared: BoundedMap<V>, spaces: Map<string, BoundedMap<V>>): number {
  let size = shared.size;
  for (const space of spaces.values()) size += space.size;
  return size;
}

interface Leases {
  holders: Map<string, number>;
  expires: number;
}

function positive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw invalidOption(`memoryStore ${name} must be a positive integer, got ${String(value)}`);
  return value;
}

/**
 * Creates the in-process store: exact, fast, bounded (swept expiry, a key limit with eviction, a byte
 * bound on stored idempotent answers, no per-key timers). Each process has its own state; share state across instances with `redisStore`.
 * @example
 * const store = memoryStore({ maxKeys: 50_000 });
 * app.use(guard(rateLimit({ key: byIp, limit: 100, period: '1m', store })));
 */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const max = options.maxKeys ?? 100_000;
  const clock = options.now ?? Date.now;
  // The sweep starts with the first decision, not when the store is made: a Worker may make its store at
  // global scope, where Cloudflare refuses a timer.
  let timer: ReturnType<typeof setInterval> | undefined;
  let closed = false;
  const now = () => {
    if (timer === undefined && !closed) startSweep();
    return clock();
  };
  const batch = options.sweepBatch ?? 10_000;
  const rates = new BoundedMap<Tat>(max, tatOf, now);
  // One map per namespace (policy): each holds at most maxKeys, like the shared one.
  const spaces = new Map<string, BoundedMap<Tat>>();
  const quotas = new BoundedMap<QuotaEntry>(max, (entry) => entry.end, now);
  const windows = new BoundedMap<WindowEntry>(max, windowEnd, now);
  const windowSpaces = new Map<string, BoundedMap<WindowEntry>>();
  const leases = new BoundedMap<Leases>(max, (entry) => entry.expires, now);
  const maxBytes = positive(options.maxTotalRecordBytes ?? 67_108_864, 'maxTotalRecordBytes');
  const records = new RecordMap({
    maxKeys: max,
    maxBytes,
    maxRecordBytes: positive(options.maxRecordBytes ?? 2_097_152, 'maxRecordBytes'),
  });

  function startSweep(): void {
    timer = setInterval(sweep, options.sweepInterval ?? 10_000);
    // A timer that holds no process open; a Web runtime's timer is a number, with no `unref`.
    timer.unref?.();
  }

  function sweep(): void {
    const at = clock();
    rates.sweep(at, batch);
    for (const space of spaces.values()) space.sweep(at, batch);
    quotas.sweep(at, batch);
    windows.sweep(at, batch);
    for (const space of windowSpaces.values()) space.sweep(at, batch);
    leases.sweep(at, batch);
    records.sweep(at, batch);
  }

  function liveLeases(key: string, at: number): Leases | undefined {
    const entry = leases.get(key, at);
    if (entry === undefined) return undefined;
    let expires = 0;
    for (const [lease, until] of entry.holders) {
      if (until <= at) entry.holders.delete(lease);
      else if (until > expires) expires = until;
    }
    entry.expires = expires;
    return entry;
  }

  function rateIn(space: string): (key: string, input: RateInput) => RateDecision {
    const held = spaceOf(spaces, space, tatOf);
    return (key, input) => gcra(held, key, now(), input);
  }

  function windowIn(space: string): (key: string, input: WindowInput) => WindowDecision {
    const held = spaceOf(windowSpaces, space, windowEnd);
    return (key, input) => windowDecision(held, key, now(), input);
  }

  // One map per namespace (policy), each bounded as the shared one: a flood under one policy evicts its own.
  function spaceOf<V>(maps: Map<string, BoundedMap<V>>, space: string, expiry: (value: V) => number) {
    let map = maps.get(space);
    if (map === undefined) {
      map = new BoundedMap<V>(max, expiry, now);
      maps.set(space, map);
    }
    return map;
  }

  const store = {
    kind: 'memory',
    logger: options.logger,
    rate(key: string, input: RateInput, deadline?: Deadline): RateDecision {
      const at = now();
      onTime(deadline, at, 'rate');
      // A key under a policy's namespace (`name:caller`) reads and writes that policy's state.
      for (const [space, map] of spaces) {
        if (key.startsWith(space)) return gcra(map, key.slice(space.length), at, input);
      }
      return gcra(rates, key, at, input);
    },
    quota(key: string, input: QuotaInput, deadline?: Deadline): QuotaDecision {
      const at = now();
      onTime(deadline, at, 'quota');
      return quotaDecision(quotas, key, at, input);
    },
    window(key: string, input: WindowInput, deadline?: Deadline): WindowDecision {
      const at = now();
      onTime(deadline, at, 'window');
      for (const [space, map] of windowSpaces) {
        if (key.startsWith(space)) return windowDecision(map, key.slice(space.length), at, input);
      }
      return windowDecision(windows, key, at, input);
    },
    acquire(key: string, lease: string, limit: number, ttl: number, deadline?: Deadline): LeaseDecision {
      const at = now();
      onTime(deadline, at, 'acquire');
      const entry = liveLeases(key, at) ?? { holders: new Map<string, number>(), expires: 0 };
      const count = entry.holders.size;
      if (!entry.holders.has(lease) && count >= limit) {
        let oldest = Number.POSITIVE_INFINITY;
        for (const until of entry.holders.values()) oldest = Math.min(oldest, until);
        return { acquired: false, count, retryAfterMs: Math.max(0, oldest - at) };
      }
      entry.holders.set(lease, at + ttl);
      entry.expires = Math.max(entry.expires, at + ttl);
      leases.set(key, entry);
      return { acquired: true, count: entry.holders.size, retryAfterMs: 0 };
    },
    renew(key: string, lease: string, ttl: number): boolean {
      const at = now();
      const entry = liveLeases(key, at);
      if (!entry?.holders.has(lease)) return false;
      entry.holders.set(lease, at + ttl);
      entry.expires = Math.max(entry.expires, at + ttl);
      return true;
    },
    release(key: string, lease: string): void {
      const entry = leases.get(key, now());
      if (entry === undefined) return;
      entry.holders.delete(lease);
      if (entry.holders.size === 0) leases.delete(key);
    },
    claim(key: string, fingerprint: string, token: string, lock: number, deadline?: Deadline): ClaimDecision {
      const at = now();
      onTime(deadline, at, 'claim');
      return records.claim(key, fingerprint, token, lock, at);
    },
    complete(key: string, token: string, response: string, ttl: number): void {
      records.complete(key, token, response, ttl, now());
    },
    abandon(key: string, token: string): void {
      records.abandon(key, token, now());
    },
    size: () => ({
      rate: sizeOf(rates, spaces),
      quota: quotas.size,
      window: sizeOf(windows, windowSpaces),
      lease: leases.size,
      idempotency: records.size,
      idempotencyBytes: records.bytes,
    }),
    close: () => {
      closed = true;
      clearInterval(timer);
    },
  };
  // Not enumerable: a wrapper that spreads this store (`{ ...memory, rate }`) keeps its own `rate`, as
  // guards then call it instead of these synchronous shortcuts.
  return Object.defineProperties(store, {
    synchronous: { value: true, configurable: true },
    rateIn: { value: rateIn, configurable: true },
    windowIn: { value: windowIn, configurable: true },
  }) as MemoryStore;
}
