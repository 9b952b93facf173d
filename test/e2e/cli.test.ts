import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { validate } from '@readme/openapi-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { runCli, runNode } from '../helpers/spawn.js';

const root = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'faultline-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cli = runCli;
const node = runNode;

describe('the faultline CLI', () => {
  it('renders docs from a TypeScript catalog, in the module’s own envelope', () => {
    const { code, stdout } = cli(
      'docs',
      'test/fixtures/catalog.ts',
      '--format',
      'md',
      '--date',
      '2026-01-01',
    );
    expect(code).toBe(0);
    expect(stdout).toContain('# Fixture API');
    expect(stdout).toContain('"success": false');
    expect(stdout).toContain('generated 2026-01-01');
  });

  it.each(['html', 'json', 'txt'])('renders --format %s', (format) => {
    const { code, stdout } = cli('docs', 'test/fixtures/catalog.ts', '--format', format);
    expect(code).toBe(0);
    expect(stdout).toContain('SESSION_NOT_FOUND');
  });

  it('exits once it has answered, even when the module it read keeps a server open', () => {
    // A user points the CLI at the server file: importing it starts a server. The command still ends.
    const module = join(work, 'server.mjs');
    writeFileSync(
      module,
      `import { createServer } from 'node:http';
       import { defineErrors } from ${JSON.stringify(pathToFileURL(join(root, 'dist/index.js')).href)};
       createServer(() => {}).listen(0, '127.0.0.1');
       export const errors = defineErrors({ ROOM_FULL: { status: 409, message: 'Room is full' } });`,
    );
    const linted = cli('lint', module);
    expect(linted.code).toBe(0);
    const noCatalog = join(work, 'server-only.mjs');
    writeFileSync(
      noCatalog,
      "import { createServer } from 'node:http'; createServer(() => {}).listen(0, '127.0.0.1');",
    );
    const refused = cli('lint', noCatalog);
    expect(refused.code).not.toBe(0);
    expect(refused.code).not.toBeNull();
    expect(refused.stderr).toContain('no catalog');
  });

  it('--check exits 0 when the file is current and 1 on any difference', () => {
    const out = join(work, 'errors.md');
    expect(cli('docs', 'test/fixtures/catalog.ts', '--out', out).code).toBe(0);
    expect(cli('docs', 'test/fixtures/catalog.ts', '--out', out, '--check').code).toBe(0);
    writeFileSync(out, readFileSync(out, 'utf8').replace('Room is full', 'Room is fine'));
    const stale = cli('docs', 'test/fixtures/catalog.ts', '--out', out, '--check');
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('out of date');
  });

  it.each([
    ['md', 'errors-dated.md', /generated \d{4}-\d{2}-\d{2}/, 'generated 2020-01-02'],
    ['html', 'errors-dated.html', /generated \d{4}-\d{2}-\d{2}/, 'generated 2020-01-02'],
    ['txt', 'errors-dated.txt', /generated \d{4}-\d{2}-\d{2}/, 'generated 2020-01-02'],
    ['json', 'errors-dated.json', /"date": "\d{4}-\d{2}-\d{2}"/, '"date": "2020-01-02"'],
  ])(
    '--check of a %s page generated on an earlier day compares the catalog, not the date',
    (format, name, was, earlier) => {
      const out = join(work, name);
      expect(cli('docs', 'test/fixtures/catalog.ts', '--format', format, '--out', out).code).toBe(0);
      const page = readFileSync(out, 'utf8');
      expect(page).toMatch(was);
      writeFileSync(out, page.replace(was, earlier));
      expect(cli('docs', 'test/fixtures/catalog.ts', '--format', format, '--out', out, '--check').code).toBe(
        0,
      );
    },
  );

  it('--out creates the folder it names: `--out public/errors.html` in a project without `public/`', () => {
    const project = mkdtempSync(join(work, 'fresh-'));
    const page = join(project, 'public/errors.html');
    expect(cli('docs', 'test/fixtures/catalog.ts', '--format', 'html', '--out', page).code).toBe(0);
    expect(readFileSync(page, 'utf8')).toContain('SESSION_NOT_FOUND');
    const spec = join(project, 'api/v1/openapi.yaml');
    expect(cli('openapi', 'test/fixtures/catalog.ts', '--out', spec).code).toBe(0);
    expect(parseYaml(readFileSync(spec, 'utf8')).openapi).toMatch(/^3\.1\./);
    const lock = join(project, 'contract/errors.lock.json');
    expect(cli('snapshot', 'test/fixtures/catalog.ts', '--out', lock).code).toBe(0);
    expect(cli('diff', lock, 'test/fixtures/catalog.ts').code).toBe(0);
  });

  it('--check prints a regenerate command that keeps --export and --no-standard, so running it makes the page current', () => {
    const out = join(work, 'b.md');
    const given = ['test/fixtures/two-catalogs.ts', '--export', 'b', '--no-standard', '--out', out];
    expect(cli('docs', ...given).code).toBe(0);
    writeFileSync(out, `${readFileSync(out, 'utf8')}\nstale\n`);
    const stale = cli('docs', ...given, '--check');
    expect(stale.code).toBe(1);
    const command = /regenerate it with: faultline (.+)$/m.exec(stale.stderr)?.[1]?.split(' ') ?? [];
    expect(command).toEqual(expect.arrayContaining(['--export', 'b', '--no-standard']));
    expect(cli(...command).code).toBe(0);
    expect(cli('docs', ...given, '--check').code).toBe(0);
  });

  it.each([
    ['a missing file', ['docs', 'test/fixtures/nope.ts'], 'no such file'],
    ['a module without a catalog', ['docs', 'test/fixtures/no-catalog.ts'], 'exports no catalog'],
    ['a catalog that fails validation', ['lint', 'test/fixtures/invalid.ts'], 'FAULTLINE_DUPLICATE_ID'],
    [
      'several catalogs without --export',
      ['snapshot', 'test/fixtures/two-catalogs.ts'],
      'choose one with --export',
    ],
    ['an unknown option', ['docs', 'test/fixtures/catalog.ts', '--format', 'pdf'], ''],
  ])('exits 2 with a one-line error for %s', (_, args, text) => {
    const { code, stderr } = cli(...args);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(text);
  });

  it('picks a catalog with --export', () => {
    const { code, stdout } = cli('snapshot', 'test/fixtures/two-catalogs.ts', '--export', 'b');
    expect(code).toBe(0);
    expect(JSON.parse(stdout).codes.B.status).toBe(400);
  });

  it('refuses to pick one of two exported formats by chance, and renders the one --envelope names', () => {
    const refused = cli('docs', 'test/fixtures/two-formats.ts');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('several error formats (event, rest); choose one with --envelope');
    const page = cli('docs', 'test/fixtures/two-formats.ts', '--envelope', 'event');
    expect(page.code).toBe(0);
    expect(page.stdout).toContain('"reason"');
    expect(page.stdout).not.toContain('"title"');
    const wrong = cli('openapi', 'test/fixtures/two-formats.ts', '--envelope', 'errors');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('export "errors" is not an error format');
    // A snapshot locks the wire format: it refuses to pick one of two, as docs does.
    expect(cli('snapshot', 'test/fixtures/two-formats.ts').code).toBe(2);
    expect(cli('snapshot', 'test/fixtures/two-formats.ts', '--envelope', 'rest').code).toBe(0);
  });

  it('lints: a terse report, exit 1 on errors', () => {
    const bad = cli('lint', 'test/fixtures/lint-errors.ts');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('error WRONG_CATEGORY [category]');
    expect(cli('lint', 'test/fixtures/catalog.ts').code).toBe(0);
  });

  it('lints a catalog against the format its module exports', () => {
    const { code, stdout } = cli('lint', 'test/fixtures/lint-format.ts');
    expect(code).toBe(1);
    expect(stdout).toContain('warning ROOM_FULL [format] declares id');
    expect(stdout).toContain('error ROOM_CLOSED [ambiguous-message]');
  });

  it('diffs a snapshot against a module: exit 1 on breaking changes unless --allow-breaking', () => {
    const lock = join(work, 'errors.lock.json');
    expect(cli('snapshot', 'test/fixtures/catalog.ts', '--out', lock).code).toBe(0);
    expect(cli('diff', lock, 'test/fixtures/catalog.ts').code).toBe(0);
    const breaking = cli('diff', lock, 'test/fixtures/catalog-v2.ts');
    expect(breaking.code).toBe(1);
    expect(breaking.stdout).toContain('breaking ROOM_FULL: code removed');
    expect(breaking.stdout).toContain('breaking SESSION_NOT_FOUND: status 404 → 410');
    expect(cli('diff', lock, 'test/fixtures/catalog-v2.ts', '--allow-breaking').code).toBe(0);
  });

  it('writes OpenAPI 3.1 that a third-party validator accepts, and merges into a YAML document', async () => {
    const generated = cli('openapi', 'test/fixtures/catalog.ts');
    expect(generated.code).toBe(0);
    expect((await validate(JSON.parse(generated.stdout))).valid).toBe(true);
    const base = join(work, 'api.yaml');
    writeFileSync(
      base,
      'openapi: 3.1.0\ninfo: {title: t, version: "1"}\npaths:\n  /rooms:\n    post:\n      operationId: createRoom\n      requestBody: {content: {application/json: {schema: {type: object}}}}\n      responses: {"201": {description: created}}\n',
    );
    const out = join(work, 'merged.yaml');
    expect(cli('openapi', 'test/fixtures/catalog.ts', '--merge', base, '--out', out).code).toBe(0);
    const merged = parseYaml(readFileSync(out, 'utf8'));
    expect(Object.keys(merged.paths['/rooms'].post.responses)).toEqual(
      expect.arrayContaining(['201', '400', '413', '415']),
    );
    expect((await validate(merged)).valid).toBe(true);
  });

  it('--version prints the version of package.json', () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const { code, stdout } = cli(flag);
      expect(code).toBe(0);
      expect(stdout).toBe(`${version}\n`);
    }
  });

  it('lint --json prints one document of the documented shape, with the same exit code', () => {
    const bad = cli('lint', 'test/fixtures/lint-errors.ts', '--json');
    expect(bad.code).toBe(1);
    const report = JSON.parse(bad.stdout);
    expect(Object.keys(report)).toEqual(['faultline', 'codes', 'errors', 'warnings', 'findings']);
    expect(report.faultline).toBe(1);
    expect(report.errors).toBe(report.findings.filter((f: { level: string }) => f.level === 'error').length);
    expect(report.warnings).toBe(report.findings.length - report.errors);
    expect(report.findings).toContainEqual({
      level: 'error',
      code: 'WRONG_CATEGORY',
      rule: 'category',
      message: expect.any(String),
    });
    for (const finding of report.findings)
      expect(Object.keys(finding)).toEqual(['level', 'code', 'rule', 'message']);
    const clean = cli('lint', 'test/fixtures/catalog.ts', '--json');
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({ faultline: 1, errors: 0 });
    expect(cli('lint', '--help').stdout).toContain('"findings": [{ "level"');
  });

  it('diff --json prints the changes by kind, with the same exit code', () => {
    const lock = join(work, 'json.lock.json');
    expect(cli('snapshot', 'test/fixtures/catalog.ts', '--out', lock).code).toBe(0);
    const same = cli('diff', lock, 'test/fixtures/catalog.ts', '--json');
    expect(same.code).toBe(0);
    expect(JSON.parse(same.stdout)).toEqual({ faultline: 1, breaking: [], additive: [], cosmetic: [] });
    const breaking = cli('diff', lock, 'test/fixtures/catalog-v2.ts', '--json');
    expect(breaking.code).toBe(1);
    const report = JSON.parse(breaking.stdout);
    expect(Object.keys(report)).toEqual(['faultline', 'breaking', 'additive', 'cosmetic']);
    expect(report.breaking).toContainEqual({ code: 'ROOM_FULL', change: 'code removed' });
    expect(report.breaking).toContainEqual({ code: 'SESSION_NOT_FOUND', change: 'status 404 → 410' });
    expect(cli('diff', lock, 'test/fixtures/catalog-v2.ts', '--json', '--allow-breaking').code).toBe(0);
    expect(cli('diff', '--help').stdout).toContain('"breaking": [{ "code"');
  });

  // Every module node resolves for the ESM graph goes through a resolve hook that appends its URL to a file.
  let traces = 0;
  function loaded(...args: string[]): string[] {
    const trace = join(work, `trace-${++traces}.txt`);
    writeFileSync(trace, '');
    const hooks = join(work, 'hooks.mjs');
    writeFileSync(
      hooks,
      `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(${JSON.stringify(trace)}, result.url + '\\n');
  return result;
}`,
    );
    const preload = join(work, 'register.mjs');
    writeFileSync(
      preload,
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
    );
    const { code } = node('--import', pathToFileURL(preload).href, 'dist/cli/index.js', ...args);
    expect(code).toBe(0);
    return readFileSync(trace, 'utf8').split('\n').filter(Boolean);
  }

  const heavy = /\/node_modules\/(jiti|yaml)\/|\/dist\/docs\//;

  it.each([['--help'], ['--version'], ['lint', '--help']])(
    '%s loads neither jiti, yaml nor the docs renderers',
    (...args) => {
      const urls = loaded(...args);
      expect(urls.some((url) => url.endsWith('/dist/cli/index.js'))).toBe(true);
      expect(urls.filter((url) => heavy.test(url))).toEqual([]);
    },
  );

  it('a command still loads them: the trace sees what --help is spared', () => {
    const urls = loaded('lint', 'test/fixtures/catalog.ts');
    expect(urls.some((url) => /\/node_modules\/jiti\//.test(url))).toBe(true);
    expect(urls.some((url) => /\/dist\/docs\/lint\.js$/.test(url))).toBe(true);
  });
});
