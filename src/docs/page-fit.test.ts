import { validate } from '@readme/openapi-parser';
import { defineErrors, FaultlineConfigError } from 'faultline';
import {
  diffSnapshots,
  lintCatalog,
  renderHtml,
  renderMarkdown,
  renderOpenApi,
  snapshot,
} from 'faultline/docs';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { messageEnvelope, nestedEnvelope } from '../format/common.js';
import { describeCatalog } from './model.js';
import { renderText } from './text.js';

const standardErrors = defineErrors({});

const date = '2026-01-01';

// A gateway in the shape of page 003: message-only bodies, one code for two body checks, its own names.
const gateway = defineErrors(
  {
    INVALID_REQUEST_BODY: {
      status: 400,
      message: 'Invalid request body',
      cause: 'The JSON body could not be parsed.',
    },
    CONFERENCE_NAME_TAKEN: {
      status: 409,
      message: 'Conference name already taken',
      details: z.object({ room_id: z.string() }),
      members: ['room_id'],
    },
  },
  {
    rename: {
      MALFORMED_JSON: 'INVALID_REQUEST_BODY',
      VALIDATION_FAILED: 'INVALID_REQUEST_BODY',
      MISSING_HEADER: 'MISSING_APP_ID',
      ADMIN_KEY_NOT_CONFIGURED: 'ADMIN_API_NOT_CONFIGURED',
    },
    omit: ['GONE', 'PAYMENT_REQUIRED'],
  },
);

const row = (page: string, code: string) => page.split('\n').find((line) => line.includes(`\`${code}\``));

describe('per-code members in docs and OpenAPI', () => {
  it('says on the page which members a code adds to its body', () => {
    const page = renderMarkdown(gateway, { format: messageEnvelope, date });
    expect(row(page, 'CONFERENCE_NAME_TAKEN')).toContain('The body also carries `room_id` (string).');
    expect(renderHtml(gateway, { format: messageEnvelope, date })).toContain(
      'The body also carries <code>room_id</code> (string).',
    );
    expect(renderText(gateway, { format: messageEnvelope, date })).toContain('`room_id` (string)');
  });

  it('lists the member in the schema of the code and of its status, with an example', async () => {
    const document = renderOpenApi(gateway, { format: messageEnvelope });
    expect(document.components.schemas.Error_CONFERENCE_NAME_TAKEN.allOf[1]).toEqual({
      type: 'object',
      properties: { room_id: { description: "`room_id` of the error's details.", type: 'string' } },
      required: ['room_id'],
    });
    const conflict = document.components.responses.Error409.content['application/json'];
    expect(conflict.schema.anyOf).toEqual([
      { $ref: '#/components/schemas/Error_CONFERENCE_NAME_TAKEN' },
      { $ref: '#/components/schemas/Error' },
    ]);
    expect(conflict.examples.CONFERENCE_NAME_TAKEN.value).toEqual({
      success: false,
      error: 'Conference name already taken',
      room_id: '<room_id>',
    });
    await expect(validate(structuredClone(document) as never)).resolves.toMatchObject({ valid: true });
  });

  it('records members in the snapshot: a removed member is breaking', () => {
    const before = snapshot(gateway);
    expect(before.codes.CONFERENCE_NAME_TAKEN?.members).toEqual(['room_id']);
    const after = snapshot(
      defineErrors({
        CONFERENCE_NAME_TAKEN: {
          status: 409,
          message: 'Conference name already taken',
          details: z.object({ room_id: z.string() }),
        },
      }),
    );
    expect(diffSnapshots(before, after).breaking).toContainEqual({
      code: 'CONFERENCE_NAME_TAKEN',
      kind: 'breaking',
      change: 'member room_id removed',
    });
  });

  it('lints details carried by members as reaching clients, and a member the format overwrites', () => {
    const findings = lintCatalog(gateway, { format: messageEnvelope });
    // The message envelope has no place for field errors either: a finding of the validation code, not of these.
    const ofGateway = findings.filter(
      (f) => f.rule === 'format' && f.code !== gateway.builtins.validationFailed,
    );
    expect(ofGateway).toEqual([]);
    const clash = defineErrors({
      CLASH: { status: 409, message: 'x', details: z.object({ error: z.string() }), members: ['error'] },
    });
    expect(lintCatalog(clash, { format: messageEnvelope })).toContainEqual(
      expect.objectContaining({
        rule: 'format',
        code: 'CLASH',
        message: expect.stringContaining('member error'),
      }),
    );
  });
});

