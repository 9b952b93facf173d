import { validate } from '@readme/openapi-parser';
import { defineErrors } from 'faultline';
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
import { codeEnvelope } from '../format/common.js';
import { describeCatalog } from './model.js';
import { renderText } from './text.js';

const catalog = defineErrors(
  {
    SESSION_NOT_FOUND: {
      status: 404,
      id: 3001,
      group: 'sessions',
      message: 'Session not found',
      description: 'No active session has this id.',
      cause: 'The session ended.',
      fix: 'Create a new session.',
      details: z.object({ sessionId: z.string() }),
    },
    ROOM_FULL: { status: 409, id: 3002, group: 'sessions', message: 'Room | full' },
  },
  {
    name: 'Sessions API',
    groups: { sessions: { title: 'Sessions', description: 'Session lifecycle.' } },
    docsUrl: 'https://docs.example.com/errors#{code}',
  },
);
const date = '2026-01-02';

describe('renderMarkdown', () => {
  const page = renderMarkdown(catalog, { format: codeEnvelope, date });

  it('shows the response format with an example body in the API’s own format', () => {
    expect(page).toContain('Errors are answered as `application/json`');
    expect(page).toContain('"success": false');
    expect(page).toContain('"fieldErrors"');
  });

  it('shows the HTTP status table, one table per group with cause and fix, and an anchor per code', () => {
    expect(page).toContain('## HTTP status codes');
    expect(page).toContain('## Sessions\n\nSession lifecycle.');
    expect(page).toContain('| Code | ID | HTTP | Message | Description | Cause | Fix |');
    expect(page).toContain(
      '| <a id="SESSION_NOT_FOUND"></a>`SESSION_NOT_FOUND` | 3001 | 404 | Session not found | No active session has this id. | The session ended. | Create a new session. |',
    );
  });

  it('says "No additional description." where a code has none, and escapes pipes', () => {
    expect(page).toContain('| Room \\| full | No additional description. |');
  });

  it('counts the codes, dates the page and gives retry guidance', () => {
    expect(page).toContain(`${catalog.codes.length} codes · generated ${date}`);
    expect(page).toContain('## Retrying');
    expect(page).toContain('[`RATE_LIMITED`](#RATE_LIMITED)');
  });

  it('leaves out the standard codes on request', () => {
    expect(describeCatalog(catalog, { includeStandard: false }).codeCount).toBe(2);
  });
});

