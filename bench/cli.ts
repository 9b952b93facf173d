// How long `faultline --help` takes, against `node -e 0` (the floor: node's own start) in the same run.
// Usage: node --import tsx bench/cli.ts [cli entry …]   (default: dist/cli/index.js; build first)
// Several entries compare builds, e.g. a checkout's dist before a change against the current one.
// Uses hyperfine when it is installed; otherwise interleaved rounds of spawns, medians reported.
import { execFileSync, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const entries = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['dist/cli/index.js'];
const commands: [string, string[]][] = [
  ['node -e 0', ['-e', '0']],
  ...entries.map((entry): [string, string[]] => [`${entry} --help`, [resolve(root, entry), '--help']]),
];

function hasHyperfine(): boolean {
  return spawnSync('hyperfine', ['--version'], { stdio: 'ignore' }).status === 0;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

if (hasHyperfine()) {
  execFileSync(
    'hyperfine',
    ['--warmup', '3', '--runs', '20', ...commands.map(([, args]) => [process.execPath, ...args].join(' '))],
    { cwd: root, stdio: 'inherit' },
  );
} else {
  const rounds = 20;
  const deadline = Date.now() + 60_000;
  const times = commands.map(() => [] as number[]);
  for (let round = 0; round < rounds && Date.now() < deadline; round++) {
    commands.forEach(([, args], i) => {
      const started = process.hrtime.bigint();
      const { status } = spawnSync(process.execPath, args, { cwd: root, stdio: 'ignore', timeout: 10_000 });
      if (status !== 0) throw new Error(`${commands[i]![0]} exited with ${status}`);
      times[i]!.push(Number(process.hrtime.bigint() - started) / 1e6);
    });
  }
  const floor = median(times[0]!);
  console.log(`| command | median ms (${times[0]!.length} runs) | × node -e 0 |`);
  console.log('| --- | ---: | ---: |');
  commands.forEach(([name], i) => {
    const ms = median(times[i]!);
    console.log(`| \`${name}\` | ${ms.toFixed(0)} | ${(ms / floor).toFixed(2)}× |`);
  });
}
