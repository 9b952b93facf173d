import type { Catalog } from '../catalog/types.js';
import { escapeHtml, visible } from './escape.js';
import { pageScript, pageStyle } from './html-assets.js';
import { cellOf, type HtmlRow, renderTable } from './html-table.js';
import { type DocEntry, type DocGroup, type DocsOptions, describeCatalog } from './model.js';
import { contractNote } from './text.js';
import { websocketExample, websocketTables } from './websocket.js';

/** Escapes catalog prose and renders its Markdown inline code (`` `Allow` ``) as `<code>`. */
function prose(text: string | undefined): string {
  return escapeHtml(text).replace(/`([^`\n]+)`/g, '<code>$1</code>');
}

/** Escapes a JSON example for `<pre>`: its quotes stay as they are on the wire. */
function escapeCode(text: string): string {
  return visible(text).replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

/** One entry of the contents: a section's anchor, its title, and for a group its number of codes. */
interface TocEntry {
  id: string;
  title: string;
  count?: number;
}

const groupHeaders = ['Code', 'ID', 'HTTP', 'Message', 'Description', 'Cause', 'Fix'];

function row(group: DocGroup, e: DocEntry): HtmlRow {
  const search = [e.code, e.id, e.status, e.message, e.description, e.cause, e.fix]
    .filter((x) => x !== undefined)
    .join(' ')
    .replaceAll('`', '')
    .toLowerCase();
  const code = escapeHtml(e.code);
  return {
    attrs: ` id="${code}" data-search="${escapeHtml(search)}"`,
    cells: [
      cellOf(
        `<a href="#${code}"><code>${code}</code></a> <button type="button" data-copy="${code}" aria-label="Copy ${code}">Copy</button>`,
        ' class="code"',
      ),
      cellOf(escapeHtml(e.id ?? '—')),
      cellOf(String(e.status)),
      // A group whose messages are its descriptions shows them once, as descriptions.
      group.hasMessages ? cellOf(prose(e.message)) : { html: '', empty: true },
      {
        ...cellOf(`${e.deprecated ? '<strong>Deprecated.</strong> ' : ''}${prose(e.description)}`),
        ...(e.deprecated ? { attrs: ' class="deprecated"' } : {}),
      },
      cellOf(prose(e.cause)),
      cellOf(prose(e.fix)),
    ],
  };
}

function section(group: DocGroup, id: string): string {
  return `<section id="${id}" data-group="${escapeHtml(group.name)}"><h2>${escapeHtml(group.title)}</h2>${group.description ? `<p>${prose(group.description)}</p>` : ''}
${renderTable(
  groupHeaders,
  group.entries.map((e) => row(group, e)),
)}</section>`;
}

/** Anchors for the group sections: distinct from each other and from the fixed sections. */
function groupIds(groups: readonly DocGroup[]): string[] {
  const taken = new Set<string>();
  return groups.map((group) => {
    const base = `group-${group.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
    taken.add(id);
    return id;
  });
}

function websocketSections(catalog: Catalog<any>, options: DocsOptions, toc: TocEntry[]): string {
  const parts = websocketTables(catalog, options.websocket).map((t, i) => {
    const id = `websocket-${i + 1}`;
    toc.push({ id, title: t.title.replaceAll('`', '') });
    const headers = t.headers.map((h) => escapeHtml(h.replaceAll('`', '')));
    const rows = t.rows.map((r) => ({ cells: r.map((c) => cellOf(prose(c))) }));
    return `<section id="${id}" data-websocket><h2>${prose(t.title)}</h2>${t.intro ? `<p>${prose(t.intro)}</p>` : ''}${renderTable(headers, rows)}</section>`;
  });
  const example = websocketExample(catalog, options.websocket);
  if (example) {
    toc.push({ id: 'websocket-event', title: 'WebSocket error event' });
    parts.push(
      `<section id="websocket-event" data-websocket><h2>WebSocket error event</h2><p>${prose(`The error event for \`${example.code}\`, answering the client event \`c1\`. Every in-session error has this shape.`)}</p><pre><code>${escapeCode(example.json)}</code></pre></section>`,
    );
  }
  return parts.join('\n');
}

function contents(toc: readonly TocEntry[]): string {
  const items = toc.map(
    (t) =>
      `<li${t.count === undefined ? ' class="fixed"' : ''}><a href="#${t.id}"><span>${escapeHtml(t.title)}</span>${t.count === undefined ? '' : `<span class="n">${t.count}</span>`}</a></li>`,
  );
  return `<nav class="toc" aria-label="Contents"><h2>Contents</h2><ol>\n${items.join('\n')}\n</ol></nav>`;
}

/**
 * Renders a catalog's reference as one self-contained HTML page (no network requests): contents with the
 * number of codes per group, a search box that filters codes as you type and says how many match, a deep
 * link per code (the row's id is the code), copy buttons, dark mode, no column left empty, and a layout
 * that reads on a phone.
 * @example
 * app.get('/docs/errors', () => new Response(renderHtml(errors), { headers: { 'content-type': 'text/html' } }));
 */
export function renderHtml(catalog: Catalog<any>, options: DocsOptions = {}): string {
  const model = describeCatalog(catalog, options);
  const ids = groupIds(model.groups);
  const rows = model.groups.reduce((n, g) => n + g.entries.length, 0);
  const toc: TocEntry[] = [
    { id: 'format', title: 'Error response format' },
    { id: 'statuses', title: 'HTTP status codes' },
    ...model.groups.map((g, i) => ({ id: ids[i]!, title: g.title, count: g.entries.length })),
    { id: 'retrying', title: 'Retrying' },
  ];
  const websocket = websocketSections(catalog, options, toc);
  const statuses = renderTable(
    ['Status', 'Meaning', 'When it occurs'],
    model.statuses.map((s) => ({
      cells: [cellOf(String(s.status)), cellOf(escapeHtml(s.meaning)), cellOf(prose(s.when))],
    })),
  );
  const retryable = model.fields.some((member) => member.field === 'code') ? 'codes' : 'errors';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(model.title)}</title><style>${pageStyle}</style></head>
<body><div class="layout">
<header><div class="title"><h1>${escapeHtml(model.title)}</h1><button type="button" id="theme" aria-label="Toggle dark mode">◐ Theme</button></div>
<p class="meta">${model.codeCount} codes · generated ${escapeHtml(model.date)}. ${prose(contractNote(model))}</p></header>
${contents(toc)}
<main>
<div class="find"><input type="search" id="search" placeholder="Filter codes, messages, statuses…" aria-label="Filter error codes" aria-describedby="count" autocomplete="off">
<p id="count" role="status" aria-live="polite">${rows} ${rows === 1 ? 'code' : 'codes'}</p></div>
<p id="empty" class="empty">No code matches.</p>
<section id="format"><h2>Error response format</h2><p>Errors are answered as <code>${escapeHtml(model.contentType)}</code>:</p>
<pre><code>${escapeHtml(model.exampleBody)}</code></pre></section>
<section id="statuses"><h2>HTTP status codes</h2>${statuses}</section>
${model.groups.map((g, i) => section(g, ids[i]!)).join('\n')}
<section id="retrying"><h2>Retrying</h2><p>Retry only these ${retryable}, with exponential backoff and jitter; honour <code>Retry-After</code>. Retry a POST or PATCH only with the same <code>Idempotency-Key</code>.</p>
<p>${model.retryable.map((code) => `<a href="#${escapeHtml(code)}"><code>${escapeHtml(code)}</code></a>`).join(', ') || 'No code is retryable.'}</p></section>
${websocket}
</main></div><script>${pageScript}</script></body></html>
`;
}
