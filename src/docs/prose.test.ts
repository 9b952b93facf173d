import { defineErrors } from 'faultline';
import { renderHtml, renderMarkdown } from 'faultline/docs';
import { envelope, field } from 'faultline/format';
import { describe, expect, it } from 'vitest';
import { messageEnvelope } from '../format/common.js';
import { renderText } from './text.js';

const errors = defineErrors({
  ROOM_CLOSED: {
    status: 405,
    message: 'Room is closed',
    description: 'The room takes no `POST`; `Allow` lists what it takes.',
    cause: 'The room was closed with `DELETE /rooms/{id}`.',
    fix: 'Use a method from `Allow` & retry <later>.',
  },
});

describe('reference page prose', () => {
  it('renders inline code of catalog text as <code> in HTML, escaping everything else', () => {
    const html = renderHtml(errors, { includeStandard: false });
    expect(html).toContain('The room takes no <code>POST</code>; <code>Allow</code> lists what it takes.');
    expect(html).toContain('The room was closed with <code>DELETE /rooms/{id}</code>.');
    expect(html).toContain('Use a method from <code>Allow</code> &amp; retry &lt;later&gt;.');
    expect(html).not.toMatch(/`(?:Allow|POST)`/);
  });

  it('keeps a lone backtick literal and never lets code spans open markup', () => {
    const odd = defineErrors({
      ODD: { status: 400, message: 'x', description: 'A ` alone.', cause: 'Quoted `<script>` tags.' },
    });
    const html = renderHtml(odd, { includeStandard: false });
    expect(html).toContain('<td data-label="Description">A ` alone.</td>');
    expect(html).toContain('Quoted <code>&lt;script&gt;</code> tags.');
  });

  it('tells readers to branch on code when the format carries one', () => {
    expect(renderMarkdown(errors)).toContain('Clients branch on `code`, never on the message');
    expect(renderHtml(errors)).toContain('Clients branch on <code>code</code>, never on the message');
  });

  it('words a message-only page for what its format carries: status and message, no code', () => {
    for (const format of [messageEnvelope, envelope({ error: field.message })]) {
      for (const page of [
        renderMarkdown(errors, { format }),
        renderHtml(errors, { format }),
        renderText(errors, { format }),
      ]) {
        expect(page).not.toContain('branch on');
        expect(page).toContain('carries a message and no code');
      }
      expect(renderMarkdown(errors, { format })).toContain('Retry only the errors below');
    }
  });
});
