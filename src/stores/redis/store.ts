import { createHash } from 'node:crypto';
import type {
  ClaimDecision,
  LeaseDecision,
  QuotaDecision,
  QuotaInput,
  RateDecision,
  RateInput,
  Store,
} from '../types.js';
import { luaSources } from './scripts.js';

/**
 * Sends one raw Redis command and resolves with its reply. `key` is the command's key, for cluster
 * clients that route by it (node-redis cluster).
 */
export type RedisSend = (args: string[], key: string) => Promise<unknown>;

/** Options of the Redis store. */
export interface RedisStoreOptions {
  /** The command function; see `ioredisSend`, `nodeRedisSend`, `iovalkeySend`. */
  send: RedisSend;
  /**
   * Prefixed to every key, before its hash tag.
   * @default 'faultline:'
   */
  prefix?: string;
}

interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

const scripts = {
  rate: script(luaSources.rate),
  quota: script(luaSources.quota),
  acquire: script(luaSources.acquire),
  renew: script(luaSources.renew),
  release: script(luaSources.release),
  claim: script(luaSources.claim),
  complete: script(luaSources.complete),
  abandon: script(luaSources.abandon),
};

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

const braces = /[{}%]/g;

// A guard passes the same input object on every decision: its arguments are formatted once.
const formatted = new WeakMap<RateInput, string[]>();

function rateArgs(input: RateInput): string[] {
  let args = formatted.get(input);
  if (args === undefined) {
    args = [String(input.interval), String(input.tolerance), String(input.cost)];
    formatted.set(input, args);
  }
  return args;
}

function toRate(reply: unknown): RateDecision {
  const values = reply as unknown[];
  return {
    allowed: toNumber(values[0]) === 1,
    remaining: toNumber(values[1]),
    retryAfter: toNumber(values[2]),
    reset: toNumber(values[3]),
  };
}

function toNumber(value: unknown): number {
  return typeof value === 'number' ? value : Number(String(value));
}

function toText(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

/**
 * Creates a store on Redis, Valkey or Redis Cluster: every decision is one Lua script in one round trip
 * (`EVALSHA`, reloaded by `EVAL` on `NOSCRIPT` only), timed by the Redis clock (`TIME`), on a key whose
 * hash tag holds the caller's key so that cluster slots spread by caller.
 * @example
 * import Redis from 'ioredis';
 * const redis = new Redis(process.env.REDIS_URL);
 * const store = redisStore({ send: ioredisSend(redis), prefix: 'api:' });
 */
export function redisStore(options: RedisStoreOptions): Store {
  const { send } = options;
  const prefix = options.prefix ?? 'faultline:';
  if (prefix.includes('{') || prefix.includes('}')) {
    throw new TypeError('redisStore: the prefix must not hold { or }, which would move the hash tag');
  }

  // The caller's key becomes the hash tag; braces in it are escaped so that the tag stays whole.
  const keyOf = (kind: string, key: string): string =>
    `${prefix}${kind}:{${key.replace(braces, (c) => encodeURIComponent(c))}}`;

  // Promise chains rather than async functions: one decision costs as few microtask hops as it can.
  function run(which: Script, key: string, args: string[]): Promise<unknown> {
    return send(['EVALSHA', which.sha, '1', key, ...args], key).catch((error: unknown) => {
      if (!isNoScript(error)) throw error;
      return send(['EVAL', which.source, '1', key, ...args], key);
    });
  }

  return {
    kind: 'redis',
    rate(key: string, input: RateInput): Promise<RateDecision> {
      return run(scripts.rate, keyOf('r', key), rateArgs(input)).then(toRate);
    },
    async quota(key: string, { limit, cost, bounds }: QuotaInput): Promise<QuotaDecision> {
      const reply = (await run(scripts.quota, keyOf('q', key), [
        String(limit),
        String(cost),
        ...bounds.map(String),
      ])) as unknown[];
      return { allowed: toNumber(reply[0]) === 1, used: toNumber(reply[1]), reset: toNumber(reply[2]) };
    },
    async acquire(key: string, lease: string, limit: number, ttl: number): Promise<LeaseDecision> {
      const reply = (await run(scripts.acquire, keyOf('c', key), [
        lease,
        String(limit),
        String(ttl),
      ])) as unknown[];
      return {
        acquired: toNumber(reply[0]) === 1,
        count: toNumber(reply[1]),
        retryAfter: toNumber(reply[2]),
      };
    },
    async renew(key: string, lease: string, ttl: number): Promise<boolean> {
      return toNumber(await run(scripts.renew, keyOf('c', key), [lease, String(ttl)])) === 1;
    },
    async release(key: string, lease: string): Promise<void> {
      await run(scripts.release, keyOf('c', key), [lease]);
    },
    async claim(key: string, fingerprint: string, token: string, lock: number): Promise<ClaimDecision> {
      const reply = (await run(scripts.claim, keyOf('i', key), [
        fingerprint,
        token,
        String(lock),
      ])) as unknown[];
      const state = toText(reply[0]);
      if (state === 'claimed') return { state };
      if (state === 'mismatch') return { state };
      if (state === 'pending') return { state, retryAfter: toNumber(reply[1]) };
      return { state: 'done', response: toText(reply[1]) };
    },
    async complete(key: string, token: string, response: string, ttl: number): Promise<void> {
      await run(scripts.complete, keyOf('i', key), [token, response, String(ttl)]);
    },
    async abandon(key: string, token: string): Promise<void> {
      await run(scripts.abandon, keyOf('i', key), [token]);
    },
  };
}
