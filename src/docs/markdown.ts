import type { Catalog } from '../catalog/types.js';
import { escapeHtml, fragment, mdCode, mdInline, visible } from './escape.js';
import { columnsOf, type DocGroup, type DocModel, type DocsOptions, describeCatalog } from './model.js';
import { contractNote } from './text.js';
import { websocketMarkdown } from './websocket.js';

/** A table of cells already written as Markdown (`cell` for prose). */
function table(headers: string[], rows: (string | number)[][]): string {
  const lines = [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

const cell = (text: string | undefined) => mdInline(text, true);

function groupTable(group: DocGroup): string {
  const headers = columnsOf(group);
  const rows = group.entries.map((e) => [
    // The anchor is raw HTML: its id is escaped as an attribute, then its `|` as a cell's.
    `<a id="${escapeHtml(e.code).replaceAll('|', '\\|')}"></a>${mdCode(e.code, true)}`,
    ...(group.hasIds ? [e.id ?? '—'] : []),
    e.status,
    ...(group.hasMessages ? [cell(e.message)] : []),
    e.deprecated
      ? `**Deprecated**${typeof e.deprecated === 'string' ? ` (${cell(e.deprecated)})` : ''}. ${cell(e.description)}`
      : cell(e.description),
    ...(group.hasCauses ? [cell(e.cause)] : []),
    ...(group.hasFixes ? [cell(e.fix)] : []),
  ]);
  return table(headers, rows);
}

/** Markdown of a reference page from its model. */
export function markdownOf(model: DocModel): string {
  const parts = [
    `# ${mdInline(model.title)}`,
    `${model.codeCount} codes · generated ${mdInline(model.date)}. ${contractNote(model)}`,
    '## Error response format',
    `Errors are answered as \`${model.contentType}\`:`,
    `\`\`\`json\n${visible(model.exampleBody)}\n\`\`\``,
    '## HTTP status codes',
    table(
      ['Status', 'Meaning', 'When it occurs'],
      model.statuses.map((s) => [s.status, cell(s.meaning), cell(s.when)]),
    ),
  ];
  for (const group of model.groups) {
    parts.push(`## ${mdInline(group.title)}`);
    if (group.description) parts.push(mdInline(group.description));
    parts.push(groupTable(group));
  }
  parts.push(
    '## Retrying',
    `Retry only the ${model.fields.some((member) => member.field === 'code') ? 'codes' : 'errors'} below, with exponential backoff and jitter, and honour \`Retry-After\` when the response has it. ` +
      'Retry a POST or PATCH only with the same `Idempotency-Key`.',
    model.retryable.length > 0
      ? model.retryable.map((code) => `[${mdCode(code)}](${fragment(code)})`).join(', ')
      : 'No code is retryable.',
  );
  return `${parts.join('\n\n')}\n`;
}

/**
 * Renders a catalog's reference page as Markdown: the response format with an example body, the HTTP
 * status table, one table per group, an anchor per code, and retry guidance.
 * @example
 * writeFileSync('docs/errors.md', renderMarkdown(errors, { format: myEnvelope }));
 */
export function renderMarkdown(catalog: Catalog<any>, options: DocsOptions = {}): string {
  return markdownOf(describeCatalog(catalog, options)) + websocketMarkdown(catalog, options.websocket);
}
