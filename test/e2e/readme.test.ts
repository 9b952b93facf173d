import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startCommand } from '../helpers/spawn.js';

const root = resolve(import.meta.dirname, '../..');
const readme = readFileSync(join('README.md'), 'utf8');
const example = join('examples/.readme-example.ts');
afterAll(() => rmSync(example, { force: true }));

function join(path: string): string {
  return resolve(root, path);
}

function block(language: string, index = 0): string {
  const blocks = [...readme.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, 'g'))];
  return blocks[index]![1]!;
}

describe('README', () => {
  it('shows an example of ten lines or fewer', () => {
    expect(
      block('ts')
        .split('\n')
        .filter((line) => line.trim() !== '').length,
    ).toBeLessThanOrEqual(10);
  });

  it('"A client of `GET /sessions/abc` receives `404`, `Content-Type: application/problem+json`" with the body shown', async () => {
    const port = await freePort();
    const code = block('ts').replace(
      '.listen(3000);',
      `.listen(${port}, '127.0.0.1', () => console.log('http://127.0.0.1:${port}'));`,
    );
    writeFileSync(example, code);
    const started = await startCommand('npx', ['tsx', example], port);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/sessions/abc`);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      const shown = JSON.parse(block('json').replace('"3f0c…"', '"ID"'));
      const body = await response.json();
      expect(Object.keys(body)).toEqual(Object.keys(shown));
      expect({ ...body, correlation_id: 'ID' }).toEqual(shown);
    } finally {
      started.stop();
    }
  }, 60_000);

  it('shows the two commands that set everything up', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
  });
});
