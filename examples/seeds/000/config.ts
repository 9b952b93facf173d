/**
 * Seed 000 configured from the environment, as `server.ts` starts it. Every timeout the page states has
 * the page's value by default and can be shortened, so that a test reaches it in seconds.
 */
import { secret } from '../shared/env.js';
import type { SeedOptions } from './app.js';
import type { Limits } from './limits.js';

/** The environment variables seed 000 reads, with what each sets. */
export const variables = {
  PORT: 'the port (0: a free one) @default 3000',
  SEED_000_ADMIN_KEY:
    'the demo admin’s API key, at least 16 characters (a shorter one stops the start) @default generated at start and printed',
  SEED_000_UPSTREAMS: 'comma-separated origins a connector may reach whatever their address @default none',
  SEED_000_FUNCTION_RUNNER_URL: 'the isolated service that runs functions @default none: run answers 501',
  SEED_000_FUNCTION_TIMEOUT_MS: 'how long a function run may take @default 5000',
  SEED_000_CONNECTOR_TIMEOUT_MS: 'how long a connector test may take @default 2000',
  SEED_000_CHAT_TIMEOUT_MS: 'idle time after which a chat times out @default 600000 (10 minutes)',
  SEED_000_READ_TIMEOUT_MS:
    'how long a request body may stall, and a request head may take, before 408 @default 10000',
  SEED_000_HEARTBEAT_MS: 'the chat WebSocket ping interval; a missed pong cuts the client off @default 30000',
  SEED_000_CHAT_SOCKETS_PER_ACCOUNT:
    'the chat WebSockets one account holds open at once, over all its chats; past it, 429 @default 50',
  SEED_000_RATE_PER_KEY:
    'requests per minute per user, its API key and tokens together; a credential that does not authenticate spends only its address’s @default 600',
  SEED_000_RATE_PER_IP: 'requests per minute per client address, before authentication @default 600',
  SEED_000_RECORDINGS_DIR: 'the folder recordings are kept in @default a new temporary folder',
  SEED_000_MAX_PER_PROJECT:
    'rows of each collection of a project (conversations, chats, drafts, deployments, flows, functions, topics, connectors, phone numbers, variants, SMS templates, test cases) @default 1000',
  SEED_000_MAX_RECORDING_BYTES:
    'the bytes of all recordings of one project together @default 104857600 (100 MiB)',
  SEED_000_MAX_PROJECTS: 'projects of one account @default 20',
  SEED_000_MAX_USERS: 'users of one account @default 50',
  SEED_000_MAX_ACCOUNTS: 'accounts the operator’s account (demo) may create through the API @default 20',
  SEED_000_DRAIN_GRACE_MS:
    'after SIGTERM, how long requests are answered 503 before the server closes @default 5000',
} as const;

/** The variable that sets each limit (defaults in `limits.ts`). */
const limitVariables: Record<keyof Limits, keyof typeof variables> = {
  perProject: 'SEED_000_MAX_PER_PROJECT',
  recordingBytes: 'SEED_000_MAX_RECORDING_BYTES',
  projects: 'SEED_000_MAX_PROJECTS',
  users: 'SEED_000_MAX_USERS',
  accounts: 'SEED_000_MAX_ACCOUNTS',
};

type Env = Readonly<Record<string, string | undefined>>;

function count(env: Env, name: keyof typeof variables): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new TypeError(`${name} must be a positive integer, not "${text}"`);
  return value;
}

function url(env: Env, name: keyof typeof variables): URL | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  try {
    const parsed = new URL(text);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return parsed;
  } catch {}
  throw new TypeError(`${name} must be an http(s) URL, not "${text}"`);
}

/** The options of seed 000 from `env`; throws on a value it cannot use, naming the variable. */
export function optionsFromEnv(
  env: Env,
): SeedOptions & { port: number; drainGrace: number; adminKey?: string } {
  const upstreams = (env.SEED_000_UPSTREAMS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '')
    .map((origin) => url({ SEED_000_UPSTREAMS: origin }, 'SEED_000_UPSTREAMS')!.origin);
  const runner = url(env, 'SEED_000_FUNCTION_RUNNER_URL');
  // The operator account's admin creates accounts: a short key could be guessed (001 and 002 refuse theirs).
  const adminKey = secret(env, 'SEED_000_ADMIN_KEY');
  const port = env.PORT === undefined || env.PORT === '' ? 3000 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new TypeError(`PORT must be a port, not "${env.PORT}"`);
  const set = <K extends keyof SeedOptions>(key: K, value: SeedOptions[K] | undefined) =>
    value === undefined ? {} : { [key]: value };
  return {
    port,
    drainGrace: count(env, 'SEED_000_DRAIN_GRACE_MS') ?? 5000,
    ...(adminKey === undefined ? {} : { adminKey }),
    upstreams,
    ...(runner
      ? { runner: { url: runner.href, timeoutMs: count(env, 'SEED_000_FUNCTION_TIMEOUT_MS') ?? 5000 } }
      : {}),
    ...set('connectorTimeout', count(env, 'SEED_000_CONNECTOR_TIMEOUT_MS')),
    ...set('chatTimeoutMs', count(env, 'SEED_000_CHAT_TIMEOUT_MS')),
    ...set('readTimeout', count(env, 'SEED_000_READ_TIMEOUT_MS')),
    ...set('heartbeat', count(env, 'SEED_000_HEARTBEAT_MS')),
    ...set('chatSocketsPerAccount', count(env, 'SEED_000_CHAT_SOCKETS_PER_ACCOUNT')),
    ...set('rate', count(env, 'SEED_000_RATE_PER_KEY')),
    ...set('ipRate', count(env, 'SEED_000_RATE_PER_IP')),
    ...set('recordings', env.SEED_000_RECORDINGS_DIR || undefined),
    limits: Object.fromEntries(
      Object.entries(limitVariables)
        .map(([limit, name]) => [limit, count(env, name)])
        .filter(([, value]) => value !== undefined),
    ),
  };
}
