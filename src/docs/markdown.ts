import type { Catalog } from '../catalog/types.js';
import { columnsOf, type DocGroup, type DocModel, type DocsOptions, describeCatalog } from './model.js';
import { contractNote } from './text.js';
import { websocketMarkdown } from './websocket.js';

function cell(text: string | number | undefined): string {
  return text === undefined ? '' : String(text).replace(/\r?\n/g, ' ').replaceAll('|', '\\|');
}

function table(headers: string[], rows: (string | number | undefined)[][]): string {
  const lines = [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.map(cell).join(' | ')} |`);
  return lines.join('\n');
}

function groupTable(group: DocGroup): string {
  const headers = columnsOf(group);
  const rows = group.entries.map((e) => [
    `<a id="${e.code}"></a>\`${e.code}\``,
    ...(group.hasIds ? [e.id ?? '—'] : []),
    e.status,
    ...(group.hasMessages ? [e.message] : []),
    e.deprecated
      ? `**Deprecated**${typeof e.deprecated === 'string' ? ` (${e.deprecated})` : ''}. ${e.description}`
      : e.description,
    ...(group.hasCauses ? [e.cause] : []),
    ...(group.hasFixes ? [e.fix] : []),
  ]);
  return table(headers, rows);
}

/** Markdown of a reference page from its model. */
export function markdownOf(model: DocModel): string {
  const parts = [
    `# ${model.title}`,
    `${model.codeCount} codes · generated ${model.date}. ${contractNote(model)}`,
    '## Error response format',
    `Errors are answered as \`${model.contentType}\`:`,
    `\`\`\`json\n${model.exampleBody}\n\`\`\``,
    '## HTTP status codes',
    table(
      ['Status', 'Meaning', 'When it occurs'],
      model.statuses.map((s) => [s.status, s.meaning, s.when]),
    ),
  ];
  for (const group of model.groups) {
    parts.push(`## ${group.title}`);
    if (group.description) parts.push(group.description);
    parts.push(groupTable(group));
  }
  parts.push(
    '## Retrying',
    `Retry only the ${model.fields.some((member) => member.field === 'code') ? 'codes' : 'errors'} below, with exponential backoff and jitter, and honour \`Retry-After\` when the response has it. ` +
      'Retry a POST or PATCH only with the same `Idempotency-Key`.',
    model.retryable.length > 0
      ? model.retryable.map((code) => `[\`${code}\`](#${code})`).join(', ')
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
