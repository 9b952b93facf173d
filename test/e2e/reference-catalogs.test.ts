import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Catalog } from 'faultline';
import { parseErrorParts } from 'faultline/client';
import { renderHtml, renderMarkdown } from 'faultline/docs';
import type { ErrorFormat } from 'faultline/format';
import { describe, expect, it } from 'vitest';
import { extractExample, extractRows } from '../fixtures/reference/extract.js';
import { type PageName, pageNames, type ReferenceRow, referencePage } from '../fixtures/reference/index.js';

// The five pages as found, committed beside their extracted facts: the test reads nothing outside the clone
// (test/fixtures/reference/regenerate.ts checks the committed pages against the originals where they exist).
const pages = resolve(import.meta.dirname, '../fixtures/reference/pages');

const load = async (name: PageName) =>
  (await import(`../../examples/reference/${name}.ts`)) as { errors: Catalog<any>; format: ErrorFormat };

function render(errors: Catalog<any>, format: ErrorFormat) {
  return renderMarkdown(errors, { format, date: '2026-01-01', includeStandard: false });
}

const listed = <Row extends ReferenceRow>(rows: readonly Row[]) =>
  rows.filter((row) => row.source === undefined);
const coded = (rows: readonly ReferenceRow[]) =>
  rows.filter((row): row is ReferenceRow & { catalogCode: string } => row.catalogCode !== null);

/** Serializes an error of the catalog as the page's example shows it, and parses it back. */
async function roundTrip(
  errors: Catalog<any>,
  format: ErrorFormat,
  body: unknown,
  init: {
    code: string;
    message?: string;
    correlationId?: string;
    fieldErrors?: { pointer: string; detail: string }[];
  },
) {
  const error = errors.create(init.code, undefined, {
    ...(init.message ? { message: init.message } : {}),
    ...(init.correlationId ? { correlationId: init.correlationId } : {}),
    ...(init.fieldErrors ? { fieldErrors: init.fieldErrors } : {}),
  });
  const serialized = format.serialize(error);
  expect(serialized).toBe(JSON.stringify(body));
  const back = await parseErrorParts(
    { status: error.status, headers: {}, body: serialized },
    { formats: [format], catalog: errors },
  );
  expect(back.code).toBe(init.code);
  expect(back.message).toBe(error.message);
  expect(back.fieldErrors).toEqual(error.fieldErrors);
}

describe('reference facts (test/fixtures/reference)', () => {
  it.each(pageNames)(
    'page %s: every row the example catalog stands for has its status, id and code',
    async (name) => {
      const { errors } = await load(name);
      const page = referencePage(name);
      for (const row of coded(page.rows)) {
        const entry = errors.get(row.catalogCode);
        expect(entry, row.catalogCode).toBeDefined();
        if (row.status !== null) expect(entry!.status, row.catalogCode).toBe(row.status);
        if (row.code !== null) {
          expect(row.catalogCode).toBe(row.code);
          expect(entry!.id, row.code).toBe(row.id ?? undefined);
        }
      }
      // Every code the example adds beyond the standard catalog stands for a documented row.
      const documented = new Set(coded(page.rows).map((row) => row.catalogCode));
      const own = errors.codes.filter(
        (code) => errors.entries[code]!.role === undefined || documented.has(code),
      );
      expect(own.filter((code) => !documented.has(code))).toEqual([]);
    },
  );

  it('holds the row counts of the pages', () => {
    const count = (name: PageName, test: (row: ReferenceRow) => boolean) =>
      referencePage(name).rows.filter(test).length;
    expect(count('000', (row) => row.code !== null && row.source === undefined)).toBe(63);
    expect(count('000', (row) => row.code !== null && row.id === null && row.source === undefined)).toBe(9);
    expect(count('000', (row) => row.group === 'Standard HTTP status codes')).toBe(16);
    expect(count('000', (row) => row.closeCode !== undefined)).toBe(3);
    expect(count('001', (row) => row.channel === 'ws-handshake')).toBe(4);
    expect(count('001', (row) => row.channel === 'ws-event')).toBe(14);
    expect(count('001', (row) => row.channel === 'http' && row.cause !== undefined)).toBe(10);
    expect(listed(referencePage('002').rows)).toHaveLength(26);
    expect(listed(referencePage('003').rows)).toHaveLength(25);
    expect(count('004', (row) => row.source === undefined)).toBe(53);
    expect(count('004', (row) => row.source === undefined && row.message === null)).toBe(11);
  });
});

describe('the reference pages themselves', () => {
  it('match the facts, row for row', () => {
    for (const name of pageNames) {
      const page = referencePage(name);
      const file = readdirSync(pages).find((f) => f.startsWith(name))!;
      expect(file, name).toBe(page.file);
      const text = readFileSync(resolve(pages, file), 'utf8');
      const expected = listed(page.rows).map(({ catalogCode, ...row }) => row);
      expect(extractRows(name, text, { rows: page.rows }), name).toEqual(expected);
      expect(extractExample(text), name).toEqual(page.example);
      for (const row of page.rows.filter((r) => r.source === 'prose')) {
        expect(text, name).toContain(row.code ? `\`${row.code}\`` : row.message!);
      }
    }
  });
});

