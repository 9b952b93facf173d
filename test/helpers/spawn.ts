import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

/** A command started from the repository root, as a user would run it. */
export interface Started {
  readonly output: string;
  stop(): void;
}

/** Runs a command with `PORT` set and waits (at most `timeoutMs`) until it prints `http://127.0.0.1:PORT`. */
export async function startCommand(
  command: string,
  args: string[],
  port: number,
  timeoutMs = 30_000,
): Promise<Started> {
  const child: ChildProcess = spawn(command, args, {
    cwd: root,
    env: { ...process.env, PORT: String(port) },
    detached: true,
  });
  const stop = () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // Already gone.
    }
  };
  try {
    const output = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`no URL printed within ${timeoutMs} ms: ${out}`)),
        timeoutMs,
      );
      child.stdout!.on('data', (d) => {
        out += d;
        if (out.includes(`http://127.0.0.1:${port}`)) {
          clearTimeout(timer);
          resolve(out);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited with ${code}: ${out}`));
      });
    });
    return { output, stop };
  } catch (error) {
    stop();
    throw error;
  }
}

/** Runs node with `args` from the repository root, as a user would (the built CLI: `dist/cli/index.js`). */
export function runNode(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the built `faultline` CLI with `args` from the repository root. */
export const runCli = (...args: string[]) => runNode('dist/cli/index.js', ...args);
