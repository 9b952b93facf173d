import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Catalog } from 'faultline';
import { renderHtml, renderMarkdown } from 'faultline/docs';
import { type ErrorFormat, parseErrorBody } from 'faultline/format';
import { describe, expect, it } from 'vitest';

const dir = resolve(import.meta.dirname, '../../../shared/reference');
const pageOf = (prefix: string) =>
  readFileSync(resolve(dir, readdirSync(dir).find((f) => f.startsWith(prefix))!), 'utf8');
const load = async (name: string) =>
  (await import(`../../examples/reference/${name}.ts`)) as { errors: Catalog<any>; format: ErrorFormat };

function render(errors: Catalog<any>, format: ErrorFormat) {
  return renderMarkdown(errors, { format, date: '2026-01-01', includeStandard: false });
}

/** Serializes an error of the catalog as the page's example shows it, and parses it back. */
function roundTrip(
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
  const back = parseErrorBody(serialized, { formats: [format], catalog: errors, status: error.status });
  expect(back.code).toBe(init.code);
  expect(back.message).toBe(error.message);
  expect(back.fieldErrors).toEqual(error.fieldErrors);
}

describe('examples/reference/000.ts', () => {
  it('lists every code of page 000 with its id and status', async () => {
    const { errors, format } = await load('000');
    const rendered = render(errors, format);
    const rows = [...pageOf('000').matchAll(/^\|\s*`([^`]+)`\s*\|\s*([^|]+?)\s*\|\s*(\d{3})\s*\|/gm)];
    expect(rows.length).toBe(63);
    for (const [, code, id, status] of rows) {
      expect(errors.entries[code!], code).toMatchObject({
        status: Number(status),
        id: id === '—' ? undefined : Number(id),
      });
      // A group whose codes have no ids shows no ID column, as a page would.
      expect(rendered).toMatch(new RegExp(`\`${code}\` \\| (?:${id} \\| )?${status} \\|`));
    }
  });

  it('serializes the page example body and reads it back', async () => {
    const { errors, format } = await load('000');
    roundTrip(
      errors,
      format,
      {
        success: false,
        error: 'Request body failed schema validation.',
        error_id: '550e8400-e29b-41d4-a716-446655440000',
        error_code: 'SCHEMA_VALIDATION_FAILED',
        error_message: 'Request body failed schema validation.',
        data: null,
      },
      { code: 'SCHEMA_VALIDATION_FAILED', correlationId: '550e8400-e29b-41d4-a716-446655440000' },
    );
  });
});

describe('examples/reference/001.ts', () => {
  it('gives a stable code to every error message of page 001', async () => {
    const { errors, format } = await load('001');
    const rendered = render(errors, format);
    const messages = [...pageOf('001').matchAll(/^\|\s*`([^`]+)`\s*\|/gm)]
      .map((m) => m[1]!)
      .filter((m) => !/^\d{3}$/.test(m));
    expect(messages.length).toBeGreaterThanOrEqual(24);
    for (const message of messages) {
      const text = message.replace('EVENT_TYPE_*', '{eventType}');
      expect(
        errors.byMessage(text) ?? errors.codes.find((c) => errors.entries[c]!.message === text),
        message,
      ).toBeDefined();
      expect(rendered).toContain(text);
    }
  });

  it('maps a message-only body back to its code', async () => {
    const { errors, format } = await load('001');
    expect(
      parseErrorBody(
        { error: 'connection limit exceeded for session' },
        { formats: [format], catalog: errors },
      ).code,
    ).toBe('WS_CONNECTION_LIMIT_EXCEEDED');
  });
});

describe('examples/reference/002.ts', () => {
  it('lists every code of page 002 in its category', async () => {
    const { errors, format } = await load('002');
    const rendered = render(errors, format);
    const page = pageOf('002');
    const table = page.slice(page.indexOf('Common Error Codes'), page.indexOf('Troubleshooting'));
    // Table rows run the code into its description ("TENANT_EXISTSA company…"): match the longest code.
    const known = [...errors.codes].sort((a, b) => b.length - a.length);
    const rows = table.split('\n').filter((line) => /^[A-Z][A-Z]+_|^[A-Z]{5,}[A-Z][a-z]/.test(line));
    const codes = rows.map((row) => known.find((code) => row.startsWith(code)));
    expect(codes.every(Boolean), rows.join('\n')).toBe(true);
    expect(codes.length).toBe(26);
    for (const code of codes as string[]) {
      expect(rendered).toContain(`\`${code}\``);
    }
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
    roundTrip(
      errors,
      format,
      {
        error: {
          message: 'Invalid request body',
          statusCode: 400,
          code: 'VALIDATION_ERROR',
          category: 'VALIDATION',
          details: [{ path: 'events.0.type', message: 'Invalid enum value' }],
        },
      },
      {
        code: 'VALIDATION_ERROR',
        fieldErrors: [{ pointer: '/events/0/type', detail: 'Invalid enum value' }],
      },
    );
  });
});

