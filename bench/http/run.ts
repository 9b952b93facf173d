/**
 * HTTP benchmark of the error paths: each server runs in its own process pinned to core 0, wrk is pinned
 * to core 1, both on 127.0.0.1. Servers are measured in interleaved rounds (BENCH_ROUNDS of BENCH_SECONDS
 * per route) and the median is reported, so that drift of a shared machine does not favour whoever ran
 * first. Needs wrk (`apt-get install wrk`) and taskset; every load is bounded in time.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleServers } from '../bundle.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 2);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const connections = 50;
const root = resolve(import.meta.dirname, '../..');
const allKinds = [
  'raw-precomputed',
  'raw-stringify',
  'node-faultline',
  'express-native',
  'express-faultline',
  'fastify-native',
  'fastify-faultline',
  'hono-native',
  'hono-faultline',
  'koa-native',
  'koa-faultline',
] as const;
// BENCH_KINDS / BENCH_ROUTES narrow a run (comma-separated kinds, route paths); the ceiling always runs.
const only = process.env.BENCH_KINDS?.split(',');
const kinds = allKinds.filter((k) => !only || k === 'raw-precomputed' || only.includes(k));
const allRoutes = [
  { name: '404 unknown route', path: '/missing', status: 404 },
  { name: '400 validation', path: '/validate', status: 400, body: '{"email":1}' },
  { name: '429 Retry-After', path: '/limited', status: 429 },
] as const;
const onlyRoutes = process.env.BENCH_ROUTES?.split(',');
const routes = allRoutes.filter((r) => !onlyRoutes || onlyRoutes.includes(r.path));
const peers: Record<string, string> = {
  'node-faultline': 'raw-stringify',
  'express-faultline': 'express-native',
  'fastify-faultline': 'fastify-native',
  'hono-faultline': 'hono-native',
  'koa-faultline': 'koa-native',
};

interface Result {
  rps: number;
  p99: string;
  p99Ms: number;
  /** Server CPU (user + system) per request, in µs: steadier than req/s on a shared machine. */
  cpu: number;
}

// utime + stime of a process, in clock ticks (Linux, 100 per second).
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function toMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
}

function has(command: string): boolean {
  try {
    execFileSync('which', [command], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const serversFile = await bundleServers('bench/http/servers.ts', 'servers');

async function startServer(kind: string, port: number): Promise<ChildProcess> {
  const child = spawn('taskset', ['-c', '0', process.execPath, serversFile, kind, String(port)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind} did not start`)), 20_000);
    child.stdout!.on('data', (data: Buffer) => {
      if (data.toString().includes('ready')) {
        clearTimeout(timer);
        resolvePromise();
      }
    });
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${code}`)));
  });
  return child;
}

