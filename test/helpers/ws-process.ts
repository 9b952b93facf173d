import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { freePort } from './spawn.js';

const root = resolve(import.meta.dirname, '../..');

/** The bounds of the `fuzz` preset: small, so that every edge is reached in a few frames. */
export const fuzzLimits = { maxPayload: 64 * 1024, maxBytes: 16 * 1024, maxBuffered: 64 * 1024 } as const;

/** What `ws-target.ts` reports on `stats`. */
export interface TargetStats {
  /** Data frames handed to `ws` on open sockets, and their bytes. */
  frames: number;
  bytes: number;
  connections: number;
  /** The largest `bufferedAmount` of any connection, sampled every 2 ms. */
  maxBuffered: number;
  rss: number;
  heapUsed: number;
  external: number;
}

/** A server in a child process: it may die without taking the test runner with it. */
export interface Child {
  /** What it printed to say it was ready (the match of `ready`). */
  readonly ready: RegExpExecArray;
  /** Everything it wrote on stderr so far. */
  stderr(): string;
  /** Whether it is still running. */
  alive(): boolean;
  /** Resolves with its exit code once it has exited. */
  readonly exited: Promise<number | null>;
  /** Writes one line on its stdin and resolves with the next line it prints (15 s at most). */
  ask(line: string): Promise<string>;
  stop(): void;
}

/** Runs a TypeScript file on the source (`faultline-source`) and waits (30 s at most) for `ready` on stdout. */
export function spawnScript(
  args: readonly string[],
  ready: RegExp,
  env: NodeJS.ProcessEnv = {},
): Promise<Child> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--expose-gc', '--conditions=faultline-source', '--import', 'tsx', ...args],
    { cwd: root, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  let err = '';
  let out = '';
  const waiters: ((line: string) => void)[] = [];
  const queued: string[] = [];
  child.stderr!.on('data', (chunk) => (err += chunk));
  child.stdout!.on('data', (chunk) => {
    out += chunk;
    for (let end = out.indexOf('\n'); end !== -1; end = out.indexOf('\n')) {
      const line = out.slice(0, end);
      out = out.slice(end + 1);
      const waiter = waiters.shift();
      if (waiter) waiter(line);
      else queued.push(line);
    }
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const nextLine = (ms: number) =>
    new Promise<string>((done, fail) => {
      const line = queued.shift();
      if (line !== undefined) {
        done(line);
        return;
      }
      const timer = setTimeout(() => fail(new Error(`no line within ${ms} ms: ${err}`)), ms);
      waiters.push((next) => {
        clearTimeout(timer);
        done(next);
      });
      void exited.then((code) => {
        clearTimeout(timer);
        fail(new Error(`exited with ${code}: ${err}`));
      });
    });
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const started = Date.now();
  const waitReady = async (): Promise<RegExpExecArray> => {
    for (;;) {
      const line = await nextLine(Math.max(1, 30_000 - (Date.now() - started)));
      const found = ready.exec(line);
      if (found) return found;
    }
  };
  return waitReady().then(
    (found) => ({
      ready: found,
      stderr: () => err,
      alive: () => child.exitCode === null && child.signalCode === null,
      exited,
      ask(line: string) {
        child.stdin!.write(`${line}\n`);
        return nextLine(15_000);
      },
      stop,
    }),
    (error) => {
      stop();
      throw error;
    },
  );
}

/** `test/helpers/ws-target.ts` with a preset: its port, and its counters on demand. */
export interface Target extends Child {
  readonly port: number;
  readonly url: string;
  /** Its counters and memory (after a collection); rejects when it has died. */
  stats(): Promise<TargetStats>;
}

/** Starts a `ws-target.ts` endpoint with a preset. */
export async function startTarget(preset: string): Promise<Target> {
  const child = await spawnScript(['test/helpers/ws-target.ts', preset], /^\{"port":(\d+)\}$/);
  const port = Number(child.ready[1]);
  return {
    ...child,
    port,
    url: `ws://127.0.0.1:${port}`,
    stats: async () => JSON.parse(await child.ask('stats')) as TargetStats,
  };
}

/** `npm start`'s server (demo/server.ts) on a free port, and the socket URL it prints. */
export async function startDemo(): Promise<Child & { socketUrl: string; port: number }> {
  const port = await freePort();
  const child = await spawnScript(['demo/server.ts'], /socket:\s+(ws:\/\/\S+)/, { PORT: String(port) });
  return { ...child, socketUrl: child.ready[1]!, port };
}
