import type { RedisSend } from './store.js';

/** The part of an ioredis or iovalkey client (or Cluster) the store uses. */
export interface CallClient {
  call(command: string, ...args: string[]): Promise<unknown>;
}

/** The part of a node-redis client the store uses. */
export interface SendCommandClient {
  sendCommand(args: string[]): Promise<unknown>;
}

/** The part of a node-redis cluster the store uses. */
export interface ClusterSendCommandClient {
  sendCommand(firstKey: string, isReadonly: boolean, args: string[]): Promise<unknown>;
}

/**
 * The command function of an ioredis or iovalkey (Valkey) client or Cluster: both expose `call(command,
 * ...args)`, so one function serves either.
 * @example
 * redisStore({ send: ioredisSend(new Redis(url)) })
 * redisStore({ send: ioredisSend(new Valkey(url)) }) // iovalkey
 */
export const ioredisSend =
  (client: CallClient): RedisSend =>
  (args) =>
    client.call(args[0]!, ...args.slice(1));

/**
 * The command function of a connected node-redis client.
 * @example
 * redisStore({ send: nodeRedisSend(await createClient({ url }).connect()) })
 */
export const nodeRedisSend =
  (client: SendCommandClient): RedisSend =>
  (args) =>
    client.sendCommand(args);

/**
 * The command function of a connected node-redis cluster, routed by the decision's key.
 * @example
 * redisStore({ send: nodeRedisClusterSend(await createCluster({ rootNodes }).connect()) })
 */
export const nodeRedisClusterSend =
  (cluster: ClusterSendCommandClient): RedisSend =>
  (args, key) =>
    cluster.sendCommand(key, false, args);
