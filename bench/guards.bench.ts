/**
 * Rate-limit decisions per second on the memory store: faultline's `rateLimit` (the whole guard: GCRA,
 * the RateLimit fields) and its store alone, against rate-limiter-flexible's `RateLimiterMemory` and
 * express-rate-limit's `MemoryStore`, over 10 000 keys built afresh per decision, every decision admitted (the common path) and,
 * separately, every decision denied (an API under attack). Peers' decisions are awaited, as their APIs
 * are promises; faultline's memory decisions are synchronous, which is part of what is measured.
 * Every case also yields what a response's rate-limit headers need (remaining, reset), as a user of
 * each library would compute them. The cases run in interleaved rounds (`BENCH_ROUNDS`, default 5)
 * and the table gives each case's median, so drift on a shared machine hits every case alike.
 * Run: `node --import tsx bench/guards.bench.ts`.
 */
import { MemoryStore } from 'express-rate-limit';
import { type GuardContext, rateLimit } from 'faultline/guards';
import { memoryStore, type RateDecision } from 'faultline/stores';
import { RateLimiterMemory, type RateLimiterRes } from 'rate-limiter-flexible';
import { Bench } from 'tinybench';

const batch = 1000;

function contextFor(): { set(key: string): GuardContext } {
  let current = '';
  const context: GuardContext = {
    request: { method: 'GET', url: '/', headers: { get: () => current } },
    // Each request has its own headers, as an adapter gives it.
    headers: new Map(),
    onFinish() {},
    body: () => undefined,
    capture() {},
  };
  return {
    set(key) {
      current = key;
      (context as { headers: Map<string, string> }).headers = new Map();
      return context;
    },
  };
}

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
let sink = 0;

async function run(title: string, limit: number, period: number): Promise<void> {
  const guard = rateLimit({
    key: (r) => (r.headers as { get(n: string): string }).get('x'),
    limit,
    period,
    store: memoryStore({ maxKeys: 100_000 }),
  });
  const store = memoryStore({ maxKeys: 100_000 });
  const input = { interval: period / limit, tolerance: period, cost: 1 };
  const flexible = new RateLimiterMemory({ points: limit, duration: period / 1000 });
  const erl = new MemoryStore();
  erl.init({ windowMs: period } as Parameters<MemoryStore['init']>[0]);
  const ctx = contextFor();
  let i = 0;
  // A fresh string per decision, as a header value of a real request is: every case hashes it anew.
  const next = () => {
    i = (i + 1) % 10_000;
    return `caller-${i}`;
  };

  const cases: [string, () => unknown][] = [];
  const bench = { add: (name: string, fn: () => unknown) => cases.push([name, fn]) };
  bench.add('faultline rateLimit guard', () => {
    for (let n = 0; n < batch; n++) {
      try {
        guard.check(ctx.set(next()));
      } catch {
        // A denial: the 429's ApiError, as the adapter would receive it.
      }
    }
  });
  bench.add('faultline memoryStore.rate', () => {
    for (let n = 0; n < batch; n++) {
      const decision = store.rate(next(), input) as RateDecision;
      sink += decision.remaining + decision.reset;
    }
  });
  bench.add('rate-limiter-flexible RateLimiterMemory', async () => {
    for (let n = 0; n < batch; n++) {
      // RateLimiterRes carries the header numbers (remainingPoints, msBeforeNext), admitted or not.
      const res = await flexible.consume(next()).catch((denied: RateLimiterRes) => denied);
      sink += res.remainingPoints + res.msBeforeNext;
    }
  });
  bench.add('express-rate-limit MemoryStore', async () => {
    for (let n = 0; n < batch; n++) {
      const { totalHits, resetTime } = await erl.increment(next());
      // express-rate-limit decides and computes its headers' numbers in the middleware: the same work.
      const remaining = totalHits > limit ? 0 : limit - totalHits;
      const reset = resetTime ? Math.max(0, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : 0;
      sink += remaining + reset;
    }
  });
  const samples = new Map<string, number[]>();
  for (const [name] of cases) samples.set(name, []);
  for (let round = 0; round < rounds; round++) {
    // Each round starts the cases in another order.
    const tiny = new Bench({ time: Number(process.env.BENCH_TIME ?? 400), warmupTime: 100 });
    for (let c = 0; c < cases.length; c++) tiny.add(...cases[(c + round) % cases.length]!);
    await tiny.run();
    for (const t of tiny.tasks) samples.get(t.name)!.push((t.result?.throughput.mean ?? 0) * batch);
  }
  const hz = new Map([...samples].map(([name, values]) => [name, median(values)]));
  const ours = hz.get('faultline rateLimit guard')!;
  console.log(`\n## Memory rate-limit decisions: ${title}, median of ${rounds} interleaved rounds\n`);
  console.log('| case | decisions/s | faultline guard ÷ this |');
  console.log('| --- | ---: | ---: |');
  for (const [name, value] of hz) {
    console.log(`| ${name} | ${Math.round(value).toLocaleString('en-US')} | ${(ours / value).toFixed(2)}× |`);
  }
  erl.shutdown();
  store.close();
}

await run('admitted (limit 1 000 000 per hour)', 1_000_000, 3_600_000);
await run('denied (limit 1 per hour, after the first)', 1, 3_600_000);
if (sink === -1) console.log(sink);
