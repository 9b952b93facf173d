import { invalidOption } from '../../catalog/config-error.js';
import type { StoreLogger } from '../../server/log.js';
import { utf8Length } from '../records.js';
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
} from '../types.js';
import { RedisClock } from './clock.js';
import { hashTagged, rateArgs } from './encode.js';
import { decisionIds, persistently, unpackReply } from './once.js';
import {
  ClockSkewError,
  checked,
  LateDecisionError,
  toCount,
  toFlag,
  toNumber,
  toRate,
  toText,
} from './replies.js';
import { isNoScript, type Script, scripts } from './script-table.js';

/**
 * Sends one raw Redis command and resolves with its reply. `key` is the command's key, for cluster
 * clients that route by it (node-redis cluster).
 */
export type RedisSend = (args: string[], key: string) => Promise<unknown>;

/** Options of the Redis store. */
export interface RedisStoreOptions {
  /** The command function: `redisSend(client)` of an ioredis, iovalkey or node-redis client or cluster. */
  send: RedisSend;
  /**
   * Prefixed to every key, before its hash tag.
   * @default 'faultline:'
   */
  prefix?: string;
  /**
   * The largest stored idempotent answer, in bytes (UTF-8, body in base64 and headers); a larger answer
   * is not stored and its key is released, so that a retry executes again. Redis's own `maxmemory`
   * bounds the total.
   * @default 2_097_152 (2 MiB)
   */
  maxRecordBytes?: number;
  /**
   * Where guards log this store's outages (once per outage, with the cause) and recoveries.
   * @default one JSON line on stderr
   */
  logger?: StoreLogger;
}

const ignore = () => undefined;
const spends = new Set(['rate', 'quota', 'window']);
// How long a give-back may take to reach Redis, its retries included (`once.ts`), before it changes nothing.
const giveBackMs = 8000;

/**
 * Creates a store on Redis, Valkey or Redis Cluster: every decision is one Lua script in one round trip
 * (`EVALSHA`, reloaded by `EVAL` on `NOSCRIPT` only), timed by the Redis clock (`TIME`), on a key whose
 * hash tag holds the caller's key so that cluster slots spread by caller. A decision given a deadline
 * changes nothing when it reaches Redis past it (a command queued behind a stalled server runs late), and
 * is undone when it applied but answered after its caller gave up: a 503 spends, holds and locks nothing.
 * @example
 * import { Redis } from 'ioredis'; // the named export: the default one does not construct under nodenext
 * const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
 * redis.on('error', () => {}); // else ioredis prints every failed reconnect; the store logs the outage once
 * const store = redisStore({ send: redisSend(redis), prefix: 'api:' }); // both from faultline/stores
 */
