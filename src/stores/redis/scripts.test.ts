import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The Lua files are the source; `scripts.ts` embeds them so that `dist` needs no file reads.
// Regenerate with: FAULTLINE_WRITE_SCRIPTS=1 npx vitest run src/stores/redis/scripts.test.ts
const dir = join(import.meta.dirname, 'scripts');
const target = join(import.meta.dirname, 'scripts.ts');

function generate(): string {
  const names = readdirSync(dir)
    .filter((file) => file.endsWith('.lua'))
    .sort();
  const lines = [
    '// Generated from scripts/*.lua by scripts.test.ts: do not edit; edit the .lua file and regenerate.',
    '',
    '/** The Lua source of each store decision, by name. */',
    'export const luaSources = {',
  ];
  for (const file of names) {
    lines.push(`  ${file.replace(/\.lua$/, '')}: ${JSON.stringify(readFileSync(join(dir, file), 'utf8'))},`);
  }
  lines.push('} as const;', '');
  return lines.join('\n');
}

describe('embedded Lua scripts', () => {
  it('match the .lua files they are generated from', async () => {
    if (process.env.FAULTLINE_WRITE_SCRIPTS) writeFileSync(target, generate());
    // Compared as values, so that formatting the generated file changes nothing.
    const { luaSources } = (await import(target)) as { luaSources: Record<string, string> };
    const files = readdirSync(dir).filter((file) => file.endsWith('.lua'));
    expect(Object.keys(luaSources).sort()).toEqual(files.map((file) => file.replace(/\.lua$/, '')).sort());
    for (const file of files) {
      expect(luaSources[file.replace(/\.lua$/, '')], file).toBe(readFileSync(join(dir, file), 'utf8'));
    }
  });
});
