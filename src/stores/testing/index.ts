import {
  type capabilityMethods,
  type IdempotencyStore,
  type LeaseStore,
  missingMethods,
  type QuotaStore,
  type RateStore,
  type StoreBase,
  type WindowStore,
} from '../types.js';
import { idempotencyCases } from './idempotency.js';
import { leaseCases } from './leases.js';
import { quotaCases } from './quota.js';
import { rateCases } from './rate.js';
import {
  type Capability,
  type Case,
  type Clock,
  type Footprint,
  realClock,
  settledClock,
} from './support.js';
import { windowCases } from './window.js';

export type { Capability, Clock } from './support.js';

/**
 * The test functions of the runner: vitest's or `node:test`'s `describe` and `it`. The suite asserts
 * with `node:assert`, so that it depends on no runner.
 */
export interface TestFunctions {
  describe(name: string, body: () => void): unknown;
  it(name: string, body: () => Promise<void>): unknown;
}

/** How the suite runs a store. */
export interface DescribeStoreOptions<S = AnyStore> {
  /**
   * Which capabilities the store has, and so which parts of the suite run.
   * @default ['rate', 'quota', 'window', 'lease', 'idempotency']
   */
  capabilities?: readonly Capability[];
  /**
   * `injected`: the store reads the clock `makeStore` is given (as `memoryStore({ now })`), and the suite
   * moves it. `real`: the store keeps its own time (Redis's `TIME`), and the suite waits for real, a few
   * hundred milliseconds per case that needs time to pass.
   * @default 'real'
   */
  clock?: 'injected' | 'real';
  /**
   * What the store holds or has written, read before and after the reads that must change nothing (a
   * decision of no units, a zero-interval refund), and compared with `deepEqual`: e.g. a memory store's
   * `size()`, or a Redis store's live keys under its prefix and the server's change counter
   * (`rdb_changes_since_last_save`). Not `DBSIZE`: a read that meets a key past its expiry deletes it, which
   * moves DBSIZE while the store wrote nothing; `SCAN` skips expired keys.
   * @default the store's own `size()` when it has one, else nothing: those cases then check answers only
   * @example
   * // a fresh prefix per store (makeStore), its keys read with SCAN MATCH `${prefix}*` until the cursor is 0
   * footprint: async (store) => ({
   *   keys: (await scanAll(prefixOf(store))).sort(),
   *   changes: /rdb_changes_since_last_save:(\d+)/.exec(await redis.info('persistence'))?.[1],
   * })
   */
  footprint?: (store: S) => unknown;
}

/** What `makeStore` returns: a store with the capabilities the suite runs. */
export type AnyStore = StoreBase &
  Partial<RateStore & QuotaStore & WindowStore & LeaseStore & IdempotencyStore>;

const all: readonly Capability[] = ['rate', 'quota', 'window', 'lease', 'idempotency'];
// The store capability each group of cases exercises.
const capabilityOf: Record<Capability, keyof typeof capabilityMethods> = {
  rate: 'RateStore',
  quota: 'QuotaStore',
  window: 'WindowStore',
  lease: 'LeaseStore',
  idempotency: 'IdempotencyStore',
};
const cases: Record<Capability, readonly Case[]> = {
  rate: rateCases,
  quota: quotaCases,
  window: windowCases,
  lease: leaseCases,
  idempotency: idempotencyCases,
};

/**
 * Runs the store conformance suite: the semantics every faultline store keeps (GCRA admission, burst,
 * retry-after and refunds; calendar quotas; fixed windows; leases; idempotency claims and replays; deadlines), so that a
 * store of your own behaves as `memoryStore` and `redisStore` do. `makeStore` is called once per case
 * and should return a fresh store (or an empty key space: a new Redis prefix); the suite closes it.
 * @example
 * import { describe, it } from 'node:test';
 * import { describeStore } from 'faultline/stores/testing';
 * describeStore('dynamoRateStore', () => dynamoRateStore({ table }), { describe, it }, {
 *   capabilities: ['rate'],
 * });
 */
export function describeStore<S extends AnyStore>(
  name: string,
  makeStore: (clock: Clock) => S | Promise<S>,
  test: TestFunctions,
  options: DescribeStoreOptions<S> = {},
): void {
  const capabilities = options.capabilities ?? all;
  const injected = options.clock === 'injected';
  const footprintOf = (store: S): Footprint => {
    const { size } = store as { size?: unknown };
    const read = options.footprint ?? (typeof size === 'function' ? () => size.call(store) : undefined);
    return async () => (read ? await read(store) : undefined);
  };
  test.describe(`${name} (faultline store conformance)`, () => {
    for (const capability of capabilities) {
      const list = cases[capability];
      if (list === undefined) throw new TypeError(`describeStore: unknown capability "${capability}"`);
      test.describe(capability, () => {
        for (const { title, run } of list) {
          test.it(title, async () => {
            const clock = injected ? settledClock() : realClock();
            const store = await makeStore(clock);
            const missing = missingMethods(store, capabilityOf[capability]);
            if (missing.length > 0) {
              await store.close();
              throw new TypeError(
                `describeStore: the store has no ${missing.map((m) => `${m}()`).join(', ')}, which the ` +
                  `"${capability}" cases need; pass { capabilities: [...] } naming only what it has`,
              );
            }
            try {
              await run(store as never, clock, footprintOf(store));
            } finally {
              await store.close();
            }
          });
        }
      });
    }
  });
}
