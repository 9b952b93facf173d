import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { renderHtml } from '../docs/html.js';
import { lintCatalog } from '../docs/lint.js';
import { renderMarkdown } from '../docs/markdown.js';
import { renderOpenApi } from '../docs/openapi.js';
import { diffSnapshots, type Snapshot, snapshot } from '../docs/snapshot.js';
import { renderJson, renderText } from '../docs/text.js';
import { CliError } from './errors.js';
import { diffReport, lintReport } from './json.js';
import { loadCatalog } from './load.js';
import { terminalValue as line, terminalJson, terminalText } from './terminal.js';

// The commands' work, imported by the CLI only once a command runs: `--help` and `--version` never load
// jiti, yaml or the renderers.

const renderers = { md: renderMarkdown, html: renderHtml, json: renderJson, txt: renderText } as const;

/** The formats of `faultline docs`. */
export type DocsFormat = keyof typeof renderers;

function output(text: string, out: string | undefined): void {
  if (!out) {
    process.stdout.write(text);
    return;
  }
  // `--out public/errors.html` in a project that has no `public/` yet: the folder comes with the file.
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, text);
}

async function loadSnapshot(file: string, exportName?: string, envelopeName?: string): Promise<Snapshot> {
  if (file.endsWith('.json')) {
    if (!existsSync(file)) throw new CliError(`${file}: no such file`);
    try {
      const value = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
      if (value.faultline !== 1 || typeof value.codes !== 'object')
        throw new Error('not a faultline snapshot');
      return value;
    } catch (error) {
      throw new CliError(`${file}: ${(error as Error).message}`);
    }
  }
  // The lock records the wire format too: the module's, as docs and lint read it.
  const { catalog, format } = await loadCatalog(file, exportName, envelopeName);
  return snapshot(catalog, format ? { format } : {});
}

export interface DocsOptions {
  format: DocsFormat;
  out?: string;
  check?: boolean;
  export?: string;
  envelope?: string;
  date?: string;
  standard: boolean;
}

/**
 * The date a page says it was generated on, so that a check compares only what the catalog shapes: the
 * `generated YYYY-MM-DD` line of a page, or the top-level `date` of the JSON model.
 */
function pageDate(text: string, format: DocsFormat): string | undefined {
  if (format !== 'json') return /generated (\d{4}-\d{2}-\d{2})/.exec(text)?.[1];
  try {
    const date: unknown = JSON.parse(text)?.date;
    return typeof date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(date) ? date : undefined;
  } catch {
    return undefined;
  }
}

export async function docs(module: string, o: DocsOptions): Promise<void> {
  const { catalog, format } = await loadCatalog(module, o.export, o.envelope);
  let date = o.date;
  if (o.check) {
    if (!o.out) throw new CliError('--check needs --out FILE: the file to compare with');
    if (!existsSync(o.out)) throw new CliError(`${o.out}: missing; generate it without --check`, 1);
    date ??= pageDate(readFileSync(o.out, 'utf8'), o.format);
  }
  const rendered = renderers[o.format](catalog, {
    ...(format ? { format } : {}),
    ...(date ? { date } : {}),
    includeStandard: o.standard,
  });
  // JSON leaves C1 controls and bidirectional overrides raw; escaped, it reads back the same.
  const text = o.format === 'json' ? terminalText(rendered) : rendered;
  if (o.check) {
    if (readFileSync(o.out!, 'utf8') !== text) {
      // Every option that shapes the page, so that the command printed makes it current.
      const given = [
        o.export ? ` --export ${o.export}` : '',
        o.envelope ? ` --envelope ${o.envelope}` : '',
        o.standard ? '' : ' --no-standard',
      ].join('');
      throw new CliError(
        `${o.out}: out of date with ${module}; regenerate it with: faultline docs ${module} --format ${o.format}${given} --out ${o.out}`,
        1,
      );
    }
    process.stdout.write(`${line(o.out!)}: up to date\n`);
    return;
  }
  output(text, o.out);
}

export interface OpenApiOptions {
  envelope?: string;
  merge?: string;
  out?: string;
  export?: string;
  title?: string;
  apiVersion: string;
}

export async function openapi(module: string, o: OpenApiOptions): Promise<void> {
  const { catalog, format } = await loadCatalog(module, o.export, o.envelope);
  let document: Record<string, unknown>;
  if (o.merge) {
    if (!existsSync(o.merge)) throw new CliError(`${o.merge}: no such file`);
    let base: Record<string, unknown>;
    try {
      const text = readFileSync(o.merge, 'utf8');
      base = (/\.ya?ml$/i.test(o.merge) ? parseYaml(text) : JSON.parse(text)) as Record<string, unknown>;
    } catch (error) {
      throw new CliError(`${o.merge}: ${(error as Error).message.split('\n')[0]}`);
    }
    if (typeof base !== 'object' || base === null || typeof base.openapi !== 'string')
      throw new CliError(`${o.merge}: not an OpenAPI document`);
    document = renderOpenApi(catalog, format ? { format, into: base } : { into: base });
  } else {
    document = renderOpenApi(catalog, {
      ...(format ? { format } : {}),
      ...(o.title ? { title: o.title } : {}),
      version: o.apiVersion,
    });
  }
  output(o.out && /\.ya?ml$/i.test(o.out) ? stringifyYaml(document) : terminalJson(document), o.out);
}

export async function lint(
  module: string,
  o: { export?: string; envelope?: string; json?: boolean },
): Promise<void> {
  const { catalog, format } = await loadCatalog(module, o.export, o.envelope);
  const findings = lintCatalog(catalog, format ? { format } : {});
  const report = lintReport(findings, catalog.codes.length);
  if (o.json) {
    process.stdout.write(terminalJson(report));
  } else {
    // Catalog text reaches a terminal: one line per finding, its control characters written out.
    for (const f of findings)
      process.stdout.write(`${f.level} ${line(f.code)} [${f.rule}] ${line(f.message)}\n`);
    process.stdout.write(
      `${report.errors} error(s), ${report.warnings} warning(s) in ${report.codes} codes\n`,
    );
  }
  if (report.errors > 0) process.exitCode = 1;
}

export async function snapshotCommand(
  module: string,
  o: { out?: string; export?: string; envelope?: string },
): Promise<void> {
  output(terminalJson(await loadSnapshot(module, o.export, o.envelope)), o.out);
}

export async function diff(
  old: string,
  next: string,
  o: { allowBreaking?: boolean; export?: string; envelope?: string; json?: boolean },
): Promise<void> {
  const changes = diffSnapshots(await loadSnapshot(old), await loadSnapshot(next, o.export, o.envelope));
  if (o.json) {
    process.stdout.write(terminalJson(diffReport(changes)));
  } else {
    for (const kind of ['breaking', 'additive', 'cosmetic'] as const) {
      for (const c of changes[kind]) process.stdout.write(`${kind} ${line(c.code)}: ${line(c.change)}\n`);
    }
    process.stdout.write(
      `${changes.breaking.length} breaking, ${changes.additive.length} additive, ${changes.cosmetic.length} cosmetic\n`,
    );
  }
  if (changes.breaking.length > 0 && !o.allowBreaking) process.exitCode = 1;
}
