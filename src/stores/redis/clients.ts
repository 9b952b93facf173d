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
  /** How `redisSend` tells a cluster from a client. */
  getSlotMaster(slot: number): unknown;
}

/**
 * The command function of a Redis client: an ioredis or iovalkey (Valkey) client or Cluster (their
 * `call`), a connected node-redis client (`sendCommand(args)`), or a connected node-redis cluster, whose
 * commands are routed by the decision's key. Anything else is refused here, not at the first command.
 * @example
 * redisStore({ send: redisSend(new Redis(url)) }) // ioredis; the same for iovalkey
 * redisStore({ send: redisSend(await createClient({ url }).connect()) }) // node-redis
 * redisStore({ send: redisSend(await createCluster({ rootNodes }).connect()) }) // node-redis cluster
 */
export function redisSend(client: CallClient | SendCommandClient | ClusterSendCommandClient): RedisSend {
  const c = (typeof client === 'object' && client !== null ? client : {}) as Partial<
    CallClient & SendCommandClient & { getSlotMaster: unknown }
  >;
  if (typeof c.call === 'function') {
    const call = c.call.bind(client);
    return (args) => call(args[0]!, ...args.slice(1));
  }
  if (typeof c.sendCommand === 'function' && typeof c.getSlotMaster === 'function') {
    const cluster = client as ClusterSendCommandClient;
    return (args, key) => cluster.sendCommand(key, false, args);
  }
  if (typeof c.sendCommand === 'function') {
    const one = client as SendCommandClient;
    return (args) => one.sendCommand(args);
  }
  throw new TypeError(
    'redisSend: expected an ioredis or iovalkey client (call), or a node-redis client or cluster (sendCommand)',
  );
}
