/** One cell of a reference-page table: its HTML, and whether it holds nothing a reader needs. */
export interface HtmlCell {
  html: string;
  /** True when the cell is blank or a placeholder: a column of such cells is left out. */
  empty: boolean;
  /** Extra attributes of the `<td>`, e.g. ` class="code"`. */
  attrs?: string;
}

/** One row: the attributes of its `<tr>` (e.g. ` id="ROOM_FULL"`) and its cells, one per header. */
export interface HtmlRow {
  attrs?: string;
  cells: readonly HtmlCell[];
}

/** A cell whose text is blank or a dash holds nothing. */
export function cellOf(html: string, attrs?: string): HtmlCell {
  const text = html.replace(/<[^>]*>/g, '').trim();
  return { html, empty: text === '' || text === '—' || text === '-', ...(attrs ? { attrs } : {}) };
}

/**
 * A table without its empty columns: a column whose every cell is empty is not rendered, header included.
 * Each cell is labelled with its header (`data-label`) for the one-column layout of narrow screens.
 */
export function renderTable(headers: readonly string[], rows: readonly HtmlRow[]): string {
  const kept = headers.map((_, i) => rows.length === 0 || rows.some((r) => r.cells[i]?.empty === false));
  const head = headers.filter((_, i) => kept[i]).map((h) => `<th>${h}</th>`);
  const body = rows.map(
    (r) =>
      `<tr${r.attrs ?? ''}>${r.cells
        .map((c, i) => (kept[i] ? `<td data-label="${headers[i]}"${c.attrs ?? ''}>${c.html}</td>` : ''))
        .join('')}</tr>`,
  );
  return `<table><thead><tr>${head.join('')}</tr></thead><tbody>\n${body.join('\n')}\n</tbody></table>`;
}
