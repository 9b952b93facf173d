import type { Catalog } from '../catalog/types.js';
import { type DocsOptions, describeCatalog } from './model.js';

/** Renders a catalog's reference as plain text, for terminals and logs. */
export function renderText(catalog: Catalog<any>, options: DocsOptions = {}): string {
  const model = describeCatalog(catalog, options);
  const lines = [`${model.title} — ${model.codeCount} codes, generated ${model.date}`, ''];
  for (const group of model.groups) {
    lines.push(group.title, '-'.repeat(group.title.length));
    for (const e of group.entries) {
      lines.push(`${e.code}${e.id === undefined ? '' : ` (${e.id})`}  HTTP ${e.status}  ${e.message}`);
      lines.push(`    ${e.description}`);
      if (e.cause) lines.push(`    Cause: ${e.cause}`);
      if (e.fix) lines.push(`    Fix: ${e.fix}`);
    }
    lines.push('');
  }
  lines.push(`Retryable: ${model.retryable.join(', ') || 'none'}`);
  return `${lines.join('\n')}\n`;
}

/** Renders a catalog's reference as JSON: the same model the other renderers use. */
export function renderJson(catalog: Catalog<any>, options: DocsOptions = {}): string {
  return `${JSON.stringify(describeCatalog(catalog, options), null, 2)}\n`;
}
