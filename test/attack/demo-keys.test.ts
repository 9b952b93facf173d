/**
 * The shipped demo (`npx tsx demo/server.ts`, what `npm start` runs) accepts no key written in the
 * repository: without `DEMO_API_KEY` it makes a random key at start and prints it, and a short
 * `DEMO_API_KEY` stops it from starting rather than guarding the API with a guessable key.
 *
 * Anchor: OWASP ASVS 2.10.4 / CWE-798 (no credential in source code); the seeds of examples/seeds make and
 * print their keys the same way.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { freePort } from '../helpers/spawn.js';

const root = resolve(import.meta.dirname, '../..');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) stop(child);
});

function stop(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {
    // Already gone.
  }
}

interface Run {
  port: number;
  /** Everything printed on stdout up to the URL, or up to the exit. */
  stdout: string;
  stderr: string;
  /** The exit code, when the process exited instead of listening. */
  exitCode?: number | null;
}

/** Starts the demo as a user would, with `env` on top of this environment minus any `DEMO_API_KEY`. */
async function startDemo(env: Record<string, string> = {}): Promise<Run> {
  const port = await freePort();
  const { DEMO_API_KEY: _unset, ...inherited } = process.env;
  const child = spawn('npx', ['tsx', 'demo/server.ts'], {
    cwd: root,
    env: { ...inherited, PORT: String(port), ...env },
    detached: true,
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise<Run>((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`neither listening nor exited within 30 s: ${stdout}${stderr}`)),
      30_000,
    );
    child.stdout!.on('data', () => {
      // The "try" line is the last the demo prints at start.
      if (/try: .*\n/.test(stdout)) {
        clearTimeout(timer);
        done({ port, stdout, stderr });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ port, stdout, stderr, exitCode: code });
    });
  });
}

const get = (port: number, key: string) =>
  fetch(`http://127.0.0.1:${port}/v1/sessions/nope`, {
    headers: { 'x-app-id': 'demo-app', 'x-api-key': key },
  });

/** The status a WebSocket handshake gets, or 101 when it opens. */
function handshake(url: string): Promise<number> {
  return new Promise((done) => {
    const socket = new WebSocket(url);
    socket.on('error', () => {});
    socket.on('open', () => {
      socket.close();
      done(101);
    });
    socket.on('unexpected-response', (req, res) => {
      req.destroy();
      done(res.statusCode ?? 0);
    });
  });
}

/** Every key written in the repository's demo, its README or its tests before keys came from the environment. */
const committed = ['demo-key', 'other-key', 'guard-key', 'demo-key-0123456789abcdef'];

describe('the shipped demo (npx tsx demo/server.ts) and its API key', () => {
  it('without DEMO_API_KEY, makes a random key at start, prints it on its try line, and accepts no key written in the repository', {
    timeout: 60_000,
  }, async () => {
    const run = await startDemo();
    expect(run.exitCode, run.stdout + run.stderr).toBeUndefined();
    const printed = /try: .*-H 'x-api-key: ([^']+)'/.exec(run.stdout)?.[1];
    expect(printed, run.stdout).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    // 128 bits or more: 22 base64url characters carry 132.
    expect(Buffer.from(printed!, 'base64url').length).toBeGreaterThanOrEqual(16);
    expect((await get(run.port, printed!)).status).toBe(404);
    for (const key of committed) {
      const answer = await get(run.port, key);
      expect([key, answer.status, ((await answer.json()) as { code: string }).code]).toEqual([
        key,
        401,
        'INVALID_API_KEY',
      ]);
    }
    for (const [app, key] of [
      ['other-app', 'other-key'],
      ['other-app', printed!],
    ]) {
      const answer = await fetch(`http://127.0.0.1:${run.port}/v1/sessions/nope`, {
        headers: { 'x-app-id': app!, 'x-api-key': key! },
      });
      expect([app, key, answer.status]).toEqual([app, key, 401]);
    }
    // The socket URL it prints carries the same key, and the committed one is refused at the handshake.
    const socketUrl = /socket:\s+(ws:\/\/\S+)/.exec(run.stdout)![1]!;
    expect(new URL(socketUrl).searchParams.get('api_key')).toBe(printed);
    expect(await handshake(socketUrl)).toBe(101);
    expect(await handshake(socketUrl.replace(/api_key=[^&]+/, 'api_key=demo-key'))).toBe(401);
  });

  it('makes another key on each start', { timeout: 90_000 }, async () => {
    const keys = [];
    for (let i = 0; i < 2; i++) {
      const run = await startDemo();
      keys.push(/try: .*-H 'x-api-key: ([^']+)'/.exec(run.stdout)?.[1]);
    }
    expect(keys[0]).toBeDefined();
    expect(keys[0]).not.toBe(keys[1]);
  });

  it('with DEMO_API_KEY, takes that key and no other, and does not print it', {
    timeout: 60_000,
  }, async () => {
    const key = randomBytes(24).toString('base64url');
    const run = await startDemo({ DEMO_API_KEY: key });
    expect(run.exitCode, run.stdout + run.stderr).toBeUndefined();
    expect(run.stdout).not.toContain(key);
    expect(run.stdout).toContain('DEMO_API_KEY');
    expect((await get(run.port, key)).status).toBe(404);
    expect((await get(run.port, 'demo-key')).status).toBe(401);
  });

  it.each([
    ['the committed demo-key', 'demo-key'],
    ['15 characters', 'a'.repeat(15)],
    ['empty', ''],
  ])(
    'refuses to start with a DEMO_API_KEY that is %s: a clear message on stderr, a non-zero exit, no socket opened',
    {
      timeout: 60_000,
    },
    async (_, key) => {
      const run = await startDemo({ DEMO_API_KEY: key });
      expect(run.exitCode, run.stdout + run.stderr).not.toBe(0);
      expect(run.exitCode).toBeTypeOf('number');
      expect(run.stderr).toMatch(/DEMO_API_KEY must be 16 characters or more/);
      // The message names the rule, never the key it refused.
      if (key) expect(run.stderr).not.toContain(key);
      expect(run.stdout).not.toContain('listening');
      await expect(fetch(`http://127.0.0.1:${run.port}/health`)).rejects.toThrow();
    },
  );
});
