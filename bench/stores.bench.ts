/**
 * Rate-limit decisions on one real redis-server (started on a free port, stopped at the end): round trips
 * per decision counted from `INFO commandstats`, and decisions per second with 64 decisions in flight,
 * for faultline's `redisStore` against rate-limiter-flexible's `RateLimiterRedis` and rate-limit-redis,
 * all on one ioredis client, in interleaved rounds (median). Run: `node --conditions=faultline-source --import tsx bench/stores.bench.ts`.
 */

import { redisSend, redisStore } from 'faultline/stores';
import { Redis } from 'ioredis';
import { RedisStore } from 'rate-limit-redis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { startRedis } from '../test/helpers/redis.js';

const server = await startRedis();
const client = new Redis(server.port, '127.0.0.1');
const total = Number(process.env.BENCH_DECISIONS ?? 20_000);
const inFlight = 64;
const keys = Array.from({ length: 1000 }, (_, i) => `caller-${i}`);

const ours = redisStore({ send: redisSend(client), prefix: 'fl:' });
const input = { interval: 3.6, tolerance: 3_600_000, cost: 1 };
const flexible = new RateLimiterRedis({
  storeClient: client,
  points: 1_000_000,
  duration: 3600,
  keyPrefix: 'rlf',
});
const rlr = new RedisStore({
  sendCommand: (command: string, ...args: string[]) => client.call(command, ...args) as never,
  prefix: 'rlr:',
});
rlr.init({ windowMs: 3_600_000 } as Parameters<RedisStore['init']>[0]);

const cases: [string, (key: string) => Promise<unknown>][] = [
  ['faultline redisStore', async (key) => ours.rate(key, input)],
  ['rate-limiter-flexible RateLimiterRedis', (key) => flexible.consume(key).catch(() => undefined)],
  ['rate-limit-redis', (key) => rlr.increment(key)],
];

async function drive(decide: (key: string) => Promise<unknown>, count: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        const i = next++;
        await decide(keys[i % keys.length]!);
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

// commandstats counts the commands a script runs as well as the script itself: the round trips are the
// top-level commands (EVALSHA, EVAL, SCRIPT …); the others named here ran inside the scripts.
const inScripts = /^(time|get|set|pttl|incr|incrby|pexpire|del|hmget|hset)$/;

async function commandStats(decide: (key: string) => Promise<unknown>): Promise<[number, number]> {
  await decide('warm');
  await client.config('RESETSTAT');
  const n = 1000;
  for (let i = 0; i < n; i++) await decide(keys[i % keys.length]!);
  const info = String(await client.info('commandstats'));
  let trips = 0;
  let commands = 0;
  for (const line of info.split('\n')) {
    const match = /^cmdstat_([\w|]+):calls=(\d+)/.exec(line.trim());
    if (!match || /^(info|config)/.test(match[1]!)) continue;
    commands += Number(match[2]);
    if (!inScripts.test(match[1]!)) trips += Number(match[2]);
  }
  return [trips / n, commands / n];
}

console.log(
  `\n## Redis rate-limit decisions (redis-server ${server.port}, ${inFlight} in flight, ${total} decisions)\n`,
);
console.log('| case | round trips / decision | commands run / decision | decisions/s | faultline ÷ this |');
console.log('| --- | ---: | ---: | ---: | ---: |');
// Interleaved rounds, median reported: drift of a shared machine does not favour whoever ran first.
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const stats = new Map<string, [number, number]>();
const rates = new Map<string, number[]>(cases.map(([name]) => [name, []]));
for (const [name, decide] of cases) {
  stats.set(name, await commandStats(decide));
  await drive(decide, 2000);
}
for (let round = 0; round < rounds; round++) {
  for (const [name, decide] of cases) rates.get(name)!.push(await drive(decide, total));
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const rows = cases.map(([name]) => [name, ...stats.get(name)!, median(rates.get(name)!)] as const);
for (const [name, trips, commands, rate] of rows) {
  const ratio = (rows[0]![3] / rate).toFixed(2);
  console.log(
    `| ${name} | ${trips.toFixed(2)} | ${commands.toFixed(2)} | ${Math.round(rate).toLocaleString('en-US')} | ${ratio}× |`,
  );
}
client.disconnect();
await server.stop();
