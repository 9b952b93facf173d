/**
 * The Redis client of a seed's server. While Redis is down, commands fail at once (no offline queue, one
 * retry) and the routes answer their catalog 500; while it is up but does not answer (frozen, a failover, a
 * network partition), a command fails after `commandTimeout`, so a request waits a bounded time for its
 * 500, never as long as Redis is gone. The store guards bound their own calls (`storeTimeout`); this bounds
 * everything else a seed asks Redis.
 *
 * A command that timed out may still run once Redis answers again: its request was answered 500, which tells
 * the client the outcome is unknown, as any 500 does.
 */
import { Redis } from 'ioredis';

/** How long a command may wait for Redis, in ms: the guards' default `storeTimeout` and a margin. */
export const redisCommandTimeout = 2000;

/** A client of `url`, connected (its first `ready`), with the bounds above. */
export async function connectRedis(url: string, commandTimeout = redisCommandTimeout): Promise<Redis> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout });
  redis.on('error', () => {
    // Connection errors surface as failed commands, answered per request; the client reconnects by itself.
  });
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  return redis;
}