export function redisStore(options: RedisStoreOptions): Store {
  const { send } = options;
  const prefix = options.prefix ?? 'faultline:';
  if (prefix.includes('{') || prefix.includes('}')) {
    throw invalidOption('redisStore: the prefix must not hold { or }, which would move the hash tag');
  }
  const maxRecordBytes = options.maxRecordBytes ?? 2_097_152;
  if (!Number.isSafeInteger(maxRecordBytes) || maxRecordBytes < 1) {
    throw invalidOption(`redisStore: maxRecordBytes must be a positive integer, got ${maxRecordBytes}`);
  }
  const clock = new RedisClock();
  const nextId = decisionIds();

  const keyOf = (kind: string, key: string): string => hashTagged(prefix, kind, key);

  // One script missing means the cache was emptied (a restart, a failover, SCRIPT FLUSH): every script is
  // loaded again at once. Otherwise the release or completion a request sends once answered would find no
  // script and be sent again a round trip later, after the client's next request had met its lease or key.
  let reloading = false;
  function reload(missing: Script, key: string): void {
    // Requests that meet NOSCRIPT together load the scripts once.
    if (reloading) return;
    reloading = true;
    const others = Object.values(scripts).filter((each) => each !== missing);
    // Inside a promise: a `send` that throws at once must not leave the flag set for good.
    Promise.resolve()
      .then(() => Promise.all(others.map((each) => send(['SCRIPT', 'LOAD', each.source], key).catch(ignore))))
      .catch(ignore)
      .finally(() => {
        reloading = false;
      });
  }

  // Promise chains rather than async functions: one decision costs as few microtask hops as it can.
  function run(which: Script, key: string, args: string[], keys: string[] = [key]): Promise<unknown> {
    const count = String(keys.length);
    return send(['EVALSHA', which.sha, count, ...keys, ...args], key).catch((error: unknown) => {
      if (!isNoScript(error)) throw error;
      reload(which, key);
      return send(['EVAL', which.source, count, ...keys, ...args], key);
    });
  }

  // Where a decision on `key` keeps its reply; none for an empty tag (`{}`), which a cluster hashes whole.
  function replyKeyOf(key: string): string | undefined {
    return key.endsWith('{}') ? undefined : `${key}:once:${nextId()}`;
  }

  // A give-back is decided once too, and sent again while it fails: never applied twice, rarely lost.
  function giveBack(name: 'rate' | 'quota' | 'window', key: string, args: string[]): Promise<unknown> {
    const replyKey = replyKeyOf(key);
    const until = clock.arg({ at: Date.now() + giveBackMs, abandoned: false });
    return persistently(() => run(scripts[name], key, [until, ...args], replyKey ? [key, replyKey] : [key]));
  }

  // A spend whose reply never came: cancelled, and given back if it was applied (`once.ts`).
  function cancel(key: string, replyKey: string, undo: (values: unknown[]) => Promise<unknown> | undefined) {
    persistently(() => run(scripts.cancel, key, [], [replyKey]))
      .then((kept) => (typeof kept === 'string' ? undo(unpackReply(kept)) : undefined))
      .catch(ignore);
  }

  /**
   * One decision under a deadline: `length` is the size of its checked reply, `undo` gives back what it
   * applied when the caller had stopped waiting by the time it answered.
   */
  function decide(
    name: keyof typeof scripts,
    key: string,
    args: readonly string[],
    length: number,
    deadline: Deadline | undefined,
    undo: (values: unknown[]) => Promise<unknown> | undefined,
    again = false,
  ): Promise<unknown[]> {
    const sentAt = Date.now();
    // A spend under a deadline is decided once (`once.ts`); a lease or a claim is by its own id already.
    const replyKey = deadline && spends.has(name) ? replyKeyOf(key) : undefined;
    const sent = run(scripts[name], key, [clock.arg(deadline), ...args], replyKey ? [key, replyKey] : [key]);
    if (replyKey) sent.catch(() => cancel(key, replyKey, undo));
    return sent.then((reply) => {
      const values = checked(reply, length, name);
      if (values[0] === 'skew') {
        throw new ClockSkewError(
          `the Redis clock (${toNumber(values[1])}) is outside the periods of the ${name} decision: this process's clock is off by more than a period`,
        );
      }
      if (values[0] === 'late') {
        // Refused although its answer is back in time: the Redis clock moved ahead; correct and resend.
        if (deadline && !again && !deadline.abandoned && Date.now() <= deadline.at) {
          clock.reset(sentAt, toNumber(values[1]));
          return decide(name, key, args, length, deadline, undo, true);
        }
        throw new LateDecisionError(
          `the ${name} decision reached Redis past its deadline and changed nothing`,
        );
      }
      clock.sample(sentAt, toNumber(values[values.length - 1]));
      if (deadline?.abandoned) undo(values)?.catch(ignore);
      return values;
    });
  }

  function abandon(key: string, token: string): Promise<unknown> {
    return run(scripts.abandon, key, [token]);
  }

  return {
    kind: 'redis',
    logger: options.logger,
    rate(key: string, input: RateInput, deadline?: Deadline): Promise<RateDecision> {
      const stored = keyOf('r', key);
      // A decision of no units, or a zero-interval refund, only reads: the script writes nothing for it.
      return decide('rate', stored, rateArgs(input), 5, deadline, (values) =>
        toFlag(values[0]) && input.cost > 0
          ? giveBack('rate', stored, rateArgs({ ...input, cost: -input.cost }))
          : undefined,
      ).then(toRate);
    },
    async quota(
      key: string,
      { limit, cost, bounds }: QuotaInput,
      deadline?: Deadline,
    ): Promise<QuotaDecision> {
      const stored = keyOf('q', key);
      const edges = bounds.map(String);
      const reply = await decide(
        'quota',
        stored,
        [String(limit), String(cost), ...edges],
        4,
        deadline,
        (values) =>
          toFlag(values[0]) && cost > 0
            ? giveBack('quota', stored, [String(limit), String(-cost), ...edges])
            : undefined,
      );
      // A clock past the last edge the guard sent answers a period already over: nothing left to wait.
      return { allowed: toFlag(reply[0]), used: toCount(reply[1]), reset: Math.max(0, toNumber(reply[2])) };
    },
    async window(key: string, input: WindowInput, deadline?: Deadline): Promise<WindowDecision> {
      const stored = keyOf('w', key);
      const { limit, period, cost } = input;
      const args = (units: number, start?: number) => [
        String(limit),
        String(period),
        String(units),
        start === undefined ? '' : String(start),
      ];
      // An abandoned spend is given back to the window it was spent in, never to a later one.
      const reply = await decide('window', stored, args(cost, input.start), 5, deadline, (values) =>
        toFlag(values[0]) && cost > 0
          ? giveBack('window', stored, args(-cost, toCount(values[3])))
          : undefined,
      );
      return {
        allowed: toFlag(reply[0]),
        used: toCount(reply[1]),
        reset: toCount(reply[2]),
        start: toCount(reply[3]),
      };
    },
    async acquire(
      key: string,
      lease: string,
      limit: number,
      ttl: number,
      deadline?: Deadline,
    ): Promise<LeaseDecision> {
      const stored = keyOf('c', key);
      // Released as soon as the guard gives up, not when the late reply comes: a retry finds the slot free.
      deadline?.onAbandon?.(
        () => void persistently(() => run(scripts.release, stored, [lease])).catch(ignore),
      );
      const reply = await decide(
        'acquire',
        stored,
        [lease, String(limit), String(ttl)],
        4,
        deadline,
        (values) => (toFlag(values[0]) ? run(scripts.release, stored, [lease]) : undefined),
      );
      return { acquired: toFlag(reply[0]), count: toCount(reply[1]), retryAfterMs: toCount(reply[2]) };
    },
    async renew(key: string, lease: string, ttl: number): Promise<boolean> {
      return toFlag(await run(scripts.renew, keyOf('c', key), [lease, String(ttl)]));
    },
    async release(key: string, lease: string): Promise<void> {
      toFlag(await persistently(() => run(scripts.release, keyOf('c', key), [lease])));
    },
    async claim(
      key: string,
      fingerprint: string,
      token: string,
      lock: number,
      deadline?: Deadline,
    ): Promise<ClaimDecision> {
      const stored = keyOf('i', key);
      const args = [fingerprint, token, String(lock)];
      // Abandoned (by its token) as soon as the guard gives up: a retry finds the key free, not in flight.
      deadline?.onAbandon?.(() => void persistently(() => abandon(stored, token)).catch(ignore));
      // A reply is {state, now} or {state, value, now}: its length is checked by its state.
      const reply = await decide('claim', stored, args, 0, deadline, (values) =>
        values[0] === 'claimed' ? abandon(stored, token) : undefined,
      );
      const state = toText(reply[0]);
      if (reply.length === 2 && (state === 'claimed' || state === 'mismatch')) return { state };
      if (reply.length === 3 && state === 'pending') return { state, retryAfterMs: toCount(reply[1]) };
      if (reply.length === 3 && state === 'done') return { state, response: toText(reply[1]) };
      throw new TypeError('redisStore: unexpected reply of the claim script');
    },
    async complete(key: string, token: string, response: string, ttl: number): Promise<void> {
      // An answer over the cap is not kept: the claim is released, so that a retry executes.
      const stored = keyOf('i', key);
      if (utf8Length(response) > maxRecordBytes) toFlag(await persistently(() => abandon(stored, token)));
      else toFlag(await persistently(() => run(scripts.complete, stored, [token, response, String(ttl)])));
    },
    async abandon(key: string, token: string): Promise<void> {
      toFlag(await persistently(() => abandon(keyOf('i', key), token)));
    },
    // The client is the caller's: it is closed by whoever created it.
    close: ignore,
  };
}
