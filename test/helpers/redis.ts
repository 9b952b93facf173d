import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// A real redis-server per test file, on a free port of 127.0.0.1, without persistence.
const serverBin = '/usr/bin/redis-server';
const cliBin = '/usr/bin/redis-cli';
const run = promisify(execFile);

async function isFree(port: number): Promise<boolean> {
  const probe = createServer();
  return new Promise((resolve) => {
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** A free port whose cluster-bus twin (port + 10000) is free too. */
async function freeRedisPort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if ((await isFree(port)) && (await isFree(port + 10_000))) return port;
  }
  throw new Error('no free port for redis-server after 200 attempts');
}

/** One running redis-server. */
export interface RedisServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `redis://127.0.0.1:PORT` */
  readonly url: string;
  /** The pid of the current process (changes after `restart`). */
  readonly pid: number;
  /** Stops it (SIGTERM) and waits for the exit. */
  stop(): Promise<void>;
  /** Kills it by pid (SIGKILL), as a crash would, and waits for the exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
}

function launch(port: number, extra: string[], cwd: string, timeoutMs = 10_000): Promise<ChildProcess> {
  const child = spawn(
    serverBin,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra],
    { cwd, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server on ${port} not ready within ${timeoutMs} ms: ${out}`));
    }, timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk;
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server on ${port} exited with ${code}: ${out}`));
    });
  });
}

function exited(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    try {
      process.kill(child.pid!, signal);
    } catch {
      resolve();
    }
  });
}

/**
 * Starts a real redis-server (`/usr/bin/redis-server`) on a free port of 127.0.0.1, with `--save ''
 * --appendonly no`; `extra` adds arguments.
 */
export async function startRedis(extra: string[] = []): Promise<RedisServer> {
  if (!existsSync(serverBin)) throw new Error(`${serverBin} is missing: apt-get install redis-server`);
  const port = await freeRedisPort();
  const dir = mkdtempSync(join(tmpdir(), 'faultline-redis-'));
  let child = await launch(port, extra, dir);
  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child.pid!;
    },
    async stop() {
      await exited(child, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    kill: () => exited(child, 'SIGKILL'),
    async restart() {
      await exited(child, 'SIGKILL');
      child = await launch(port, extra, dir);
    },
  };
}

/** A running Redis Cluster of three masters without replicas. */
export interface RedisCluster {
  readonly nodes: readonly { host: '127.0.0.1'; port: number }[];
  stop(): Promise<void>;
}

/** Starts three redis-servers in cluster mode and joins them with `redis-cli --cluster create`. */
export async function startRedisCluster(): Promise<RedisCluster> {
  const servers: RedisServer[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      servers.push(
        await startRedis(['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${i}.conf`]),
      );
    }
    const addresses = servers.map((s) => `127.0.0.1:${s.port}`);
    await run(cliBin, ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 30_000,
    });
    const deadline = Date.now() + 20_000;
    for (const server of servers) {
      for (;;) {
        const { stdout } = await run(cliBin, ['-p', String(server.port), 'cluster', 'info'], {
          timeout: 5000,
        });
        if (stdout.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`cluster not ok on ${server.port}: ${stdout}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()));
    throw error;
  }
  return {
    nodes: servers.map((s) => ({ host: '127.0.0.1' as const, port: s.port })),
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}
