import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { defineErrors } from 'faultline';
import { afterAll, describe, expect, it } from 'vitest';

const standardErrors = defineErrors({});

const root = resolve(import.meta.dirname, '../..');
const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
// A scratch project outside the repository, with faultline installed as a user has it (its manifest and
// the built `dist/`) and the repository's other dependencies linked beside it.
const work = mkdtempSync(resolve(tmpdir(), 'faultline-readme-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function installPackage(): void {
  const modules = resolve(work, 'node_modules');
  mkdirSync(resolve(modules, 'faultline'), { recursive: true });
  cpSync(resolve(root, 'package.json'), resolve(modules, 'faultline/package.json'));
  cpSync(resolve(root, 'dist'), resolve(modules, 'faultline/dist'), { recursive: true });
  for (const name of readdirSync(resolve(root, 'node_modules'))) {
    if (name === 'faultline' || name.startsWith('.')) continue;
    symlinkSync(resolve(root, 'node_modules', name), resolve(modules, name));
  }
  // The demo's catalog, which the client snippet imports, as a file of the scratch project.
  mkdirSync(resolve(work, 'demo'));
  cpSync(resolve(root, 'demo/catalog.ts'), resolve(work, 'demo/catalog.ts'));
}

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

/** The rows of the README table that follows `heading`: its cells, trimmed. */
function tableAfter(heading: string): string[][] {
  const start = readme.indexOf(heading);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const lines = readme.slice(start).split('\n').slice(1);
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

const optionOf = (cell: string) => /^`([\w.]+)`$/.exec(cell)?.[1];

/**
 * Type-level checks that every option the README's tables document exists on the entry point that
 * takes it, and (adapter table) is absent where the table leaves the cell empty.
 */
function optionChecks(): string {
  const lines = [
    "import type { createClient } from 'faultline/client';",
    "import type { createExpressErrors } from 'faultline/express';",
    "import type { createFastifyErrors } from 'faultline/fastify';",
    "import type { createHonoErrors } from 'faultline/hono';",
    "import type { createNodeErrors } from 'faultline/node';",
    "import type { ErrorHandlerOptions } from 'faultline/server';",
    'type Has<T, K extends keyof NonNullable<T>> = K;',
  ];
  const path = (type: string, option: string) => {
    const keys = option.split('.');
    let at = type;
    for (const key of keys.slice(0, -1)) at = `NonNullable<${at}>['${key}']`;
    return `Has<${at}, '${keys.at(-1)}'>`;
  };
  let n = 0;
  for (const [cell] of tableAfter('The options of `createErrorHandler`')) {
    lines.push(`type H${n++} = ${path('ErrorHandlerOptions', optionOf(cell!)!)};`);
  }
  const adapters = ['createNodeErrors', 'createExpressErrors', 'createFastifyErrors', 'createHonoErrors'];
  for (const [cell, ...marks] of tableAfter('The adapter options')) {
    adapters.forEach((adapter, i) => {
      if (marks[i] !== '✓') lines.push('// @ts-expect-error not an option of this entry point');
      lines.push(`type A${n++} = ${path(`Parameters<typeof ${adapter}>[1]`, optionOf(cell!)!)};`);
    });
  }
  for (const [cell] of tableAfter("const { error } = await api.safe.get('/sessions/abc')")) {
    lines.push(`type C${n++} = ${path('Parameters<typeof createClient>[0]', optionOf(cell!)!)};`);
  }
  return `${lines.join('\n')}\n`;
}

describe('README TypeScript blocks', () => {
  it('every block typechecks against the built package, and every option its tables document exists', () => {
    const blocks = typescriptBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(10);
    installPackage();
    writeFileSync(resolve(work, 'errors.ts'), errorsModule);
    writeFileSync(resolve(work, 'options.ts'), optionChecks());
    const files = blocks.map((block) => {
      const name = `block-line-${block.line}.ts`;
      writeFileSync(resolve(work, name), `${block.code}\nexport {};\n`);
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
        files: ['errors.ts', 'options.ts', ...files],
      }),
    );
    writeFileSync(resolve(work, 'package.json'), JSON.stringify({ name: 'readme-check', type: 'module' }));
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
    expect(readFileSync(resolve(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
  });

  it('"npm pack" writes the tarball the README installs, with the MIT LICENSE in it', () => {
    const manifest = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
      license: string;
    };
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    ) as { filename: string; files: { path: string }[] }[];
    expect(manifest.license).toBe('MIT');
    expect(readme).toContain(`npm install ../faultline/${packed!.filename}`);
    expect(packed!.filename).toBe(`${manifest.name}-${manifest.version}.tgz`);
    expect(packed!.files.map((file) => file.path)).toEqual(expect.arrayContaining(['LICENSE', 'README.md']));
  }, 60_000);
});
