/**
 * HTTP benchmark of a rate-limited route answering 429: faultline's guard against @fastify/rate-limit on
 * Fastify and express-rate-limit on Express. Each server runs in its own process pinned to core 0, wrk on
 * core 1; interleaved rounds (BENCH_ROUNDS of BENCH_SECONDS), median reported. Needs wrk and taskset.
 * Run: `npm run build && node --import tsx bench/guards-http.ts`.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { request } from 'node:http';
import { resolve } from 'node:path';
import { bundleServers } from './bundle.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 2);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const root = resolve(import.meta.dirname, '..');
// The servers as users deploy them: bundled, on plain node, importing the built dist/ (`npm run build` first).
const serversFile = await bundleServers('bench/guards-http-servers.ts', 'guards-http-servers');
const pairs = [
  ['fastify-faultline', 'fastify-rate-limit'],
  ['express-faultline', 'express-rate-limit'],
] as const;
const kinds = pairs.flat();

function has(command: string): boolean {
  try {
    execFileSync('which', [command], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function start(kind: string, port: number): Promise<ChildProcess> {
  const child = spawn('taskset', ['-c', '0', process.execPath, serversFile, kind, String(port)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${kind} did not start in 20 s`)), 20_000);
    child.stdout!.on('data', (data: Buffer) => {
      if (String(data).includes('ready')) {
        clearTimeout(timer);
        ok();
      }
    });
    child.once('exit', (code) => fail(new Error(`${kind} exited with ${code}`)));
  });
  return child;
}

function get(url: string): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((ok, fail) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => ok({ status: res.statusCode!, headers: res.headers }));
    });
    req.on('error', fail);
    req.end();
  });
}

function wrk(url: string, duration: number): number {
  const output = execFileSync(
    'taskset',
    ['-c', '1', 'wrk', '-t1', '-c32', `-d${duration}s`, '--timeout', '5s', url],
    {
      encoding: 'utf8',
    },
  );
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? 0);
}

if (!has('wrk') || !has('taskset')) {
  console.log('\n(guards HTTP benchmark skipped: it needs wrk and taskset)');
} else {
  const servers = new Map<string, { child: ChildProcess; port: number }>();
  const samples = new Map<string, number[]>(kinds.map((k) => [k, []]));
  let port = 4300;
  try {
    for (const kind of kinds) {
      const child = await start(kind, ++port);
      servers.set(kind, { child, port });
      const url = `http://127.0.0.1:${port}/limited`;
      await get(url);
      const second = await get(url);
      if (second.status !== 429) throw new Error(`${kind} answered ${second.status}, not 429`);
      wrk(url, 1);
    }
    for (let round = 0; round < rounds; round++) {
      for (const kind of round % 2 ? [...kinds].reverse() : kinds) {
        samples.get(kind)!.push(wrk(`http://127.0.0.1:${servers.get(kind)!.port}/limited`, seconds));
      }
    }
  } finally {
    for (const { child } of servers.values()) child.kill('SIGKILL');
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(
    `\n## HTTP 429 route (median of ${rounds} interleaved rounds of ${seconds}s, 32 connections)\n`,
  );
  console.log('| server | 429 req/s | faultline ÷ peer |');
  console.log('| --- | ---: | ---: |');
  for (const [ours, peer] of pairs) {
    const a = median(samples.get(ours)!);
    const b = median(samples.get(peer)!);
    console.log(`| ${ours} | ${Math.round(a).toLocaleString('en-US')} | ${(a / b).toFixed(2)}× |`);
    console.log(`| ${peer} | ${Math.round(b).toLocaleString('en-US')} | 1.00× |`);
  }
}
