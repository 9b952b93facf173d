import { invalidOption } from '../../catalog/config-error.js';
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

/** The part of a node-redis sentinel (`createSentinel`) the store uses: its commands go to the master. */
export interface SentinelSendCommandClient {
  sendCommand(isReadonly: boolean | undefined, args: string[]): Promise<unknown>;
  /** How `redisSend` tells a sentinel from a client. */
  getMasterNode(): unknown;
}

/**
 * The command function of a Redis client: an ioredis or iovalkey (Valkey) client or Cluster (their
 * `call`), a connected node-redis client (`sendCommand(args)`), a connected node-redis cluster, whose
 * commands are routed by the decision's key, or a connected node-redis sentinel (to its master).
 * Anything else is refused here, not at the first command.
 * @example
 * redisStore({ send: redisSend(new Redis(url)) }) // ioredis; the same for iovalkey
 * redisStore({ send: redisSend(await createClient({ url }).connect()) }) // node-redis
 * redisStore({ send: redisSend(await createCluster({ rootNodes }).connect()) }) // node-redis cluster
 */
export function redisSend(
  client: CallClient | SendCommandClient | ClusterSendCommandClient | SentinelSendCommandClient,
): RedisSend {
  const c = (typeof client === 'object' && client !== null ? client : {}) as Partial<
    CallClient & SendCommandClient & { getSlotMaster: unknown; getMasterNode: unknown }
  >;
  if (typeof c.call === 'function') {
    const call = c.call.bind(client);
    return (args) => call(args[0]!, ...args.slice(1));
  }
  if (typeof c.sendCommand === 'function' && typeof c.getSlotMaster === 'function') {
    const cluster = client as ClusterSendCommandClient;
    return (args, key) => cluster.sendCommand(key, false, args);
  }
  if (typeof c.sendCommand === 'function' && typeof c.getMasterNode === 'function') {
    // sendCommand(isReadonly, args): a script may write, so it runs on the master.
    const sentinel = client as SentinelSendCommandClient;
    return (args) => sentinel.sendCommand(false, args);
  }
  if (typeof c.sendCommand === 'function') {
    const one = client as SendCommandClient;
    return (args) => one.sendCommand(args);
  }
  throw invalidOption(
    'redisSend: expected an ioredis or iovalkey client (call), or a node-redis client, cluster or sentinel (sendCommand)',
  );
}
