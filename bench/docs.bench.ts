import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
// Inside the repository so that the generated module resolves `faultline` to this package.
const dir = join(root, '.bench-out');

function generate(count: number): string {
  const codes = Array.from({ length: count }, (_, i) => ({
    code: `GENERATED_CODE_${i}`,
    status: [400, 401, 403, 404, 409, 422, 429, 500, 503][i % 9],
    id: 100_000 + i,
    group: `group-${i % 50}`,
    message: `Generated error number ${i} happened`,
    description: `Description of generated error ${i}, long enough to look like a real one.`,
    cause: i % 3 === 0 ? `Cause ${i}` : undefined,
    fix: i % 3 === 0 ? `Fix ${i}` : undefined,
  }));
  writeFileSync(join(dir, `codes-${count}.json`), JSON.stringify(codes));
  const module = join(dir, `catalog-${count}.ts`);
  writeFileSync(
    module,
    `import { readFileSync } from 'node:fs';
import { defineErrors, type ErrorDefinition } from 'faultline';
const codes = JSON.parse(readFileSync(new URL('./codes-${count}.json', import.meta.url), 'utf8')) as (ErrorDefinition & { code: string })[];
export const errors = defineErrors(Object.fromEntries(codes.map(({ code, ...entry }) => [code, entry])), {
  groups: Array.from({ length: 50 }, (_, i) => 'group-' + i),
});
`,
  );
  return module;
}

function timed(args: string[]): number {
  const started = process.hrtime.bigint();
  execFileSync(process.execPath, ['dist/cli/index.js', ...args], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    maxBuffer: 1 << 30,
  });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Rendering time of generated catalogs, CLI start included (needs `npm run build`). */
export function benchDocs(): void {
  mkdirSync(dir, { recursive: true });
  try {
    const sizes = [1_000, 10_000, 100_000];
    const rows: string[] = [];
    const results = new Map<string, number>();
    for (const size of sizes) {
      const module = generate(size);
      const cells: string[] = [];
      for (const [name, args] of [
        ['Markdown', ['docs', module, '--format', 'md', '--out', join(dir, 'out.md')]],
        ['HTML', ['docs', module, '--format', 'html', '--out', join(dir, 'out.html')]],
        ['OpenAPI', ['openapi', module, '--out', join(dir, 'out.json')]],
      ] as const) {
        const ms = Math.min(timed([...args]), timed([...args]));
        results.set(`${name} ${size}`, ms);
        cells.push(`${(ms / 1000).toFixed(2)} s`);
      }
      rows.push(`| ${size.toLocaleString('en-US')} | ${cells.join(' | ')} |`);
    }
    console.log('\n## Reference pages from generated catalogs (CLI start included, best of two)\n');
    console.log('| codes | Markdown | HTML | OpenAPI |');
    console.log('| ---: | ---: | ---: | ---: |');
    for (const row of rows) console.log(row);
    const growth = (name: string) =>
      (results.get(`${name} 100000`)! / results.get(`${name} 1000`)!).toFixed(1);
    console.log(
      `\nGrowth from 1 000 to 100 000 codes (100× the codes): Markdown ${growth('Markdown')}×, HTML ${growth('HTML')}×, OpenAPI ${growth('OpenAPI')}×.`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
