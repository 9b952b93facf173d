/**
 * Where the gateway keeps each app's configuration (its API key and rate limit): in memory by default,
 * in a Redis hash when `REDIS_URL` is set, so that every gateway instance sees the same apps.
 */
import type { RedisSend } from 'faultline/stores';

export interface AppConfig {
  readonly apiKey: string;
  /** Requests per minute for this app. */
  readonly rateLimit: number;
}

export interface AppStore {
  get(appId: string): Promise<AppConfig | undefined>;
  set(appId: string, config: AppConfig): Promise<void>;
}

/** Apps in a Map of this process. */
export function memoryApps(): AppStore {
  const apps = new Map<string, AppConfig>();
  return {
    get: async (appId) => apps.get(appId),
    set: async (appId, config) => {
      apps.set(appId, config);
    },
  };
}

/** Apps in Redis: one hash per app under `prefix`. */
export function redisApps(send: RedisSend, prefix = 'gateway:'): AppStore {
  return {
    async get(appId) {
      const reply = (await send(['HGETALL', `${prefix}app:${appId}`], `${prefix}app:${appId}`)) as
        | string[]
        | null;
      if (!reply || reply.length === 0) return undefined;
      const fields: Record<string, string> = {};
      for (let i = 0; i + 1 < reply.length; i += 2) fields[reply[i]!] = reply[i + 1]!;
      return { apiKey: fields.api_key ?? '', rateLimit: Number(fields.rate_limit ?? 600) };
    },
    async set(appId, config) {
      const key = `${prefix}app:${appId}`;
      await send(['HSET', key, 'api_key', config.apiKey, 'rate_limit', String(config.rateLimit)], key);
    },
  };
}