describe('examples/reference/003.ts', () => {
  it('gives a stable code to every error message of page 003, with its cause and fix', async () => {
    const { errors, format } = await load('003');
    const rendered = render(errors, format);
    const page = pageOf('003');
    const rows = page
      .split('Error messageCauseFix\n')
      .slice(1)
      .flatMap((section) => section.split('\n\n')[0]!.split('\n'))
      .filter((row) => !/^\s/.test(row));
    expect(rows.length).toBe(25);
    const used = new Set<string>();
    for (const row of rows) {
      const code = errors.codes.find(
        (c) =>
          row.startsWith(errors.entries[c]!.message) && row.includes(errors.entries[c]!.cause ?? '\u0000'),
      );
      expect(code, row).toBeDefined();
      used.add(code!);
      expect(rendered).toContain(errors.entries[code!]!.fix!.replaceAll('|', '\\|'));
    }
    expect(used.size).toBe(25);
  });

  it('serializes the page example body and maps messages back to codes', async () => {
    const { errors, format } = await load('003');
    roundTrip(errors, format, { success: false, error: 'Session not found' }, { code: 'SESSION_NOT_FOUND' });
    expect(
      parseErrorBody(
        { success: false, error: 'Request body too large' },
        { formats: [format], catalog: errors },
      ).code,
    ).toBe('BODY_TOO_LARGE');
  });
});

describe('examples/reference/004.ts', () => {
  it('holds every code page 004 describes, and "No additional description." where the page has none', async () => {
    const { errors, format } = await load('004');
    const rendered = render(errors, format);
    const lines = pageOf('004').split('\n').slice(8);
    const described = [
      ...lines.filter((l) => / HTTP \d{3}/.test(l)),
      'Operator already has an active human-dialer call.',
    ];
    expect(described.length).toBe(41);
    for (const line of described) {
      const first = line.replace(/ HTTP \d{3}.*$/, '').slice(0, 60);
      expect(rendered.includes(first) || rendered.includes(first.replaceAll('|', '\\|')), first).toBe(true);
    }
    const missing = lines.filter((l) => l.trim() === 'No additional description.').length;
    expect(missing).toBe(11);
    expect(rendered.split('No additional description.').length - 1).toBeGreaterThanOrEqual(missing);
    for (const named of [
      'AUTH_EMAIL_NOT_VERIFIED',
      'AUTH_INVALID_CREDENTIALS',
      'PROVIDER_NOT_CONFIGURED',
      'SUBSCRIPTION_REQUIRED',
      'RATE_LIMITED',
      'QUOTA_EXCEEDED',
      'LICENSE_EXPIRED',
      'LICENSE_REVOKED',
    ]) {
      expect(errors.get(named), named).toBeDefined();
    }
  });

  it('serializes the page example body and reads its field errors back', async () => {
    const { errors, format } = await load('004');
    roundTrip(
      errors,
      format,
      {
        success: false,
        code: 'VALIDATION_FAILED',
        error: 'Human-readable summary',
        details: { fieldErrors: { email: 'Already in use' } },
      },
      { code: 'VALIDATION_FAILED', fieldErrors: [{ pointer: '/email', detail: 'Already in use' }] },
    );
  });

  it('renders an HTML page holding every code', async () => {
    const { errors, format } = await load('004');
    const html = renderHtml(errors, { format });
    for (const code of errors.codes) expect(html).toContain(`<tr id="${code}"`);
  });
});
