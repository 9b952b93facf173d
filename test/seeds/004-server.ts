/**
 * Seed 004 as it ships: `examples/seeds/004/server.ts` in its own process (`node --import tsx`), configured
 * by environment only. Tests reach it over HTTP, read what it printed (its URL and credentials) and its
 * JSON log lines from stderr, and stop it by its pid.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { LogLine } from '../../examples/seeds/shared/run.js';

const root = resolve(import.meta.dirname, '../..');

export interface SeedProcess {
  readonly url: string;
  /** The error log lines the server wrote to stderr. */
  readonly log: LogLine[];
  /** Everything the server printed on stdout. */
  readonly stdout: () => string;
  /** Stops the process and resolves when it is gone. */
  stop(): Promise<void>;
}

/**
 * Starts the shipped server with `env` (and nothing of this process's environment that configures seed
 * 004) on a free port; rejects if it does not print its URL within 30 s.
 */
export function startSeed004(env: Record<string, string>): Promise<SeedProcess> {
  const inherited = { ...process.env };
  for (const name of Object.keys(inherited))
    if (
      /^(OWNER_|ADMIN_|PROVIDER_|DRAFT_|MAIL_|RECORDINGS_|LICENSE_|IDLE_|WIDGET_|TRAINING_|CALL_|IP_RATE|GOOGLE_)/.test(
        name,
      )
    )
      delete inherited[name];
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'examples/seeds/004/server.ts'], {
    cwd: root,
    env: { ...inherited, ...env, PORT: '0' },
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
      reject(new Error(`seed 004 did not start within 30 s:\n${out}${err}`));
    }, 30_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`seed 004 exited with ${code} before listening:\n${out}${err}`));
    });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      // The banner is one write: once the URL is in, so are the credentials.
      if (!match) return;
      clearTimeout(timer);
      resolveStart({
        url: match[1]!,
        log,
        stdout: () => out,
        stop: async () => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGKILL');
          await exited;
        },
      });
    });
  });
}
