/**
 * Seed 001 configured from the environment, as `server.ts` starts it. The page's values are the
 * defaults; each can be changed, the session expiry shortened so that a test reaches it in seconds.
 */
import { count, type Env, httpUrl, port, secret, url } from '../shared/env.js';
import type { SeedOptions } from './app.js';

/** The environment variables seed 001 reads, with what each sets. */
export const variables = {
  PORT: 'the port (0: a free one) @default 3001',
  ADMIN_API_KEY:
    'the key of the admin routes, sent as X-Admin-API-Key @default generated at start and printed',
  DEMO_CONNECTOR_TOKEN:
    'the token of the demo connector (host example.com) @default generated at start and printed',
  AGENT_URL: 'the agent service @default none: joining answers the agent errors',
  HANDOFF_URL: 'the live-agent handoff provider @default none: handoffs answer the handoff errors',
  SESSION_IDLE_MS: 'how long a session lives without activity @default 600000 (the page’s ~10 minutes)',
  REDIS_URL: 'keep sessions and their replay history in Redis @default in memory',
  MAX_SESSIONS: 'sessions held in memory at once; past it a new one answers 500 @default 10000',
  SESSIONS_PER_CONNECTOR:
    'live sessions per connector, in memory or Redis; past it a new one answers 429 with Retry-After @default 1000',
  HISTORY_BYTES_PER_SESSION:
    'bytes of replay history kept per session, in memory or Redis; past it the oldest events go @default 262144 (256 KiB)',
  MAX_HISTORY_BYTES: 'bytes of replay history held in memory across all sessions @default 67108864 (64 MiB)',
  HISTORY_BYTES_PER_CONNECTOR:
    "bytes of replay history held in memory across one connector's sessions @default an eighth of MAX_HISTORY_BYTES",
  SESSION_RATE: 'HTTP requests per minute per session @default 120',
  MESSAGE_RATE:
    "WebSocket messages per second per session (a connector's sockets together: 20 times as many); more are dropped, and a socket that sends 100 more than it may is closed @default 10",
  WS_CONNECTIONS_PER_CONNECTOR:
    'WebSocket connections open at once per connector on this instance, over all its sessions @default 200',
  IP_RATE:
    'HTTP requests and WebSocket handshakes per minute per client address (one budget), before authentication @default 600',
} as const;

/** The options of seed 001 from `env`, and where it listens; throws naming a variable it cannot use. */
export function optionsFromEnv(
  env: Env,
): SeedOptions & { port: number; redisUrl?: string; demoToken?: string } {
  const set = <K extends string, V>(key: K, value: V | undefined) =>
    (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;
  return {
    port: port(env, 3001),
    ...set('adminKey', secret(env, 'ADMIN_API_KEY')),
    ...set('demoToken', secret(env, 'DEMO_CONNECTOR_TOKEN')),
    ...set('agentUrl', httpUrl(env, 'AGENT_URL')),
    ...set('handoffUrl', httpUrl(env, 'HANDOFF_URL')),
    ...set('sessionIdleMs', count(env, 'SESSION_IDLE_MS')),
    ...set('redisUrl', url(env, 'REDIS_URL', ['redis:', 'rediss:'])),
    ...set('maxSessions', count(env, 'MAX_SESSIONS')),
    ...set('maxSessionsPerOwner', count(env, 'SESSIONS_PER_CONNECTOR')),
    ...set('maxHistoryBytesPerSession', count(env, 'HISTORY_BYTES_PER_SESSION')),
    ...set('maxHistoryBytes', count(env, 'MAX_HISTORY_BYTES')),
    ...set('maxHistoryBytesPerOwner', count(env, 'HISTORY_BYTES_PER_CONNECTOR')),
    ...set('sessionRate', count(env, 'SESSION_RATE')),
    ...set('messageRate', count(env, 'MESSAGE_RATE')),
    ...set('connectionsPerConnector', count(env, 'WS_CONNECTIONS_PER_CONNECTOR')),
    ...set('ipRate', count(env, 'IP_RATE')),
  };
}
