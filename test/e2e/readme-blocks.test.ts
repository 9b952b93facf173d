import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { standardErrors } from 'faultline';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
// Inside the repository, so that `faultline/*` resolves by package self-reference to the built `dist/`
// types, as it does for a user who installed the tarball.
const work = resolve(root, 'test/.readme-blocks');
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Every fenced TypeScript block of the README, with the line it starts on. */
function typescriptBlocks(): { line: number; code: string }[] {
  const blocks: { line: number; code: string }[] = [];
  for (const match of readme.matchAll(/^```(?:ts|typescript)\n([\s\S]*?)^```/gm)) {
    blocks.push({ line: readme.slice(0, match.index).split('\n').length + 1, code: match[1]! });
  }
  return blocks;
}

// What README snippets import as `./errors.js`: the catalog of the first example, as a user's module.
const errorsModule = `import { defineErrors } from 'faultline';
import * as z from 'zod';

export const errors = defineErrors({
  SESSION_NOT_FOUND: { status: 404, message: 'Session {sessionId} not found', details: z.object({ sessionId: z.string() }) },
});
`;

describe('README TypeScript blocks', () => {
  it('every block typechecks against the built package, as a user would compile it', () => {
    const blocks = typescriptBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(10);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    writeFileSync(resolve(work, 'errors.ts'), errorsModule);
    const files = blocks.map((block) => {
      const name = `block-line-${block.line}.ts`;
      // The demo's catalog lives at the repository's root; the blocks are two folders down.
      const code = block.code.replaceAll("from './demo/", "from '../../demo/");
      writeFileSync(resolve(work, name), `${code}\nexport {};\n`);
      return name;
    });
    writeFileSync(
      resolve(work, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2023', 'DOM', 'DOM.Iterable'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
        },
        files: ['errors.ts', ...files],
      }),
    );
    let output = '';
    try {
      execFileSync(resolve(root, 'node_modules/.bin/tsc'), ['-p', resolve(work, 'tsconfig.json')], {
        cwd: work,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    // A failure names the README line: block-line-<n>.ts(<l>,<c>) is README line n + l - 1.
    expect(output).toBe('');
  }, 120_000);

  it('lists every built-in code with its role and status, as the standard catalog holds them', () => {
    const section = readme.slice(
      readme.indexOf('### Built-in codes'),
      readme.indexOf('## `faultline/format`'),
    );
    const rows = [...section.matchAll(/^\| `(\w+)` \| `(\w+)` \| (\d{3}) \|/gm)].map(
      ([, role, code, status]) => ({
        role,
        code,
        status: Number(status),
      }),
    );
    const standard = standardErrors.codes
      .filter((code) => standardErrors.entries[code].role !== undefined)
      .map((code) => ({
        role: standardErrors.entries[code].role,
        code,
        status: standardErrors.entries[code].status,
      }));
    expect(rows).toEqual(standard);
  });

  it('says truthfully what npm test runs: vitest, not lint', () => {
    const manifest = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      files: string[];
    };
    expect(manifest.scripts.test).toBe('vitest run');
    expect(readme).toContain('`npm test` is `vitest run`');
    expect(readme).toContain('It does not lint');
    expect(readme).not.toMatch(/npm test[^\n]*lint-free/);
    expect(manifest.files).toContain('LICENSE');
    expect(readFileSync(resolve(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
  });
});
