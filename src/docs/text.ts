import type { Catalog } from '../catalog/types.js';
import { terminalLine as line } from './escape.js';
import { type DocModel, type DocsOptions, describeCatalog } from './model.js';

/**
 * The sentence under a page's title: what clients branch on, worded for what the format carries. A
 * message-only format sends no code, so its page cannot tell readers to branch on one.
 */
export function contractNote(model: DocModel): string {
  return model.fields.some((member) => member.field === 'code')
    ? 'Clients branch on `code`, never on the message: codes are stable, messages may change.'
    : 'The body carries a message and no code: clients tell errors apart by HTTP status and exact message, ' +
        'so these messages are part of the contract and stay stable (the codes below name them in these docs; ' +
        "faultline's client maps each message back to its code).";
}

/** Renders a catalog's reference as plain text, for terminals and logs. */
export function renderText(catalog: Catalog<any>, options: DocsOptions = {}): string {
  const model = describeCatalog(catalog, options);
  const lines = [
    `${line(model.title)} — ${model.codeCount} codes, generated ${line(model.date)}`,
    contractNote(model),
    '',
  ];
  for (const group of model.groups) {
    // Catalog text reaches a terminal: each string one line, its control characters written out.
    const title = line(group.title);
    lines.push(title, '-'.repeat(title.length));
    for (const e of group.entries) {
      lines.push(
        `${line(e.code)}${e.id === undefined ? '' : ` (${e.id})`}  HTTP ${e.status}  ${line(e.message)}`,
      );
      lines.push(`    ${line(e.description)}`);
      if (e.cause) lines.push(`    Cause: ${line(e.cause)}`);
      if (e.fix) lines.push(`    Fix: ${line(e.fix)}`);
    }
    lines.push('');
  }
  lines.push(`Retryable: ${model.retryable.map(line).join(', ') || 'none'}`);
  return `${lines.join('\n')}\n`;
}

/** Renders a catalog's reference as JSON: the same model the other renderers use. */
export function renderJson(catalog: Catalog<any>, options: DocsOptions = {}): string {
  return `${JSON.stringify(describeCatalog(catalog, options), null, 2)}\n`;
}
