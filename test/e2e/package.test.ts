import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, unknown>;
};
const subpaths = Object.keys(manifest.exports)
  .filter((key) => key !== './package.json')
  .map((key) => (key === '.' ? 'faultline' : `faultline/${key.slice(2)}`));
const work = mkdtempSync(join(tmpdir(), 'faultline-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const project = join(work, 'project');

// The global setup has built dist/; --ignore-scripts keeps npm pack from rebuilding it under other tests.
beforeAll(() => {
  const tarball = run('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', work], root)
    .trim()
    .split('\n')
    .pop()!;
  run('mkdir', ['-p', project], work);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', type: 'module', private: true }),
  );
  // `ws` is the optional peer that faultline/ws runs on: a user of that subpath installs it beside.
  const wsVersion = (
    JSON.parse(readFileSync(join(root, 'node_modules/ws/package.json'), 'utf8')) as { version: string }
  ).version;
  run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, tarball), `ws@${wsVersion}`],
    project,
  );
}, 180_000);

describe('the packed tarball', () => {
  it('installs in a fresh project and every subpath imports with its named exports', () => {
    const script = `
      const result = {};
      for (const name of ${JSON.stringify(subpaths)}) {
        const module = await import(name);
        result[name] = Object.keys(module).sort();
      }
      // A second copy of faultline (the repository's build) must agree on ApiError identity.
      const installed = await import('faultline');
      const other = await import(${JSON.stringify(`file://${join(root, 'dist/index.js')}`)});
      const a = new installed.ApiError({ code: 'X', status: 400, message: 'x' });
      const b = new other.ApiError({ code: 'X', status: 400, message: 'x' });
      result.twoCopies = [installed.ApiError !== other.ApiError, a instanceof other.ApiError, b instanceof installed.ApiError];
      console.log(JSON.stringify(result));
    `;
    writeFileSync(join(project, 'check.mjs'), script);
    const result = JSON.parse(run('node', ['check.mjs'], project)) as Record<string, string[] | boolean[]>;
    for (const name of subpaths) expect(result[name]?.length, name).toBeGreaterThan(0);
    expect(result.faultline).toEqual(
      expect.arrayContaining(['ApiError', 'defineErrors', 'RoleError', 'wsDefinitions']),
    );
    expect(result['faultline/format']).toEqual(
      expect.arrayContaining(['commonFormats', 'envelope', 'field']),
    );
    expect(result['faultline/server']).toEqual(expect.arrayContaining(['createErrorHandler', 'toResponse']));
    expect(result['faultline/node']).toEqual(expect.arrayContaining(['createNodeErrors', 'readJson']));
    expect(result.twoCopies).toEqual([true, true, true]);
    // A configuration error names its page: it ships with the package, for a reader offline.
    const page = readFileSync(join(project, 'node_modules/faultline/docs/config-errors.md'), 'utf8');
    expect(page).toContain('FAULTLINE_INVALID_CODE');
  }, 60_000);

  // A library, a monorepo package or a `composite` project emits declarations: what it exports must be
  // nameable through faultline's public subpaths, never through a file of dist/ (TS2742).
  it.each(['nodenext', 'bundler'])(
    'lets a project emitting declarations under %s export its catalog, handler, guards and client',
    (resolution) => {
      const dir = join(project, `decl-${resolution}`);
      run('mkdir', ['-p', dir], project);
      writeFileSync(
        join(dir, 'errors.ts'),
        `import { defineErrors, wsDefinitions } from 'faultline';
import { createClient } from 'faultline/client';
import { idempotency, rateLimit } from 'faultline/guards';
import { createNodeErrors } from 'faultline/node';
export const errors = defineErrors({ SESSION_NOT_FOUND: { status: 404, message: 'Session {sessionId} not found' } });
export const renamed = defineErrors(
  { ...wsDefinitions, PLAN_LIMITED: { status: 429, message: 'Plan limit', roles: ['rateLimited'] } },
  { rename: { VALIDATION_FAILED: 'INVALID_BODY' }, omit: ['PAYMENT_REQUIRED'] },
);
export const handle = createNodeErrors({ catalog: renamed });
export const limit = rateLimit({ key: () => 'k', limit: 5, period: '1m', error: 'PLAN_LIMITED' });
export const once = idempotency({ tenant: () => 't' });
export const client = createClient({ catalog: errors, baseUrl: 'http://127.0.0.1:1' });
`,
      );
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'es2022',
            module: resolution === 'bundler' ? 'esnext' : 'nodenext',
            moduleResolution: resolution,
            strict: true,
            declaration: true,
            emitDeclarationOnly: true,
            skipLibCheck: true,
            outDir: 'out',
            types: [],
          },
          files: ['errors.ts'],
        }),
      );
      // Before: TS2742, the inferred type of 'errors' named dist/catalog/builtin-codes.js.
      run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], dir);
      const emitted = readFileSync(join(dir, 'out/errors.d.ts'), 'utf8');
      expect(emitted).toContain('DefinedCatalog<');
      expect(emitted).not.toMatch(/dist\//);
    },
    60_000,
  );
});
