/**
 * Seed 003 as it ships: `examples/seeds/003/server.ts` in its own process (`node --import tsx`), configured
 * by environment only. Tests reach it over HTTP, read the keys it prints on stdout and its JSON log lines
 * from stderr, and stop it by its pid.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { type RedisSend, redisSend } from 'faultline/stores';
import { Redis } from 'ioredis';
import type { LogLine } from '../../examples/seeds/shared/run.js';
import { startRedis } from '../helpers/redis.js';

const root = resolve(import.meta.dirname, '../..');

/** The variables the seed reads: a test sets the ones it needs and none leak in from its own environment. */
const seedVariables = [
  'ADMIN_API_KEY',
  'DEMO_API_KEY',
  'REDIS_URL',
  'RECORDING_ENABLED',
  'COMMAND_COOLDOWN_MS',
  'IP_RATE_LIMIT',
  'SESSION_IDLE_TIMEOUT_MS',
  'MAX_SESSIONS_PER_APP',
  'MAX_ROOMS_PER_APP',
];

export interface GatewayProcess {
  readonly url: string;
  /** The admin key the server printed (made at start), or undefined when it came from the environment. */
  readonly adminKey: string | undefined;
  /** The key of the seeded app `demo-app` the server printed, or undefined when it came from the environment. */
  readonly demoKey: string | undefined;
  /** The error log lines the server wrote to stderr. */
  readonly log: LogLine[];
  /** Stops the process (SIGKILL) and resolves when it is gone. */
  stop(): Promise<void>;
}

/** Runs `server.ts` with `env` until it exits, and resolves with its exit code and output. */
export function runGateway(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawnGateway(env);
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((done) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, output });
    }),
  );
}

function spawnGateway(env: Record<string, string>): ChildProcess {
  const base = { ...process.env };
  for (const name of seedVariables) delete base[name];
  return spawn(process.execPath, ['--import', 'tsx', 'examples/seeds/003/server.ts'], {
    cwd: root,
    env: { ...base, ...env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Starts the shipped server with `env` on a free port; rejects if it does not listen within 30 s. */
export function startGateway(env: Record<string, string> = {}): Promise<GatewayProcess> {
  const child = spawnGateway(env);
  const log: LogLine[] = [];
  let out = '';
  let err = '';
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
    const lines = err.split('\n');
    err = lines.pop() ?? '';
    for (const line of lines) {
      try {
        log.push(JSON.parse(line) as LogLine);
      } catch {
        // Not a log line (a warning of node itself).
      }
    }
  });
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`seed 003 did not start within 30 s:\n${out}${err}`));
    }, 30_000);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`seed 003 exited before listening:\n${out}${err}`));
    });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      if (!url || !out.includes('curl')) return;
      clearTimeout(timer);
      resolveStart({
        url,
        adminKey: /admin key: +([\w-]{16,})$/m.exec(out)?.[1],
        demoKey: /demo-app key: +([\w-]{16,})$/m.exec(out)?.[1],
        log,
        stop: async () => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGKILL');
          await exited;
        },
      });
    });
  });
}

/** Where an in-process gateway keeps its state: nothing (memory), or a fresh redis-server and a client of it. */
export interface Backend {
  /** The seed's `redis` option, when on Redis. */
  readonly options: { redis?: RedisSend };
  /** The client, for a test that reads or changes the state itself. */
  readonly redis: Redis | undefined;
  stop(): Promise<void>;
}

/** Starts what an in-process gateway on `kind` needs. */
export async function backendOf(kind: 'memory' | 'redis'): Promise<Backend> {
  if (kind === 'memory') return { options: {}, redis: undefined, stop: async () => {} };
  const server = await startRedis();
  const connection = new Redis(server.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false });
  await new Promise((ready) => connection.once('ready', ready));
  return {
    options: { redis: redisSend(connection) },
    redis: connection,
    async stop() {
      connection.disconnect();
      await server.stop();
    },
  };
}
