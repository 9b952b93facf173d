import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { defineErrors } from 'faultline';
import { createClient } from 'faultline/client';
import ky, { HTTPError } from 'ky';
import * as z from 'zod';
import { benchSizes } from './size.js';

const errors = defineErrors({
  SESSION_NOT_FOUND: {
    status: 404,
    message: 'Session not found',
    details: z.object({ sessionId: z.string() }),
  },
});

/** A full collection between cases when node runs with `--expose-gc` (as `npm run bench` does). */
const collect = (): void => (globalThis as { gc?: () => void }).gc?.();

/** The client against a bare fetch (success) and ky's HTTPError path (errors), same server, same run. */
export async function benchClient(): Promise<void> {
  const port = 4500 + Math.floor(Math.random() * 400);
  const server = spawn(
    'taskset',
    ['-c', '0', process.execPath, '--import', 'tsx', 'bench/client-server.ts', String(port)],
    {
      cwd: resolve(import.meta.dirname, '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((ready) => server.stdout!.once('data', () => ready()));
  try {
    const base = `http://127.0.0.1:${port}`;
    const api = createClient({ baseUrl: base, catalog: errors, retry: false });
    const kyApi = ky.create({ prefix: base, retry: 0 });
    let sink = 0;
    const cases: Record<string, () => Promise<void>> = {
      'bare fetch + json()': async () => {
        const response = await fetch(`${base}/ok`);
        sink += ((await response.json()) as { id: string }).id.length;
      },
      'faultline client get()': async () => {
        sink += (await api.get<{ id: string }>('/ok')).id.length;
      },
      'ky get().json()': async () => {
        sink += (await kyApi.get('ok').json<{ id: string }>()).id.length;
      },
      'ky HTTPError + body': async () => {
        try {
          await kyApi.get('error');
        } catch (error) {
          // ky 2 reads the body into `data` itself (the response's body is then used); ky 1 leaves it.
          if (error instanceof HTTPError) {
            const body = (error as { data?: unknown }).data ?? (await error.response.json());
            sink += (body as { code: string }).code.length;
          }
        }
      },
      'faultline parse + throw ApiError': async () => {
        try {
          await api.get('/error');
        } catch (error) {
          if (api.is(error, 'SESSION_NOT_FOUND')) sink += error.details?.sessionId.length ?? 0;
        }
      },
    };
    // Interleaved rounds of a fixed number of sequential requests; the median round of each case is kept,
    // so that drift of a shared machine does not favour whichever case ran first.
    const rounds = Number(process.env.BENCH_ROUNDS ?? 15);
    const perRound = 400;
    const times = new Map<string, number[]>();
    const cpu = new Map<string, number[]>();
    for (const run of Object.values(cases)) for (let i = 0; i < perRound; i++) await run();
    for (let round = 0; round < rounds; round++) {
      const names = Object.keys(cases);
      for (const name of round % 2 === 0 ? names : names.reverse()) {
        // Each case starts on a clean heap: otherwise the garbage of its neighbour is collected on its time.
        collect();
        const started = process.hrtime.bigint();
        const cpuStarted = process.cpuUsage();
        for (let i = 0; i < perRound; i++) await cases[name]!();
        const used = process.cpuUsage(cpuStarted);
        times.set(name, [
          ...(times.get(name) ?? []),
          Number(process.hrtime.bigint() - started) / 1000 / perRound,
        ]);
        cpu.set(name, [...(cpu.get(name) ?? []), (used.user + used.system) / perRound]);
      }
    }
    const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
    const mean = (name: string) => median(times.get(name)!);
    const cpuOf = (name: string) => median(cpu.get(name)!);
    console.log(
      `\n## Client (server on core 0; median of ${rounds} interleaved rounds of ${perRound} sequential requests; ratios to bare fetch, and for errors to ky's HTTPError path)\n`,
    );
    console.log('| case | wall time per request | ratio | client CPU per request | ratio |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    const rows: [string, string][] = [
      ['bare fetch + json()', 'bare fetch + json()'],
      ['faultline client get()', 'bare fetch + json()'],
      ['ky get().json()', 'bare fetch + json()'],
      ['ky HTTPError + body', 'ky HTTPError + body'],
      ['faultline parse + throw ApiError', 'ky HTTPError + body'],
    ];
    for (const [name, baseline] of rows) {
      console.log(
        `| ${name} | ${mean(name).toFixed(1)} µs | ${(mean(name) / mean(baseline)).toFixed(3)}× | ${cpuOf(name).toFixed(1)} µs | ${(cpuOf(name) / cpuOf(baseline)).toFixed(3)}× |`,
      );
    }
    if (sink < 0) console.log(sink);
  } finally {
    server.kill('SIGINT');
  }
  await benchClientOverhead();
  await benchSizes();
}

/**
 * What the client itself costs, without a network: the same calls over an in-memory `fetch` that answers a
 * prebuilt response, so the per-request work of each wrapper is measured apart from the socket's noise.
 */
async function benchClientOverhead(): Promise<void> {
  const body = '{"id":"s-1","state":"answered","commands":[]}';
  const memoryFetch = async () => new Response(body, { headers: { 'content-type': 'application/json' } });
  const base = 'http://127.0.0.1:1';
  const api = createClient({ baseUrl: base, catalog: errors, retry: false, fetch: memoryFetch });
  const withSignal = createClient({ baseUrl: base, catalog: errors, retry: false, fetch: memoryFetch });
  const kyApi = ky.create({ prefix: base, retry: 0, fetch: memoryFetch });
  const controller = new AbortController();
  let sink = 0;
  const cases: Record<string, () => Promise<void>> = {
    'in-memory fetch + json()': async () => {
      sink += ((await (await memoryFetch()).json()) as { id: string }).id.length;
    },
    'faultline client get()': async () => {
      sink += (await api.get<{ id: string }>('/ok')).id.length;
    },
    'faultline client get() with a signal': async () => {
      sink += (await withSignal.get<{ id: string }>('/ok', { signal: controller.signal })).id.length;
    },
    'ky get().json()': async () => {
      sink += (await kyApi.get('ok').json<{ id: string }>()).id.length;
    },
  };
  const perRound = 5000;
  const rounds = 7;
  const cpu = new Map<string, number[]>();
  for (const run of Object.values(cases)) for (let i = 0; i < perRound; i++) await run();
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(cases)) {
      collect();
      const started = process.cpuUsage();
      for (let i = 0; i < perRound; i++) await run();
      const used = process.cpuUsage(started);
      cpu.set(name, [...(cpu.get(name) ?? []), (used.user + used.system) / perRound]);
    }
  }
  const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
  const baseline = median(cpu.get('in-memory fetch + json()')!);
  console.log(
    `\n## Client overhead without a network (in-memory fetch; median of ${rounds} rounds of ${perRound})\n`,
  );
  console.log('| case | CPU per request | added over fetch + json() |');
  console.log('| --- | ---: | ---: |');
  for (const [name, values] of cpu) {
    const value = median(values);
    console.log(`| ${name} | ${value.toFixed(2)} µs | ${(value - baseline).toFixed(2)} µs |`);
  }
  if (sink < 0) console.log(sink);
}
