import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ExportRow, fileOf, render, report, subpaths } from '../scripts/api-report.js';

// The public surface is reviewed: etc/api/<subpath>.md lists every export of each subpath, and this test
// computes the same list from the sources, so that a change of the surface fails here until its report
// is regenerated (`npx tsx scripts/api-report.ts`) and the diff reviewed.

const root = resolve(import.meta.dirname, '..');
const dir = join(root, 'etc/api');
const row = /^\| `([^`]+)` \| (value|type) \|$/;

function committed(file: string): ExportRow[] {
  return readFileSync(join(dir, file), 'utf8')
    .split('\n')
    .flatMap((line) => {
      const m = row.exec(line);
      return m ? [{ name: m[1]!, kind: m[2] as ExportRow['kind'] }] : [];
    });
}

function listed(rows: readonly ExportRow[]): string {
  return rows.map((r) => `${r.name} (${r.kind})`).join(', ');
}

/** What changed from the reviewed report to the sources, in words; empty when nothing did. */
function differences(before: readonly ExportRow[], after: readonly ExportRow[]): string[] {
  const old = new Map(before.map((r) => [r.name, r.kind]));
  const now = new Map(after.map((r) => [r.name, r.kind]));
  const added = after.filter((r) => !old.has(r.name));
  const removed = before.filter((r) => !now.has(r.name));
  const changed = after.filter((r) => old.has(r.name) && old.get(r.name) !== r.kind);
  return [
    ...(added.length > 0 ? [`added: ${listed(added)}`] : []),
    ...(removed.length > 0 ? [`removed: ${listed(removed)}`] : []),
    ...(changed.length > 0
      ? [`changed kind: ${changed.map((r) => `${r.name} (${old.get(r.name)} → ${r.kind})`).join(', ')}`]
      : []),
  ];
}

const entries = subpaths();
const surface = report();
const regenerate = 'regenerate with `npx tsx scripts/api-report.ts` and review the diff of etc/api/';

describe('the public surface (etc/api)', () => {
  it('has a report for every subpath of package.json#exports, and none for a subpath that is gone', () => {
    const expected = entries.map(([path]) => fileOf(path)).sort();
    const missing = entries.filter(([path]) => !existsSync(join(dir, fileOf(path)))).map(([path]) => path);
    expect(missing, `subpaths without a report in etc/api: ${missing.join(', ')}; ${regenerate}`).toEqual([]);
    const stale = readdirSync(dir).filter((f) => f.endsWith('.md') && !expected.includes(f));
    expect(stale, `reports of no subpath in etc/api: ${stale.join(', ')}`).toEqual([]);
  });

  it.each(entries.map(([path]) => [path === '.' ? 'faultline' : `faultline/${path.slice(2)}`, path]))(
    '%s exports exactly what its report lists',
    (name, path) => {
      const file = fileOf(path);
      const rows = surface.get(path)!;
      expect(existsSync(join(dir, file)), `${name} has no report etc/api/${file}; ${regenerate}`).toBe(true);
      const changes = differences(committed(file), rows);
      expect(
        changes,
        `${name} differs from etc/api/${file}:\n  ${changes.join('\n  ')}\n${regenerate}`,
      ).toEqual([]);
      // Same names and kinds: the file itself is what the script writes (counts, order, header).
      expect(readFileSync(join(dir, file), 'utf8'), `etc/api/${file}: ${regenerate}`).toBe(
        render(path, rows),
      );
    },
    60_000,
  );
});

describe('the comparison', () => {
  it('names what was added, removed and changed', () => {
    const before: ExportRow[] = [
      { name: 'a', kind: 'value' },
      { name: 'b', kind: 'type' },
      { name: 'c', kind: 'type' },
    ];
    const after: ExportRow[] = [
      { name: 'a', kind: 'value' },
      { name: 'c', kind: 'value' },
      { name: 'd', kind: 'type' },
    ];
    expect(differences(before, after)).toEqual([
      'added: d (type)',
      'removed: b (type)',
      'changed kind: c (type → value)',
    ]);
    expect(differences(after, after)).toEqual([]);
  });

  it('reads back every row the script writes, names with odd characters included', () => {
    const rows: ExportRow[] = [
      { name: '$weird_Name1', kind: 'value' },
      { name: 'T', kind: 'type' },
    ];
    const text = render('./x', rows);
    const parsed = text.split('\n').flatMap((line) => {
      const m = row.exec(line);
      return m ? [{ name: m[1]!, kind: m[2] }] : [];
    });
    expect(parsed).toEqual(rows);
  });
});
