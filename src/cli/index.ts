#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { CliError } from './errors.js';
import { terminalText, terminalValue } from './terminal.js';

// This module loads commander and nothing heavy: each command imports its work (jiti, yaml, the
// renderers) when it runs, so `--help` and `--version` answer in the time node takes to start.
const commands = () => import('./commands.js');

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const lintJson = `
With --json, stdout is one JSON document (stable within "faultline": 1; members may be added):
  { "faultline": 1, "codes": <number>, "errors": <number>, "warnings": <number>,
    "findings": [{ "level": "error" | "warning", "code": <string>, "rule": <string>, "message": <string> }] }
Exit codes: 0 clean or warnings only, 1 errors found, 2 the catalog could not be loaded.`;

const diffJson = `
With --json, stdout is one JSON document (stable within "faultline": 1; members may be added):
  { "faultline": 1, "breaking": [{ "code": <string>, "change": <string> }],
    "additive": [ …the same ], "cosmetic": [ …the same ] }
Exit codes: 0 no breaking change (or --allow-breaking), 1 breaking changes, 2 an input could not be loaded.`;

const program = new Command('faultline')
  .description('Reference pages, OpenAPI, lint and compatibility checks from a faultline error catalog.')
  .version(version, '-v, --version', 'print the version of faultline')
  .exitOverride()
  .configureOutput({ writeErr: (text) => process.stderr.write(terminalText(text)) });

program
  .command('docs')
  .description('render the reference page of a catalog')
  .argument('<module>', 'a TypeScript or JavaScript module exporting the catalog')
  .addOption(
    new Option('--format <format>', 'output format').choices(['md', 'html', 'json', 'txt']).default('md'),
  )
  .option('--out <file>', 'write to a file instead of stdout')
  .option('--check', 'regenerate and exit 1 if the file given by --out differs')
  .option('--export <name>', 'the export holding the catalog')
  .option('--envelope <name>', 'the export holding the wire format, when the module exports several')
  .option('--date <yyyy-mm-dd>', 'the date the page says it was generated on')
  .option('--no-standard', 'leave out the standard codes faultline ships')
  .action(async (module, o) => (await commands()).docs(module, o));

program
  .command('openapi')
  .description('render OpenAPI 3.1 for a catalog, or merge its error responses into a document')
  .argument('<module>', 'a module exporting the catalog')
  .option('--merge <file>', 'an OpenAPI document (.json, .yaml or .yml) to add error responses to')
  .option('--out <file>', 'write to a file instead of stdout (.yaml or .yml writes YAML)')
  .option('--export <name>', 'the export holding the catalog')
  .option('--envelope <name>', 'the export holding the wire format, when the module exports several')
  .option('--title <title>', 'info.title of a generated document')
  .option('--api-version <version>', 'info.version of a generated document', '1.0.0')
  .action(async (module, o) => (await commands()).openapi(module, o));

program
  .command('lint')
  .description(
    'check a catalog: naming, categories, retryable 4xx, descriptions, placeholders, what its format drops',
  )
  .argument('<module>', 'a module exporting the catalog')
  .option('--export <name>', 'the export holding the catalog')
  .option('--envelope <name>', 'the export holding the wire format, when the module exports several')
  .option('--json', 'print the findings as one JSON document')
  .addHelpText('after', lintJson)
  .action(async (module, o) => (await commands()).lint(module, o));

program
  .command('snapshot')
  .description('print a stable JSON lock of the contract of a catalog')
  .argument('<module>', 'a module exporting the catalog')
  .option('--out <file>', 'write to a file instead of stdout')
  .option('--export <name>', 'the export holding the catalog')
  .option('--envelope <name>', 'the export holding the wire format, when the module exports several')
  .action(async (module, o) => (await commands()).snapshotCommand(module, o));

program
  .command('diff')
  .description('sort the changes between a snapshot and a catalog into breaking, additive and cosmetic')
  .argument('<old>', 'the snapshot (.json) of the released contract')
  .argument('<new>', 'a module exporting the catalog, or a newer snapshot (.json)')
  .option('--allow-breaking', 'exit 0 even when a change is breaking')
  .option('--export <name>', 'the export holding the catalog')
  .option('--envelope <name>', 'the export holding the wire format, when the module exports several')
  .option('--json', 'print the changes as one JSON document')
  .addHelpText('after', diffJson)
  .action(async (old, next, o) => (await commands()).diff(old, next, o));

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (error instanceof CliError) {
    // A path, an option or a module's own error text may hold escapes a terminal would act on.
    process.stderr.write(`faultline: ${terminalValue(error.message)}\n`);
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(
      `faultline: ${terminalValue(error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error))}\n`,
    );
    process.exitCode = 2;
  }
}

// The command has answered: end now, even when the module it imported keeps the event loop alive (a
// server file pointed at by mistake). Both streams are flushed first, so that a piped output is whole.
process.stdout.write('', () => process.stderr.write('', () => process.exit()));
