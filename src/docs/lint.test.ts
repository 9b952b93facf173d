import { defineErrors } from 'faultline';
import { type LintFinding, type LintRule, lintCatalog } from 'faultline/docs';
import { envelope, field } from 'faultline/format';

import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { flatEnvelope, messageEnvelope, nestedEnvelope } from '../format/common.js';
import { lintRules } from './lint.js';

const described = { description: 'd' };

/** One catalog per rule that makes it fire, and what it reports. */
const firing: Record<LintRule, () => LintFinding[]> = {
  naming: () =>
    lintCatalog(
      defineErrors({
        SESSION_GONE: { status: 410, message: 'gone', ...described },
        ROOM_GONE: { status: 410, message: 'room gone', ...described },
        roomFull: { status: 409, message: 'full', ...described },
      }),
    ),
  status: () => lintCatalog(defineErrors({ ALREADY_DONE: { status: 208, message: 'done', ...described } })),
  category: () =>
    lintCatalog(defineErrors({ BAD: { status: 404, message: 'x', category: 'INTERNAL', ...described } })),
  retryable: () =>
    lintCatalog(defineErrors({ RETRY_ME: { status: 400, message: 'x', retryable: true, ...described } })),
  description: () => lintCatalog(defineErrors({ UNDESCRIBED: { status: 400, message: 'x' } })),
  placeholder: () =>
    lintCatalog(
      defineErrors({
        ROOM_FULL: {
          status: 409,
          message: 'Room {roomId} is full',
          details: z.object({ roomId: z.string().optional() }),
          ...described,
        },
      }),
    ),
  format: () =>
    lintCatalog(defineErrors({ ROOM_FULL: { status: 409, id: 7, message: 'full', ...described } }), {
      format: flatEnvelope,
    }),
  'ambiguous-message': () =>
    lintCatalog(
      defineErrors({
        ROOM_FULL: { status: 409, message: 'Not possible', ...described },
        ROOM_CLOSED: { status: 409, message: 'Not possible', ...described },
      }),
      { format: messageEnvelope },
    ),
};

describe('lintCatalog', () => {
  it.each(Object.keys(lintRules) as LintRule[])('fires the %s rule on a catalog that breaks it', (rule) => {
    expect(firing[rule]().filter((f) => f.rule === rule)).not.toEqual([]);
  });

  it('reports each finding with its level and code', () => {
    const only = (rule: LintRule) =>
      firing[rule]()
        .filter((f) => f.rule === rule)
        .map((f) => `${f.level} ${f.code}`);
    expect(only('naming')).toEqual(['warning roomFull']);
    expect(only('status')).toEqual(['warning ALREADY_DONE']);
    expect(only('category')).toEqual(['error BAD']);
    expect(only('retryable')).toEqual(['warning RETRY_ME']);
    expect(only('description')).toEqual(['warning UNDESCRIBED']);
    expect(only('placeholder')).toEqual(['warning ROOM_FULL']);
    // The flat format drops field errors too: the validation code's finding.
    expect(only('format')).toEqual(['warning ROOM_FULL', 'warning VALIDATION_FAILED']);
    expect(only('ambiguous-message')).toEqual(['error ROOM_CLOSED']);
  });

  it('says which field a format drops and which codes clients cannot tell apart', () => {
    expect(firing.format().find((f) => f.rule === 'format')?.message).toMatch(/flat format carries no id/);
    expect(firing['ambiguous-message']().find((f) => f.rule === 'ambiguous-message')?.message).toMatch(
      /with ROOM_FULL/,
    );
  });

  it('finds nothing in a catalog that keeps every rule', () => {
    const clean = defineErrors({
      ROOM_FULL: {
        status: 409,
        id: 7,
        message: 'Room {roomId} is full',
        details: z.object({ roomId: z.string() }),
        ...described,
      },
      ROOM_CLOSED: { status: 409, message: 'Room closed', ...described },
    });
    expect(lintCatalog(clean)).toEqual([]);
    // Shared messages are fine where the body carries the code.
    const shared = defineErrors({
      A_FULL: { status: 409, message: 'Not possible', ...described },
      B_FULL: { status: 409, message: 'Not possible', ...described },
    });
    expect(lintCatalog(shared, { format: nestedEnvelope })).toEqual([]);
  });

  it('warns when the format has no place for field errors: the validation code would drop them', () => {
    const catalog = defineErrors(
      { ROOM_FULL: { status: 409, message: 'full', ...described } },
      { rename: { VALIDATION_FAILED: 'SCHEMA_VALIDATION_FAILED' } },
    );
    // The README's envelope: details, but no field errors.
    const readme = envelope({
      success: false,
      code: field.code,
      error: field.message,
      details: field.details,
    });
    expect(lintCatalog(catalog, { format: readme })).toEqual([
      {
        level: 'warning',
        rule: 'format',
        code: 'SCHEMA_VALIDATION_FAILED',
        message:
          'answers validation failures with field errors, but the envelope format carries no field errors: clients never see them',
      },
    ]);
    // Field errors in an alternative still reach clients.
    const alternative = envelope({ code: field.code, details: { $first: [field.errors, field.details] } });
    expect(lintCatalog(catalog, { format: alternative })).toEqual([]);
  });

  it('leaves duplicate ids and unknown placeholders to defineErrors, which rejects them', () => {
    expect(() =>
      defineErrors({ A: { status: 400, id: 1, message: 'a' }, B: { status: 400, id: 1, message: 'b' } }),
    ).toThrow(/FAULTLINE_DUPLICATE_ID/);
    expect(() => defineErrors({ A: { status: 400, message: 'Room {roomId}' } })).toThrow(
      /FAULTLINE_PLACEHOLDER_WITHOUT_FIELD/,
    );
  });
});
