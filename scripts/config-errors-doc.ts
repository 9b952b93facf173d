// Writes docs/config-errors.md from the table of faultline's own misconfiguration errors.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
// The table is faultline's own, not a public export: the script reads it where it lives.
import { configErrors } from '../src/catalog/config-error.js';

let page =
  "# faultline configuration errors\n\nfaultline checks catalogs, formats and options when they are set up, and fails there with one of these codes. The few that only a request can reveal (a body no parser has read, a code a guard names that the answering catalog lacks) are answered with the catalog's 500 and logged with their code. Each message names the code or option at fault.\n";
for (const [code, entry] of Object.entries(configErrors))
  page += `\n## ${code}\n\n${entry.message}\n\nFix: ${entry.fix}\n`;
writeFileSync(resolve(import.meta.dirname, '../docs/config-errors.md'), page);