describe('renderHtml and renderText', () => {
  it('makes one self-contained page whose rows are ids of their codes', () => {
    const html = renderHtml(catalog, { date });
    expect(html).toContain('<input type="search"');
    expect(html).toContain('<tr id="SESSION_NOT_FOUND"');
    expect(html).not.toMatch(/<(?:script|link|img)[^>]+(?:src|href)=["']https?:/);
    expect(html).toContain('Room | full');
  });

  it('escapes HTML in catalog text', () => {
    const hostile = defineErrors({ X: { status: 400, message: '<script>alert(1)</script>' } });
    expect(renderHtml(hostile)).not.toContain('<script>alert(1)</script>');
  });

  it('renders plain text', () => {
    expect(renderText(catalog, { date })).toContain('SESSION_NOT_FOUND (3001)  HTTP 404  Session not found');
  });
});

describe('renderOpenApi', () => {
  it('produces a valid OpenAPI 3.1 document with the code enum, an example per code and a response per status', async () => {
    const document = renderOpenApi(catalog, { format: codeEnvelope });
    const result = await validate(structuredClone(document) as never);
    expect(result.valid, JSON.stringify('errors' in result ? result.errors : [])).toBe(true);
    expect(document.components.schemas.ErrorCode.enum).toContain('SESSION_NOT_FOUND');
    expect(
      document.components.responses.Error404.content['application/json'].examples.SESSION_NOT_FOUND.value,
    ).toEqual({
      success: false,
      code: 'SESSION_NOT_FOUND',
      error: 'Session not found',
    });
    expect(document.components.schemas.Error.properties.success).toEqual({ const: false });
  });

  it('adds error responses to every operation of an existing document', async () => {
    const base = {
      openapi: '3.1.0',
      info: { title: 'Sessions', version: '1' },
      paths: {
        '/sessions/{id}': {
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          get: {
            operationId: 'getSession',
            'x-error-codes': ['SESSION_NOT_FOUND'],
            responses: { '200': { description: 'ok' } },
          },
          delete: {
            operationId: 'endSession',
            responses: { '204': { description: 'ended' }, '404': { description: 'kept' } },
          },
        },
      },
    };
    const before = structuredClone(base);
    const merged = renderOpenApi(catalog, { into: base });
    expect(base).toEqual(before);
    const result = await validate(structuredClone(merged) as never);
    expect(result.valid, JSON.stringify('errors' in result ? result.errors : [])).toBe(true);
    expect(Object.keys(merged.paths['/sessions/{id}'].get.responses)).toEqual(['200', '404']);
    expect(merged.paths['/sessions/{id}'].delete.responses['404']).toEqual({ description: 'kept' });
    expect(Object.keys(merged.paths['/sessions/{id}'].delete.responses)).toEqual(
      expect.arrayContaining(['400', '429', '500']),
    );
    expect(base.paths['/sessions/{id}'].get.responses).toEqual({ '200': { description: 'ok' } });
  });

  it('refuses, naming what it wants, an `into` that is no OpenAPI document', () => {
    for (const into of [
      { openapi: '3.1.0', components: 'x' },
      { openapi: '3.1.0', paths: [] },
      { openapi: '3.1.0', components: { schemas: 'ab' } },
      { openapi: '3.1.0', components: { responses: null } },
    ]) {
      expect(() => renderOpenApi(catalog, { into: into as never })).toThrow(
        /`into` must be an OpenAPI document/,
      );
    }
  });
});

describe('snapshot and diffSnapshots', () => {
  const before = snapshot(catalog);

  it('records a stable lock of the contract with details fields', () => {
    expect(before.codes.SESSION_NOT_FOUND).toEqual({
      status: 404,
      id: 3001,
      category: 'NOT_FOUND',
      retryable: false,
      type: 'https://docs.example.com/errors#SESSION_NOT_FOUND',
      title: 'Not Found',
      message: 'Session not found',
      details: { properties: ['sessionId'], required: ['sessionId'], types: { sessionId: 'string' } },
    });
    expect(JSON.stringify(snapshot(catalog))).toBe(JSON.stringify(before));
  });

  it('sorts changes into breaking, additive and cosmetic', () => {
    const after = snapshot(
      defineErrors({
        SESSION_NOT_FOUND: {
          status: 410,
          id: 3001,
          message: 'Session is gone',
          details: z.object({ roomId: z.string(), note: z.string().optional() }),
        },
        NEW_CODE: { status: 400, message: 'new' },
      }),
    );
    const diff = diffSnapshots(before, after);
    expect(diff.breaking.map((c) => c.change)).toEqual(
      expect.arrayContaining([
        'status 404 → 410',
        'details.sessionId removed',
        'details.roomId added as required',
        'code removed',
      ]),
    );
    expect(diff.breaking.some((c) => c.code === 'ROOM_FULL' && c.change === 'code removed')).toBe(true);
    expect(diff.additive.map((c) => `${c.code} ${c.change}`)).toEqual(
      expect.arrayContaining(['NEW_CODE code added', 'SESSION_NOT_FOUND details.note added']),
    );
    expect(diff.cosmetic).toEqual([
      { code: 'SESSION_NOT_FOUND', kind: 'cosmetic', change: 'message changed' },
      { code: 'SESSION_NOT_FOUND', kind: 'cosmetic', change: 'title changed' },
    ]);
    expect(diff.breaking.map((c) => c.change)).toContain(
      'type https://docs.example.com/errors#SESSION_NOT_FOUND → urn:problem-type:SESSION_NOT_FOUND',
    );
  });

  it('calls a details field made required breaking', () => {
    const a = snapshot(
      defineErrors({ X: { status: 400, message: 'x', details: z.object({ f: z.string().optional() }) } }),
    );
    const b = snapshot(
      defineErrors({ X: { status: 400, message: 'x', details: z.object({ f: z.string() }) } }),
    );
    expect(diffSnapshots(a, b).breaking).toEqual([
      { code: 'X', kind: 'breaking', change: 'details.f made required' },
    ]);
  });

  it('calls a details field added as required breaking, as making one required is', () => {
    const a = snapshot(defineErrors({ X: { status: 400, message: 'x' } }));
    const b = snapshot(
      defineErrors({
        X: { status: 400, message: 'x', details: z.object({ f: z.string(), g: z.number().optional() }) },
      }),
    );
    const diff = diffSnapshots(a, b);
    expect(diff.breaking).toEqual([{ code: 'X', kind: 'breaking', change: 'details.f added as required' }]);
    expect(diff.additive).toEqual([{ code: 'X', kind: 'additive', change: 'details.g added' }]);
  });
});

describe('lintCatalog', () => {
  it('reports naming, category, retryable and description findings with their levels', () => {
    const findings = lintCatalog(
      defineErrors({
        SESSION_GONE: { status: 410, message: 'gone', description: 'd' },
        roomFull: { status: 409, message: 'full', description: 'd' },
        BAD_CATEGORY: { status: 404, message: 'x', category: 'INTERNAL', description: 'd' },
        RETRY_ME: { status: 400, message: 'x', retryable: true, description: 'd' },
        UNDESCRIBED: { status: 400, message: 'x' },
      }),
    );
    const by = (rule: string) => findings.filter((f) => f.rule === rule).map((f) => `${f.level} ${f.code}`);
    expect(by('naming')).toEqual(['warning roomFull']);
    expect(by('category')).toEqual(['error BAD_CATEGORY']);
    expect(by('retryable')).toEqual(['warning RETRY_ME']);
    expect(by('description')).toEqual(['warning UNDESCRIBED']);
  });
});

describe('the WebSocket close-code table', () => {
  it('names a registered close code by the registry, and an API code by its entry', () => {
    const ws = defineErrors({
      EVENT_UNREADABLE: { status: 400, message: 'Unreadable event', ws: { close: 1003 } },
      ROOM_CLOSED: { status: 410, message: 'Room closed', ws: { close: 4410 } },
    });
    const page = renderMarkdown(ws);
    const rows = page.slice(page.indexOf('## WebSocket close codes')).split('\n');
    const row = (code: number) => rows.find((line) => line.startsWith(`| ${code} |`));
    expect(row(1003)).toMatch(/^\| 1003 \| Unsupported Data \| `EVENT_UNREADABLE` \|/);
    expect(row(1011)).toMatch(/^\| 1011 \| Internal Error \| `INTERNAL_ERROR` \|/);
    expect(row(4410)).toMatch(/^\| 4410 \| Gone \| `ROOM_CLOSED` \|/);
  });
});
