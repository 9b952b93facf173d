import type { DetailsCarriage, ErrorFormat } from 'faultline/format';
import { commonFormats, envelope, field } from 'faultline/format';
import { describe, expectTypeOf, it } from 'vitest';
import type { SpecCarriageOf } from './spec.js';

describe('SpecCarriageOf', () => {
  it('says always when details are placed outside alternatives', () => {
    expectTypeOf(envelope({ code: field.code, details: field.details })).toEqualTypeOf<
      ErrorFormat<'always'>
    >();
    expectTypeOf(
      envelope({ error: { code: field.code, details: field('details', { missing: 'null' }) } })['~details'],
    ).toEqualTypeOf<'always' | undefined>();
  });

  it('says maybe when details are only an alternative, never when they are nowhere', () => {
    const spec = {
      code: field.code,
      details: { $first: [field('errors', { style: 'map' }), field.details] },
    } as const;
    expectTypeOf<SpecCarriageOf<typeof spec>>().toEqualTypeOf<'maybe'>();
    expectTypeOf(envelope({ code: field.code, message: field.message })).toEqualTypeOf<
      ErrorFormat<'never'>
    >();
  });

  it('says maybe for a declaration whose type is too wide to tell', () => {
    expectTypeOf<SpecCarriageOf<Record<string, never>>>().toEqualTypeOf<'maybe'>();
    expectTypeOf(commonFormats.problemJson).toExtend<ErrorFormat<DetailsCarriage>>();
    expectTypeOf(commonFormats.message).toExtend<ErrorFormat>();
    expectTypeOf(commonFormats.code).toExtend<ErrorFormat>();
  });
});