describe('examples/reference/000.ts', () => {
  it('lists every code of page 000 with its id and status', async () => {
    const { errors, format } = await load('000');
    const rendered = render(errors, format);
    const rows = referencePage('000').rows.filter((row) => row.code !== null && row.source === undefined);
    for (const { code, id, status } of rows) {
      expect(errors.entries[code!], code!).toMatchObject({ status, id: id ?? undefined });
      // A group whose codes have no ids shows no ID column, as a page would.
      expect(rendered).toMatch(new RegExp(`\`${code}\` \\| (?:${id ?? '—'} \\| )?${status} \\|`));
    }
  });

  it('serializes the page example body and reads it back', async () => {
    const { errors, format } = await load('000');
    await roundTrip(errors, format, referencePage('000').example, {
      code: 'SCHEMA_VALIDATION_FAILED',
      correlationId: '550e8400-e29b-41d4-a716-446655440000',
    });
  });
});

describe('examples/reference/001.ts', () => {
  it('gives a stable code to every error message of page 001', async () => {
    const { errors, format } = await load('001');
    const rendered = render(errors, format);
    for (const row of coded(listed(referencePage('001').rows))) {
      const text = row.message!.replace('EVENT_TYPE_*', '{eventType}');
      expect(errors.entries[row.catalogCode]!.message, row.message!).toBe(text);
      expect(rendered).toContain(text);
    }
  });

  it('maps a message-only body back to its code', async () => {
    const { errors, format } = await load('001');
    for (const row of coded(referencePage('001').rows).filter((r) => r.channel === 'ws-handshake')) {
      const status = errors.get(row.catalogCode)!.status;
      const back = await parseErrorParts(
        { status, headers: {}, body: { error: row.message } },
        { formats: [format], catalog: errors },
      );
      expect(back.code).toBe(row.catalogCode);
    }
  });
});

describe('examples/reference/002.ts', () => {
  it('lists every code of page 002 in its category', async () => {
    const { errors, format } = await load('002');
    const rendered = render(errors, format);
    for (const { code } of referencePage('002').rows) expect(rendered).toContain(`\`${code}\``);
    for (const category of [
      'VALIDATION',
      'AUTH',
      'NOT_FOUND',
      'CONFLICT',
      'RATE_LIMIT',
      'EXTERNAL_SERVICE',
      'INTERNAL',
    ]) {
      expect(
        errors.codes.some((c) => errors.entries[c]!.category === category),
        category,
      ).toBe(true);
    }
  });

  it('serializes the page example body and reads its validation details back', async () => {
    const { errors, format } = await load('002');
    await roundTrip(errors, format, referencePage('002').example, {
      code: 'VALIDATION_ERROR',
      fieldErrors: [{ pointer: '/events/0/type', detail: 'Invalid enum value' }],
    });
  });
});

describe('examples/reference/003.ts', () => {
  it('gives a stable code to every error message of page 003, with its cause and fix', async () => {
    const { errors, format } = await load('003');
    const rendered = render(errors, format);
    const rows = coded(referencePage('003').rows);
    for (const row of rows) {
      const entry = errors.entries[row.catalogCode]!;
      expect(entry.message, row.catalogCode).toBe(row.message);
      expect(entry.cause, row.catalogCode).toBe(row.cause);
      expect(rendered).toContain(entry.fix!.replaceAll('|', '\\|'));
    }
    expect(new Set(rows.map((row) => row.catalogCode)).size).toBe(25);
  });

  it('serializes the page example body and maps messages back to codes', async () => {
    const { errors, format } = await load('003');
    await roundTrip(
      errors,
      format,
      { success: false, error: 'Session not found' },
      { code: 'SESSION_NOT_FOUND' },
    );
    for (const row of coded(referencePage('003').rows)) {
      const status = errors.get(row.catalogCode)!.status;
      const back = await parseErrorParts(
        { status, headers: {}, body: { success: false, error: row.message } },
        { formats: [format], catalog: errors },
      );
      expect(back.code).toBe(row.catalogCode);
    }
  });
});

describe('examples/reference/004.ts', () => {
  it('holds every code page 004 describes, and "No additional description." where the page has none', async () => {
    const { errors, format } = await load('004');
    const rendered = render(errors, format);
    const rows = listed(referencePage('004').rows);
    for (const row of rows.filter((r) => r.message !== null)) {
      const first = row.message!.replace(/ HTTP \d{3}.*$/, '').slice(0, 60);
      expect(rendered.includes(first) || rendered.includes(first.replaceAll('|', '\\|')), first).toBe(true);
    }
    const missing = rows.filter((row) => row.message === null).length;
    expect(rendered.split('No additional description.').length - 1).toBeGreaterThanOrEqual(missing);
    for (const row of coded(referencePage('004').rows).filter((r) => r.code !== null)) {
      expect(errors.get(row.code!), row.code!).toBeDefined();
    }
  });

  it('serializes the page example body and reads its field errors back', async () => {
    const { errors, format } = await load('004');
    // The page's example keeps its placeholder text; the catalog's own message is a real sentence.
    await roundTrip(errors, format, referencePage('004').example, {
      code: 'VALIDATION_FAILED',
      message: 'Human-readable summary',
      fieldErrors: [{ pointer: '/email', detail: 'Already in use' }],
    });
  });

  it('renders an HTML page holding every code', async () => {
    const { errors, format } = await load('004');
    const html = renderHtml(errors, { format });
    for (const code of errors.codes) expect(html).toContain(`<tr id="${code}"`);
  });
});
