// Catalog text comes from many hands (translators, other teams, a CMS): every renderer treats it as text,
// never as markup, and never writes a control character a terminal would act on.
import { terminalText, visible } from '../text/terminal.js';

export { visible } from '../text/terminal.js';

// Line breaks (CommonMark's three, and JavaScript's two) and tab: one line of text each time.
const breaks = /\r\n|[\r\n\t\u2028\u2029]/g;

/** One line of visible text: line breaks and tabs become spaces, controls are written out. */
export function oneLine(text: string): string {
  return visible(text.replace(breaks, ' '));
}

// `&` stays: an entity a reader's parser decodes is text, never markup.
const mdEntities: Record<string, string> = { '<': '&lt;', '>': '&gt;' };

/** Markdown text outside code spans: no HTML, no link, no code span, no table cell break. */
function mdText(text: string): string {
  return text
    .replace(/[\\`[\]|]/g, (c) => `\\${c}`)
    .replace(/[<>]/g, (c) => mdEntities[c]!)
    .replace(/^(\s*)([#>+=-]|\d+[.)])/, '$1\\$2');
}

/**
 * Catalog prose as one line of Markdown: its inline code (`` `Allow` ``) stays code, everything else is
 * text, whatever Markdown or HTML it holds. Only a lone backtick pair is taken as a span, and every other
 * backtick is escaped, so a reader's parser finds exactly the spans chosen here.
 */
export function mdInline(text: string | undefined, table = false): string {
  if (text === undefined) return '';
  const parts = oneLine(text).split(/(?<!`)`([^`]+)`(?!`)/);
  return parts
    .map((part, i) => (i % 2 === 0 ? mdText(part) : `\`${table ? part.replaceAll('|', '\\|') : part}\``))
    .join('');
}

/** A code as a Markdown code span, whatever backticks it holds. */
export function mdCode(code: string, table = false): string {
  const text = oneLine(code);
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${table ? text.replaceAll('|', '\\|') : text}${pad}${fence}`;
}

const htmlEntities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text for HTML content or a quoted attribute value. */
export function escapeHtml(text: string | number | undefined): string {
  return text === undefined ? '' : visible(String(text)).replace(/[&<>"']/g, (c) => htmlEntities[c]!);
}

/** A `#fragment` link to an anchor whose id is `id`, safe inside a Markdown link destination. */
export function fragment(id: string): string {
  return `#${encodeURIComponent(id).replace(/[()'!*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}

/** Prose on one terminal line: as `oneLine`, and the bidirectional controls written out too. */
export function terminalLine(text: string): string {
  return terminalText(text.replace(breaks, ' '));
}