describe('one code for two built-in roles in docs and OpenAPI', () => {
  it('shows the code once, saying which checks raise it', () => {
    const page = renderMarkdown(gateway, { format: messageEnvelope, date });
    expect(page.split('<a id="INVALID_REQUEST_BODY">')).toHaveLength(2);
    expect(row(page, 'INVALID_REQUEST_BODY')).toContain(
      'Raised by two built-in checks. The body, query or parameters do not match the schema. The body could not be parsed as UTF-8 JSON.',
    );
    const document = renderOpenApi(gateway, { format: messageEnvelope });
    const codes: string[] = document.components.schemas.ErrorCode.enum;
    expect(codes.filter((code) => code === 'INVALID_REQUEST_BODY')).toHaveLength(1);
    expect(codes).not.toContain('MALFORMED_JSON');
    expect(
      document.components.responses.Error400.content['application/json'].examples.INVALID_REQUEST_BODY
        .summary,
    ).toMatch(/^Raised by two built-in checks\./);
  });
});

describe('docs list only the codes an API emits', () => {
  it('leaves omitted codes out of the page, its count, its status table and OpenAPI', () => {
    const page = renderMarkdown(gateway, { format: messageEnvelope, date });
    expect(page).toContain(`${gateway.codes.length} codes · generated`);
    // Two omitted, two merged into one, one of the gateway's own.
    expect(describeCatalog(gateway).codeCount).toBe(standardErrors.codes.length - 2 - 1 + 1);
    expect(page).not.toContain('`GONE`');
    expect(page).not.toContain('| 410 | Gone |');
    expect(page).not.toContain('| 402 | Payment Required |');
    const document = renderOpenApi(gateway);
    expect(document.components.schemas.ErrorCode.enum).not.toContain('GONE');
    expect(document.components.responses.Error410).toBeUndefined();
    expect(document.components.responses.Error402).toBeUndefined();
  });
});

describe('pages that fit the catalog’s format', () => {
  it('shows as its example a body the API sends', () => {
    const page = describeCatalog(gateway, { format: messageEnvelope });
    expect(JSON.parse(page.exampleBody)).toEqual({ success: false, error: 'Invalid request body' });
    // Without the standard codes on the page, the example is one of the page's own codes.
    const own = describeCatalog(gateway, { format: messageEnvelope, includeStandard: false });
    expect(own.groups.flatMap((g) => g.entries.map((e) => e.message))).toContain(
      JSON.parse(own.exampleBody).error,
    );
    const chosen = describeCatalog(gateway, { example: 'CONFERENCE_NAME_TAKEN' });
    expect(JSON.parse(chosen.exampleBody)).toMatchObject({
      code: 'CONFERENCE_NAME_TAKEN',
      room_id: '<room_id>',
    });
    expect(() => describeCatalog(gateway, { example: 'GONE' })).toThrow(FaultlineConfigError);
  });

  it('words a renamed built-in for the members its format carries', () => {
    const bare = row(renderMarkdown(gateway, { format: messageEnvelope, date }), 'MISSING_APP_ID');
    expect(bare).toContain('The request lacks a header this endpoint requires. |');
    expect(bare).toContain('Send every header this endpoint requires.');
    expect(bare).not.toContain('details.header');
    const nested = row(renderMarkdown(gateway, { format: nestedEnvelope, date }), 'MISSING_APP_ID');
    expect(nested).toContain('`error.details.header` names it');
    expect(row(renderMarkdown(gateway, { date }), 'MISSING_APP_ID')).toContain('`details.header` names it');
  });

  it('words every built-in on a problem+json page as the standard catalog does', () => {
    const shown = describeCatalog(standardErrors).groups.flatMap((g) => g.entries);
    for (const entry of shown) {
      expect(entry.description, entry.code).toBe(standardErrors.get(entry.code)?.description);
      expect(entry.fix, entry.code).toBe(standardErrors.get(entry.code)?.fix);
    }
  });

  it('keeps a description the author wrote as written', () => {
    const own = defineErrors(
      {
        MISSING_APP_ID: { status: 400, message: 'Missing X-App-ID header', description: 'Send `X-App-ID`.' },
      },
      { rename: { MISSING_HEADER: 'MISSING_APP_ID' } },
    );
    expect(row(renderMarkdown(own, { format: messageEnvelope, date }), 'MISSING_APP_ID')).toContain(
      '| Send `X-App-ID`. |',
    );
  });

  it('gives the admin key guard’s "not configured" answer its own code', () => {
    expect(standardErrors.builtins.adminKeyNotConfigured).toBe('ADMIN_KEY_NOT_CONFIGURED');
    expect(standardErrors.entries.ADMIN_KEY_NOT_CONFIGURED).toMatchObject({ status: 503, retryable: false });
    expect(gateway.builtins.adminKeyNotConfigured).toBe('ADMIN_API_NOT_CONFIGURED');
    expect(row(renderMarkdown(gateway, { date }), 'ADMIN_API_NOT_CONFIGURED')).toContain(
      'No admin key is configured on the server',
    );
  });
});
