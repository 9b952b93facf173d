import type { Catalog } from '../catalog/types.js';
import { columnsOf, type DocEntry, type DocGroup, type DocsOptions, describeCatalog } from './model.js';
import { contractNote } from './text.js';
import { websocketHtml } from './websocket.js';

const entities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(text: string | number | undefined): string {
  return text === undefined ? '' : String(text).replace(/[&<>"']/g, (c) => entities[c]!);
}

/** Escapes catalog prose and renders its Markdown inline code (`` `Allow` ``) as `<code>`. */
function prose(text: string | undefined): string {
  return escapeHtml(text).replace(/`([^`\n]+)`/g, '<code>$1</code>');
}

const style = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--accent:#0969da;--hit:#fff8c5;--code:#f6f8fa}
:root[data-theme=dark]{--bg:#0d1117;--fg:#e6edf3;--muted:#8d96a0;--line:#30363d;--accent:#4493f8;--hit:#3b2e00;--code:#161b22}
@media (prefers-color-scheme:dark){:root:not([data-theme=light]){--bg:#0d1117;--fg:#e6edf3;--muted:#8d96a0;--line:#30363d;--accent:#4493f8;--hit:#3b2e00;--code:#161b22}}
[hidden]{display:none!important}*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,Segoe UI,sans-serif}
main{max-width:1100px;margin:0 auto;padding:16px}header{display:flex;gap:8px;align-items:center;flex-wrap:wrap}
h1{font-size:1.6em;margin:8px 0;flex:1}h2{margin-top:28px;border-bottom:1px solid var(--line);padding-bottom:4px}
.meta{color:var(--muted)}input[type=search]{width:100%;padding:10px 12px;font-size:16px;border:1px solid var(--line);border-radius:8px;background:var(--bg);color:var(--fg);margin:12px 0}
button{font:inherit;border:1px solid var(--line);background:var(--code);color:var(--fg);border-radius:6px;padding:2px 8px;cursor:pointer}
pre{background:var(--code);padding:12px;border-radius:8px;overflow:auto}code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}
th{color:var(--muted);font-weight:600}tr:target{background:var(--hit)}a{color:var(--accent)}.code a{text-decoration:none}
.empty{color:var(--muted);display:none}.deprecated{color:var(--muted)}
@media (max-width:700px){thead{display:none}table,tbody,tr,td{display:block;width:100%}tr{border:1px solid var(--line);border-radius:8px;margin:8px 0;padding:6px}
td{border:0;padding:2px 4px}td[data-label]::before{content:attr(data-label) ": ";color:var(--muted);font-weight:600}}
`;

const script = `
const input=document.getElementById('search');const rows=[...document.querySelectorAll('tr[data-search]')];
function filter(){const q=input.value.trim().toLowerCase();for(const row of rows){row.hidden=q!==''&&!row.dataset.search.includes(q);}
for(const section of document.querySelectorAll('section[data-group]')){const visible=section.querySelectorAll('tr[data-search]:not([hidden])').length;section.hidden=visible===0;}
document.getElementById('empty').style.display=rows.some(r=>!r.hidden)?'none':'block';}
input.addEventListener('input',filter);
document.addEventListener('click',async e=>{const b=e.target.closest('button[data-copy]');if(!b)return;const text=b.dataset.copy;
try{await navigator.clipboard.writeText(text);}catch{const t=document.createElement('textarea');t.value=text;document.body.append(t);t.select();document.execCommand('copy');t.remove();}
b.textContent='Copied';setTimeout(()=>{b.textContent='Copy';},1200);});
const root=document.documentElement;const saved=localStorage.getItem('theme');if(saved)root.dataset.theme=saved;
document.getElementById('theme').addEventListener('click',()=>{const dark=root.dataset.theme?root.dataset.theme==='dark':matchMedia('(prefers-color-scheme: dark)').matches;
root.dataset.theme=dark?'light':'dark';localStorage.setItem('theme',root.dataset.theme);});
if(location.hash){const row=document.getElementById(decodeURIComponent(location.hash.slice(1)));if(row)row.scrollIntoView();}
`;

function row(group: DocGroup, e: DocEntry): string {
  const search = [e.code, e.id, e.status, e.message, e.description, e.cause, e.fix]
    .filter((x) => x !== undefined)
    .join(' ')
    .replaceAll('`', '')
    .toLowerCase();
  const cells = [
    `<td class="code" data-label="Code"><a href="#${escapeHtml(e.code)}"><code>${escapeHtml(e.code)}</code></a> <button type="button" data-copy="${escapeHtml(e.code)}" aria-label="Copy ${escapeHtml(e.code)}">Copy</button></td>`,
    group.hasIds ? `<td data-label="ID">${escapeHtml(e.id ?? '—')}</td>` : '',
    `<td data-label="HTTP">${e.status}</td>`,
    group.hasMessages ? `<td data-label="Message">${prose(e.message)}</td>` : '',
    `<td data-label="Description"${e.deprecated ? ' class="deprecated"' : ''}>${e.deprecated ? '<strong>Deprecated.</strong> ' : ''}${prose(e.description)}</td>`,
    group.hasCauses ? `<td data-label="Cause">${prose(e.cause)}</td>` : '',
    group.hasFixes ? `<td data-label="Fix">${prose(e.fix)}</td>` : '',
  ];
  return `<tr id="${escapeHtml(e.code)}" data-search="${escapeHtml(search)}">${cells.join('')}</tr>`;
}

function section(group: DocGroup): string {
  const headers = columnsOf(group);
  return `<section data-group="${escapeHtml(group.name)}"><h2>${escapeHtml(group.title)}</h2>${group.description ? `<p>${prose(group.description)}</p>` : ''}
<table><thead><tr>${headers.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>
${group.entries.map((e) => row(group, e)).join('\n')}
</tbody></table></section>`;
}

/**
 * Renders a catalog's reference as one self-contained HTML page (no network requests): a search box that
 * filters codes as you type, a deep link per code (the row's id is the code), copy buttons, dark mode,
 * and a layout that reads on a phone.
 * @example
 * app.get('/docs/errors', () => new Response(renderHtml(errors), { headers: { 'content-type': 'text/html' } }));
 */
export function renderHtml(catalog: Catalog<any>, options: DocsOptions = {}): string {
  const model = describeCatalog(catalog, options);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(model.title)}</title><style>${style}</style></head>
<body><main>
<header><h1>${escapeHtml(model.title)}</h1><button type="button" id="theme" aria-label="Toggle dark mode">◐ Theme</button></header>
<p class="meta">${model.codeCount} codes · generated ${escapeHtml(model.date)}. ${prose(contractNote(model))}</p>
<input type="search" id="search" placeholder="Filter codes, messages, statuses…" aria-label="Filter error codes" autocomplete="off">
<p id="empty" class="empty">No code matches.</p>
<section><h2>Error response format</h2><p>Errors are answered as <code>${escapeHtml(model.contentType)}</code>:</p>
<pre><code>${escapeHtml(model.exampleBody)}</code></pre></section>
<section><h2>HTTP status codes</h2><table><thead><tr><th>Status</th><th>Meaning</th><th>When it occurs</th></tr></thead><tbody>
${model.statuses.map((s) => `<tr><td>${s.status}</td><td>${escapeHtml(s.meaning)}</td><td>${prose(s.when)}</td></tr>`).join('\n')}
</tbody></table></section>
${model.groups.map(section).join('\n')}
<section><h2>Retrying</h2><p>Retry only these ${model.fields.some((member) => member.field === 'code') ? 'codes' : 'errors'}, with exponential backoff and jitter; honour <code>Retry-After</code>. Retry a POST or PATCH only with the same <code>Idempotency-Key</code>.</p>
<p>${model.retryable.map((code) => `<a href="#${escapeHtml(code)}"><code>${escapeHtml(code)}</code></a>`).join(', ') || 'No code is retryable.'}</p></section>
${websocketHtml(catalog, options.websocket, prose)}
</main><script>${script}</script></body></html>
`;
}
