import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, string | Record<string, string>>;
};
const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as {
  compilerOptions: { paths: Record<string, string[]> };
};
const entries = Object.entries(manifest.exports).filter(([key]) => key !== './package.json') as [
  string,
  Record<string, string>,
][];

describe('package.json#exports', () => {
  it('points every subpath at a source entry and at the build output of that same entry', () => {
    for (const [key, conditions] of entries) {
      const source = conditions['faultline-source']!;
      expect(existsSync(join(root, source)), `${key} → ${source}`).toBe(true);
      const built = source.replace('./src/', './dist/').replace(/\.ts$/, '.js');
      expect(conditions.default, key).toBe(built);
      expect(conditions.types, key).toBe(built.replace(/\.js$/, '.d.ts'));
      expect(Object.keys(conditions), key).toEqual(['faultline-source', 'types', 'default']);
    }
  });

  it('matches the tsconfig paths the examples run with, entry for entry', () => {
    const fromExports = Object.fromEntries(
      entries.map(([key, c]) => [
        key === '.' ? 'faultline' : `faultline/${key.slice(2)}`,
        [c['faultline-source']],
      ]),
    );
    expect(tsconfig.compilerOptions.paths).toEqual(fromExports);
  });

  it('exports every public folder of src', () => {
    const folders = readdirSync(join(root, 'src'), { withFileTypes: true })
      // Internal folders: the catalog's core, the adapters (listed below), the CLI, and `text` (the terminal
      // escape rule the CLI and the docs share, outside docs/ so that `--help` loads no renderer).
      .filter((d) => d.isDirectory() && !['catalog', 'adapters', 'cli', 'text'].includes(d.name))
      .map((d) => `./${d.name}`);
    // The core adapter kit is what every adapter is built on, not an entry of its own.
    const adapters = readdirSync(join(root, 'src/adapters'))
      .filter((name) => name !== 'kit')
      .map((name) => `./${name}`);
    for (const key of [...folders, ...adapters]) expect(Object.keys(manifest.exports)).toContain(key);
  });

  it('lists its exports by name at every public entry', () => {
    for (const [, conditions] of entries) {
      const text = readFileSync(join(root, conditions['faultline-source']!), 'utf8');
      expect(text).not.toMatch(/export \* from/);
    }
  });
});

describe('package.json#bin', () => {
  it('points the faultline command at the built CLI', () => {
    const bin = (
      JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> }
    ).bin;
    expect(bin).toEqual({ faultline: './dist/cli/index.js' });
    expect(readFileSync(join(root, 'src/cli/index.ts'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(
      true,
    );
  });
});