/** The status of one request on a fresh connection (a pooled one may meet the server's keep-alive timeout). */
function statusOf(url: string, body: string | undefined): Promise<number | undefined> {
  return new Promise((resolvePromise, reject) => {
    const req = request(
      url,
      { method: body ? 'POST' : 'GET', agent: false, headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolvePromise(res.statusCode));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function wrk(
  url: string,
  script: string | undefined,
  duration: number,
  pid: number,
): { output: string; result: Result } {
  const args = [
    '-c',
    '1',
    'wrk',
    '-t1',
    `-c${connections}`,
    `-d${duration}s`,
    '--latency',
    '--timeout',
    '5s',
  ];
  if (script) args.push('-s', script);
  const before = cpuTicks(pid);
  const output = execFileSync('taskset', [...args, url], { encoding: 'utf8' });
  const ticks = cpuTicks(pid) - before;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? 0);
  const requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? 0);
  const p99 = /\s99%\s+(\S+)/.exec(output)?.[1] ?? '?';
  return { output, result: { rps, p99, p99Ms: toMs(p99), cpu: (ticks * 10_000) / Math.max(1, requests) } };
}

if (!has('wrk') || !has('taskset')) {
  console.log('\n(HTTP benchmark skipped: it needs wrk and taskset — apt-get install wrk)');
} else {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-bench-'));
  const scripts: Record<string, string> = {};
  for (const route of routes) {
    if ('body' in route) {
      const file = join(dir, `${route.path.slice(1)}.lua`);
      writeFileSync(
        file,
        `wrk.method = "POST"\nwrk.body = '${route.body}'\nwrk.headers["Content-Type"] = "application/json"\n`,
      );
      scripts[route.path] = file;
    }
  }
  const servers = new Map<string, { child: ChildProcess; port: number }>();
  const samples = new Map<string, Result[]>();
  let port = 4100;
  try {
    for (const kind of kinds) {
      const child = await startServer(kind, ++port);
      servers.set(kind, { child, port });
      for (const route of routes) {
        const url = `http://127.0.0.1:${port}${route.path}`;
        const status = await statusOf(url, 'body' in route ? route.body : undefined);
        if (status !== route.status)
          throw new Error(`${kind} ${route.path} answered ${status}, not ${route.status}`);
        wrk(url, scripts[route.path], 1, child.pid!);
      }
    }
    for (let round = 0; round < rounds; round++) {
      for (const route of routes) {
        for (const kind of round % 2 === 0 ? kinds : [...kinds].reverse()) {
          const server = servers.get(kind)!;
          const url = `http://127.0.0.1:${server.port}${route.path}`;
          const { output, result } = wrk(url, scripts[route.path], seconds, server.child.pid!);
          if (/Socket errors/.test(output))
            console.error(`${kind} ${route.path}: ${/Socket errors.*/.exec(output)?.[0]}`);
          const key = `${kind} ${route.name}`;
          samples.set(key, [...(samples.get(key) ?? []), result]);
        }
      }
      console.error(`round ${round + 1}/${rounds} done`);
    }
  } finally {
    for (const { child } of servers.values()) child.kill('SIGKILL');
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const results = new Map<string, Map<string, Result>>();
  for (const kind of kinds) {
    const byRoute = new Map<string, Result>();
    for (const route of routes) {
      const runs = samples.get(`${kind} ${route.name}`)!;
      const p99s = runs.map((r) => r.p99Ms);
      byRoute.set(route.name, {
        rps: median(runs.map((r) => r.rps)),
        cpu: median(runs.map((r) => r.cpu)),
        p99: `${median(p99s).toFixed(2)}ms`,
        p99Ms: median(p99s),
      });
    }
    results.set(kind, byRoute);
  }

  console.log(
    `\n## HTTP error paths (median of ${rounds} interleaved rounds of ${seconds}s per route, ${connections} connections, servers on core 0, wrk on core 1)\n`,
  );
  console.log(`| server | ${routes.map((r) => `${r.name} req/s (p99) · server CPU µs/req`).join(' | ')} |`);
  console.log(`| --- | ${routes.map(() => '---:').join(' | ')} |`);
  for (const [kind, byRoute] of results) {
    const cells = routes.map((r) => {
      const x = byRoute.get(r.name)!;
      return `${Math.round(x.rps).toLocaleString('en-US')} (${x.p99}) · ${x.cpu.toFixed(1)}`;
    });
    console.log(`| ${kind} | ${cells.join(' | ')} |`);
  }
  // Two ratios per cell: throughput (ours / theirs) and CPU per request (theirs / ours); above 1 is faster.
  const ratio = (ours: Result, theirs: Result) =>
    `${(ours.rps / theirs.rps).toFixed(2)}× · ${(theirs.cpu / ours.cpu).toFixed(2)}×`;
  console.log(`\n| faultline vs its peer (req/s · CPU) | ${routes.map((r) => r.name).join(' | ')} |`);
  console.log(`| --- | ${routes.map(() => '---:').join(' | ')} |`);
  for (const [kind, peer] of Object.entries(peers)) {
    if (!results.has(kind) || !results.has(peer)) continue;
    const cells = routes.map((r) => ratio(results.get(kind)!.get(r.name)!, results.get(peer)!.get(r.name)!));
    console.log(`| ${kind} / ${peer} | ${cells.join(' | ')} |`);
  }
  const ceiling = results.get('raw-precomputed')!;
  console.log(
    `\n| stack vs raw node:http precomputed (req/s · CPU) | ${routes.map((r) => r.name).join(' | ')} |`,
  );
  console.log(`| --- | ${routes.map(() => '---:').join(' | ')} |`);
  for (const [kind, byRoute] of results) {
    const cells = routes.map((r) => ratio(byRoute.get(r.name)!, ceiling.get(r.name)!));
    console.log(`| ${kind} | ${cells.join(' | ')} |`);
  }
  console.log(
    `\nCeiling (raw node:http, precomputed bodies): ${routes.map((r) => `${r.name} ${Math.round(ceiling.get(r.name)!.rps).toLocaleString('en-US')} req/s, ${ceiling.get(r.name)!.cpu.toFixed(1)} µs CPU/req`).join('; ')}.`,
  );
}
