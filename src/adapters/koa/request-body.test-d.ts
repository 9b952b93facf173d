import { createKoaErrors } from 'faultline/koa';
import type { Context } from 'koa';
import { describe, expectTypeOf, it } from 'vitest';

describe('the Koa request body', () => {
  it('types ctx.request.body where json() read it, as the Koa body parsers declare it', () => {
    const errors = createKoaErrors();
    expectTypeOf(errors.json()).toBeFunction();
    const read = (ctx: Context) => ctx.request.body;
    expectTypeOf(read).returns.toEqualTypeOf<any>();
  });
});
