import { Bench } from 'tinybench';

/** One measured case: `fn` runs `batch` operations, so timer overhead does not swamp sub-microsecond work. */
export interface Case {
  name: string;
  fn: () => void;
}

/** Operations per second of each case, measured in one run so that ratios compare like with like. */
export async function measure(
  cases: readonly Case[],
  { batch = 1000, time = 700 } = {},
): Promise<Map<string, number>> {
  const bench = new Bench({ time, warmupTime: 200 });
  for (const c of cases) {
    bench.add(c.name, () => {
      for (let i = 0; i < batch; i++) c.fn();
    });
  }
  await bench.run();
  const result = new Map<string, number>();
  for (const task of bench.tasks) result.set(task.name, (task.result?.throughput.mean ?? 0) * batch);
  return result;
}

/** Prints a table of ops/s with each case's ratio to a baseline. */
export function report(title: string, results: Map<string, number>, baseline: string): void {
  const base = results.get(baseline) ?? 1;
  console.log(`\n## ${title}\n`);
  console.log('| case | ops/s | ratio |');
  console.log('| --- | ---: | ---: |');
  for (const [name, hz] of results) {
    console.log(`| ${name} | ${Math.round(hz).toLocaleString('en-US')} | ${(hz / base).toFixed(2)}× |`);
  }
}

/** Keeps results alive so the optimiser cannot drop the work. */
export const sink: unknown[] = [];
export function consume(value: unknown): void {
  if (sink.length > 64) sink.length = 0;
  sink.push(value);
}
