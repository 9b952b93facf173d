import { type ApiError, defineErrors, type MembersOf } from 'faultline';
import { describe, expectTypeOf, it } from 'vitest';
import * as z from 'zod';

const definitions = {
  CONFERENCE_NAME_TAKEN: {
    status: 409,
    message: 'Conference name already taken',
    details: z.object({ room_id: z.string() }),
    members: ['room_id'],
  },
  SEAT_TAKEN: {
    status: 409,
    message: 'Seat taken',
    details: z.object({ seat: z.number(), holder: z.string().optional() }),
    members: { seatId: 'seat', heldBy: 'holder' },
  },
  PLAIN: { status: 400, message: 'Plain' },
} as const;
const errors = defineErrors(definitions);

describe('member types', () => {
  it('types the members of a created error from its details', () => {
    expectTypeOf(errors.create('CONFERENCE_NAME_TAKEN', { room_id: 'r' }).members).toEqualTypeOf<{
      readonly room_id: string;
    }>();
    expectTypeOf(errors.create('SEAT_TAKEN', { seat: 1 }).members).toEqualTypeOf<{
      readonly seatId: number;
      readonly heldBy: string | undefined;
    }>();
    expectTypeOf<MembersOf<typeof definitions.CONFERENCE_NAME_TAKEN>>().toEqualTypeOf<{
      readonly room_id: string;
    }>();
  });

  it('types members declared inline, as catalogs are usually written', () => {
    const inline = defineErrors({
      TAKEN: { status: 409, message: 'x', details: z.object({ room_id: z.string() }), members: ['room_id'] },
    });
    expectTypeOf(inline.create('TAKEN', { room_id: 'r' }).members).toEqualTypeOf<{
      readonly room_id: string;
    }>();
  });

  it('leaves a code without members as it was', () => {
    expectTypeOf(errors.create('PLAIN')).toEqualTypeOf<ApiError<'PLAIN', undefined>>();
    expectTypeOf(errors.create('PLAIN').members).toEqualTypeOf<
      Readonly<Record<string, unknown>> | undefined
    >();
  });

  it('narrows a caught error to its members', () => {
    const caught: unknown = null;
    if (errors.is(caught, 'CONFERENCE_NAME_TAKEN'))
      expectTypeOf(caught.members.room_id).toEqualTypeOf<string>();
  });

  it('does not compile a member that names no details field', () => {
    defineErrors({
      // @ts-expect-error room names no field of the details
      TAKEN: { status: 409, message: 'x', details: z.object({ room_id: z.string() }), members: ['room'] },
    });
    defineErrors({
      TAKEN: {
        status: 409,
        message: 'x',
        details: z.object({ room_id: z.string() }),
        // @ts-expect-error the mapped field is not a details field
        members: { id: 'room' },
      },
    });
    defineErrors({
      // @ts-expect-error members need a details schema
      TAKEN: { status: 409, message: 'x', members: ['room_id'] },
    });
  });
});
