import type { FastifyInstance, FastifyReply } from 'fastify';
import { type Catalog, defineErrors } from 'faultline';
import type { ApiErrorReply } from 'faultline/fastify';
import type { ErrorHandler } from 'faultline/server';
import { describe, expectTypeOf, it } from 'vitest';
import * as z from 'zod';

const catalog = defineErrors({
  ROOM_FULL: { status: 409, message: 'Room is full' },
  SEAT_TAKEN: { status: 409, message: 'Seat {seat} is taken', details: z.object({ seat: z.string() }) },
});
type Defs = typeof catalog extends Catalog<infer D> ? D : never;

describe('the Fastify decorators', () => {
  it('types fastify.errors as the compiled error handler', () => {
    expectTypeOf<FastifyInstance['errors']>().toEqualTypeOf<ErrorHandler>();
  });

  it('types reply.apiError for any code until a catalog is registered', () => {
    const reply = {} as FastifyReply;
    expectTypeOf(reply.apiError('ANY_CODE')).toEqualTypeOf<FastifyReply>();
    reply.apiError('ANY_CODE', { any: 'details' });
    // @ts-expect-error a code is a string
    reply.apiError(404);
  });

  it('takes only the codes of a registered catalog, with details exactly when the schema requires them', () => {
    const apiError = (() => ({}) as FastifyReply) as ApiErrorReply<Defs>;
    expectTypeOf(apiError('ROOM_FULL')).toEqualTypeOf<FastifyReply>();
    apiError('SEAT_TAKEN', { seat: 'A7' });
    apiError('NOT_FOUND');
    // @ts-expect-error a code the catalog does not hold
    apiError('NOPE');
    // @ts-expect-error SEAT_TAKEN requires its details
    apiError('SEAT_TAKEN');
    // @ts-expect-error details of the wrong shape
    apiError('SEAT_TAKEN', { seat: 7 });
    // @ts-expect-error ROOM_FULL has no details
    apiError('ROOM_FULL', { seat: 'A7' });
  });
});
