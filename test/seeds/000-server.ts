/**
 * Seed 000 as it ships: `examples/seeds/000/server.ts` in its own process (`node --import tsx`), configured
 * by environment only. Tests reach it over HTTP and WebSocket, read its JSON log lines from stderr,
 * and stop it by its pid.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { LogLine } from '../../examples/seeds/shared/run.js';

const root = resolve(import.meta.dirname, '../..');

export interface SeedProcess {
  readonly url: string;
  readonly port: number;
  /** The error log lines the server wrote to stderr. */
  readonly log: LogLine[];
  /** Everything the server printed on stdout. */
  readonly stdout: () => string;
  /** Sends `signal` to the server process. */
  signal(signal: NodeJS.Signals): void;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  /** Stops the process (SIGKILL after 5 s) and resolves when it is gone. */
  stop(): Promise<void>;
}

/** Starts the shipped server with `env` on a free port; rejects if it does not listen within 30 s. */
export function startSeedProcess(env: Record<string, string>): Promise<SeedProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'examples/seeds/000/server.ts'], {
    cwd: root,
    env: { ...process.env, ...env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: LogLine[] = [];
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
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
      reject(new Error(`seed 000 did not start within 30 s:\n${out}${err}`));
    }, 30_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`seed 000 exited with ${code} before listening:\n${out}${err}`));
    });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(out);
      if (!match) return;
      clearTimeout(timer);
      resolveStart({
        url: match[1]!,
        port: Number(match[2]),
        log,
        stdout: () => out,
        signal: (signal) => child.kill(signal),
        exited,
        stop: async () => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGKILL');
          await exited;
        },
      });
    });
  });
}
