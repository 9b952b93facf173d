// The reference page's stylesheet and script, inline so that the page makes no request of its own.

/** The page's CSS: light and dark themes, a contents sidebar on wide screens, one column on phones. */
export const pageStyle = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--accent:#0969da;--hit:#fff8c5;--code:#f6f8fa}
:root[data-theme=dark]{--bg:#0d1117;--fg:#e6edf3;--muted:#8d96a0;--line:#30363d;--accent:#4493f8;--hit:#3b2e00;--code:#161b22}
@media (prefers-color-scheme:dark){:root:not([data-theme=light]){--bg:#0d1117;--fg:#e6edf3;--muted:#8d96a0;--line:#30363d;--accent:#4493f8;--hit:#3b2e00;--code:#161b22}}
[hidden]{display:none!important}*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,Segoe UI,sans-serif}
.layout{max-width:1360px;margin:0 auto;padding:8px 16px 0;display:grid;grid-template-columns:minmax(0,1fr);column-gap:32px}
main{min-width:0;padding-bottom:24px}header{min-width:0}.title{display:flex;gap:8px;align-items:center;flex-wrap:wrap}
h1{font-size:1.6em;margin:8px 0;flex:1}.filtering main>section:not([data-group]),.filtering .toc li.fixed{display:none}h2{margin-top:28px;border-bottom:1px solid var(--line);padding-bottom:4px}
section,tr[id]{scroll-margin-top:96px}
.meta{color:var(--muted)}.find{position:sticky;top:0;z-index:1;background:var(--bg);padding:8px 0 4px;border-bottom:1px solid var(--line)}
input[type=search]{width:100%;padding:10px 12px;font-size:16px;border:1px solid var(--line);border-radius:8px;background:var(--bg);color:var(--fg)}
#count{margin:4px 2px 0;color:var(--muted);font-size:.9em;min-height:1.5em}
button{font:inherit;border:1px solid var(--line);background:var(--code);color:var(--fg);border-radius:6px;padding:2px 8px;cursor:pointer}
pre{background:var(--code);padding:12px;border-radius:8px;overflow:auto}code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}
th{color:var(--muted);font-weight:600}tr:target{background:var(--hit)}a{color:var(--accent)}.code a{text-decoration:none}
.empty{color:var(--muted);display:none}.deprecated{color:var(--muted)}
.toc{font-size:.92em}.toc h2{font-size:.8em;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);border:0;margin:16px 0 6px}
.toc ol{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:4px}
.toc a{display:flex;gap:8px;justify-content:space-between;padding:3px 8px;border-radius:6px;text-decoration:none;color:var(--fg);border:1px solid var(--line)}
.toc a:hover{background:var(--code)}.toc .n{color:var(--muted);font-variant-numeric:tabular-nums}
@media (min-width:1000px){.layout{grid-template-columns:230px minmax(0,1fr)}header,main{grid-column:2}
.toc{grid-column:1;grid-row:1/span 2;position:sticky;top:0;align-self:start;max-height:100vh;overflow:auto;padding-bottom:16px}
.toc ol{display:block}.toc a{border:0}}
@media (max-width:700px){thead{display:none}table,tbody,tr,td{display:block;width:100%}tr{border:1px solid var(--line);border-radius:8px;margin:8px 0;padding:6px}
td{border:0;padding:2px 4px}td[data-label]::before{content:attr(data-label) ": ";color:var(--muted);font-weight:600}}
`;

/**
 * The page's script: the filter (rows, sections, the contents' counts and the match count), copy buttons,
 * the theme switch and the deep link of the address. A page without storage (a sandboxed frame) or with a
 * malformed address still filters, copies and switches theme.
 */
export const pageScript = `
const input=document.getElementById('search');const rows=[...document.querySelectorAll('tr[data-search]')];
const count=document.getElementById('count');const total=rows.length;const noun=n=>n===1?'code':'codes';
function filter(){const q=input.value.trim().toLowerCase();let shown=0;document.body.classList.toggle('filtering',q!=='');
for(const row of rows){row.hidden=q!==''&&!row.dataset.search.includes(q);if(!row.hidden)shown++;}
for(const section of document.querySelectorAll('section[data-group]')){const visible=section.querySelectorAll('tr[data-search]:not([hidden])').length;section.hidden=visible===0;
const link=document.querySelector('.toc a[href="#'+CSS.escape(section.id)+'"]');if(link){link.parentElement.hidden=visible===0;link.querySelector('.n').textContent=visible;}}
count.textContent=q===''?total+' '+noun(total):shown+' of '+total+' '+noun(total)+(shown===1?' matches':' match');
document.getElementById('empty').style.display=shown>0?'none':'block';}
input.addEventListener('input',filter);
document.addEventListener('click',async e=>{const b=e.target.closest('button[data-copy]');if(!b)return;const text=b.dataset.copy;
try{await navigator.clipboard.writeText(text);}catch{const t=document.createElement('textarea');t.value=text;document.body.append(t);t.select();document.execCommand('copy');t.remove();}
b.textContent='Copied';setTimeout(()=>{b.textContent='Copy';},1200);});
const root=document.documentElement;const store={get(){try{return localStorage.getItem('theme');}catch{return null;}},set(v){try{localStorage.setItem('theme',v);}catch{}}};
const saved=store.get();if(saved==='dark'||saved==='light')root.dataset.theme=saved;
document.getElementById('theme').addEventListener('click',()=>{const dark=root.dataset.theme?root.dataset.theme==='dark':matchMedia('(prefers-color-scheme: dark)').matches;
root.dataset.theme=dark?'light':'dark';store.set(root.dataset.theme);});
if(location.hash){let id=location.hash.slice(1);try{id=decodeURIComponent(id);}catch{}const row=document.getElementById(id);if(row)row.scrollIntoView();}
`;
