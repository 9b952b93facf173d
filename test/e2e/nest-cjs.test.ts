import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'faultline-nest-cjs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  });
}

// What `nest new` writes: CommonJS, decorators with metadata, and TypeScript's default (node10) resolution.
const tsconfig = {
  compilerOptions: {
    module: 'commonjs',
    declaration: true,
    removeComments: true,
    emitDecoratorMetadata: true,
    experimentalDecorators: true,
    allowSyntheticDefaultImports: true,
    target: 'ES2022',
    outDir: './dist',
    skipLibCheck: true,
    strictNullChecks: true,
    types: ['node'],
  },
  include: ['src'],
};

const main = `import 'reflect-metadata';
import { Controller, Get, Module, NotFoundException, Param, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { defineErrors } from 'faultline';
import { byHeader, rateLimit } from 'faultline/guards';
import { FaultlineGuard, FaultlineModule } from 'faultline/nest';

const catalog = defineErrors({ PROJECT_NOT_FOUND: { status: 404, message: 'Project not found' } });

@Controller('projects')
@UseGuards(FaultlineGuard(rateLimit({ key: byHeader('x-client'), limit: 1, period: '1m' })))
class ProjectsController {
  @Get(':id')
  find(@Param('id') id: string): never {
    if (id === 'gone') throw catalog.create('PROJECT_NOT_FOUND');
    throw new NotFoundException('No project ' + id);
  }
}

@Module({ imports: [FaultlineModule.forRoot({ catalog })], controllers: [ProjectsController] })
class AppModule {}

async function main() {
  const app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const base = await app.getUrl();
  const seen: unknown[] = [];
  for (const [path, client] of [['/projects/gone', 'a'], ['/projects/x', 'b'], ['/projects/x', 'b'], ['/nowhere', 'c']]) {
    const response = await fetch(base + path, { headers: { 'x-client': client } });
    seen.push({ status: response.status, type: response.headers.get('content-type'), body: await response.json() });
  }
  await app.close();
  console.log(JSON.stringify({ commonjs: typeof module === 'object' && typeof require === 'function', seen }));
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
`;

describe('faultline/nest in a CommonJS Nest project', () => {
  it('type-checks with module commonjs and node10 resolution, and runs with require()', () => {
    const tarball = run('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', work], root)
      .trim()
      .split('\n')
      .pop()!;
    const project = join(work, 'project');
    mkdirSync(join(project, 'src'), { recursive: true });
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'nest-consumer', private: true }));
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(tsconfig));
    writeFileSync(join(project, 'src/main.ts'), main);
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, tarball)], project);
    // Nest and its peers as the project has them: the repository's installed copies.
    for (const name of ['@nestjs', 'reflect-metadata', 'rxjs', '@types', 'typescript']) {
      rmSync(join(project, 'node_modules', name), { recursive: true, force: true });
      symlinkSync(join(root, 'node_modules', name), join(project, 'node_modules', name));
    }
    let compiled = '';
    try {
      run(join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], project);
    } catch (error) {
      compiled = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(compiled).toBe('');
    const output = JSON.parse(run('node', ['dist/main.js'], project)) as {
      commonjs: boolean;
      seen: { status: number; type: string; body: Record<string, unknown> }[];
    };
    expect(output.commonjs).toBe(true);
    expect(output.seen.map(({ status, body }) => [status, body.code])).toEqual([
      [404, 'PROJECT_NOT_FOUND'],
      [404, 'NOT_FOUND'],
      [429, 'RATE_LIMITED'],
      [404, 'NOT_FOUND'],
    ]);
    expect(output.seen[1]!.body.detail).toBe('No project x');
    for (const { type } of output.seen) expect(type).toBe('application/problem+json');
  }, 240_000);
});
