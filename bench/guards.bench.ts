/**
 * Rate-limit decisions per second on the memory store: faultline's `rateLimit` (the whole guard: GCRA,
 * the RateLimit fields) and its store alone, against rate-limiter-flexible's `RateLimiterMemory` and
 * express-rate-limit's `MemoryStore`, over 10 000 keys built afresh per decision, every decision admitted (the common path) and,
 * separately, every decision denied (an API under attack). Peers' decisions are awaited, as their APIs
 * are promises; faultline's memory decisions are synchronous, which is part of what is measured.
 * Run: `node --import tsx bench/guards.bench.ts`.
 */
import { MemoryStore } from 'express-rate-limit';
import { type GuardContext, rateLimit } from 'faultline/guards';
import { memoryStore } from 'faultline/stores';
import { RateLimiterMemory } from 'rate-limiter-flexible';
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

  const bench = new Bench({ time: Number(process.env.BENCH_TIME ?? 1000), warmupTime: 300 });
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
    for (let n = 0; n < batch; n++) store.rate(next(), input);
  });
  bench.add('rate-limiter-flexible RateLimiterMemory', async () => {
    for (let n = 0; n < batch; n++) await flexible.consume(next()).catch(() => undefined);
  });
  bench.add('express-rate-limit MemoryStore', async () => {
    for (let n = 0; n < batch; n++) {
      const { totalHits } = await erl.increment(next());
      // express-rate-limit decides in the middleware; the comparison is the same count.
      if (totalHits > limit) continue;
    }
  });
  await bench.run();
  const hz = new Map(bench.tasks.map((t) => [t.name, (t.result?.throughput.mean ?? 0) * batch]));
  const ours = hz.get('faultline rateLimit guard')!;
  console.log(`\n## Memory rate-limit decisions: ${title}\n`);
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
