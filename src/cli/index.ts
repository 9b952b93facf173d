#!/usr/bin/env node
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { renderHtml } from '../docs/html.js';
import { lintCatalog } from '../docs/lint.js';
import { renderMarkdown } from '../docs/markdown.js';
import { mergeOpenApi, renderOpenApi } from '../docs/openapi.js';
import { diffSnapshots, type Snapshot, snapshot } from '../docs/snapshot.js';
import { renderJson, renderText } from '../docs/text.js';
import { CliError, loadCatalog } from './load.js';

const renderers = { md: renderMarkdown, html: renderHtml, json: renderJson, txt: renderText } as const;

function output(text: string, out: string | undefined): void {
  if (out) writeFileSync(out, text);
  else process.stdout.write(text);
}

async function loadSnapshot(file: string, exportName?: string): Promise<Snapshot> {
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
  return snapshot((await loadCatalog(file, exportName)).catalog);
}

const program = new Command('faultline')
  .description('Reference pages, OpenAPI, lint and compatibility checks from a faultline error catalog.')
  .exitOverride()
  .configureOutput({ writeErr: (text) => process.stderr.write(text) });

program
  .command('docs')
  .description('render the reference page of a catalog')
  .argument('<module>', 'a TypeScript or JavaScript module exporting the catalog')
  .addOption(new Option('--format <format>', 'output format').choices(Object.keys(renderers)).default('md'))
  .option('--out <file>', 'write to a file instead of stdout')
  .option('--check', 'regenerate and exit 1 if the file given by --out differs')
  .option('--export <name>', 'the export holding the catalog')
  .option('--date <yyyy-mm-dd>', 'the date the page says it was generated on')
  .option('--no-standard', 'leave out the standard codes faultline ships')
  .action(
    async (
      module: string,
      o: {
        format: keyof typeof renderers;
        out?: string;
        check?: boolean;
        export?: string;
        date?: string;
        standard: boolean;
      },
    ) => {
      const { catalog, format } = await loadCatalog(module, o.export);
      let date = o.date;
      if (o.check) {
        if (!o.out) throw new CliError('--check needs --out FILE: the file to compare with');
        if (!existsSync(o.out)) throw new CliError(`${o.out}: missing; generate it without --check`, 1);
        date ??= /generated (\d{4}-\d{2}-\d{2})/.exec(readFileSync(o.out, 'utf8'))?.[1];
      }
      const text = renderers[o.format](catalog, {
        ...(format ? { format } : {}),
        ...(date ? { date } : {}),
        includeStandard: o.standard,
      });
      if (o.check) {
        if (readFileSync(o.out!, 'utf8') !== text) {
          throw new CliError(
            `${o.out}: out of date with ${module}; regenerate it with: faultline docs ${module} --format ${o.format} --out ${o.out}`,
            1,
          );
        }
        process.stdout.write(`${o.out}: up to date\n`);
        return;
      }
      output(text, o.out);
    },
  );

program
  .command('openapi')
  .description('render OpenAPI 3.1 for a catalog, or merge its error responses into a document')
  .argument('<module>', 'a module exporting the catalog')
  .option('--merge <file>', 'an OpenAPI document (.json, .yaml or .yml) to add error responses to')
  .option('--out <file>', 'write to a file instead of stdout (.yaml or .yml writes YAML)')
  .option('--export <name>', 'the export holding the catalog')
  .option('--title <title>', 'info.title of a generated document')
  .option('--api-version <version>', 'info.version of a generated document', '1.0.0')
  .action(
    async (
      module: string,
      o: { merge?: string; out?: string; export?: string; title?: string; apiVersion: string },
    ) => {
      const { catalog, format } = await loadCatalog(module, o.export);
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
        document = mergeOpenApi(base, catalog, format ? { format } : {});
      } else {
        document = renderOpenApi(catalog, {
          ...(format ? { format } : {}),
          ...(o.title ? { title: o.title } : {}),
          version: o.apiVersion,
        });
      }
      output(
        o.out && /\.ya?ml$/i.test(o.out) ? stringifyYaml(document) : `${JSON.stringify(document, null, 2)}\n`,
        o.out,
      );
    },
  );

program
  .command('lint')
  .description(
    'check a catalog: naming, categories, retryable 4xx, descriptions, placeholders, what its format drops',
  )
  .argument('<module>', 'a module exporting the catalog')
  .option('--export <name>', 'the export holding the catalog')
  .action(async (module: string, o: { export?: string }) => {
    const { catalog, format } = await loadCatalog(module, o.export);
    const findings = lintCatalog(catalog, format ? { format } : {});
    for (const f of findings) process.stdout.write(`${f.level} ${f.code} [${f.rule}] ${f.message}\n`);
    const errors = findings.filter((f) => f.level === 'error').length;
    process.stdout.write(
      `${errors} error(s), ${findings.length - errors} warning(s) in ${catalog.codes.length} codes\n`,
    );
    if (errors > 0) process.exitCode = 1;
  });

program
  .command('snapshot')
  .description('print a stable JSON lock of the contract of a catalog')
  .argument('<module>', 'a module exporting the catalog')
  .option('--out <file>', 'write to a file instead of stdout')
  .option('--export <name>', 'the export holding the catalog')
  .action(async (module: string, o: { out?: string; export?: string }) => {
    output(`${JSON.stringify(snapshot((await loadCatalog(module, o.export)).catalog), null, 2)}\n`, o.out);
  });

program
  .command('diff')
  .description('sort the changes between a snapshot and a catalog into breaking, additive and cosmetic')
  .argument('<old>', 'the snapshot (.json) of the released contract')
  .argument('<new>', 'a module exporting the catalog, or a newer snapshot (.json)')
  .option('--allow-breaking', 'exit 0 even when a change is breaking')
  .option('--export <name>', 'the export holding the catalog')
  .action(async (old: string, next: string, o: { allowBreaking?: boolean; export?: string }) => {
    const diff = diffSnapshots(await loadSnapshot(old), await loadSnapshot(next, o.export));
    for (const kind of ['breaking', 'additive', 'cosmetic'] as const) {
      for (const c of diff[kind]) process.stdout.write(`${kind} ${c.code}: ${c.change}\n`);
    }
    process.stdout.write(
      `${diff.breaking.length} breaking, ${diff.additive.length} additive, ${diff.cosmetic.length} cosmetic\n`,
    );
    if (diff.breaking.length > 0 && !o.allowBreaking) process.exitCode = 1;
  });

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (error instanceof CliError) {
    process.stderr.write(`faultline: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(
      `faultline: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`,
    );
    process.exitCode = 2;
  }
}
