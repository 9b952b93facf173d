export type { StoreLogger } from '../server/log.js';
export { type MemoryStore, type MemoryStoreOptions, memoryStore } from './memory.js';
export {
  type CallClient,
  type ClusterSendCommandClient,
  redisSend,
  type SendCommandClient,
  type SentinelSendCommandClient,
} from './redis/clients.js';
export { type RedisSend, type RedisStoreOptions, redisStore } from './redis/store.js';
export type {
  Awaitable,
  ClaimDecision,
  Deadline,
  IdempotencyStore,
  LeaseDecision,
  LeaseStore,
  QuotaDecision,
  QuotaInput,
  QuotaStore,
  RateDecision,
  RateInput,
  RateStore,
  Store,
  StoreBase,
  WindowDecision,
  WindowInput,
  WindowStore,
} from './types.js';
