import { ApiError, defineErrors, FaultlineConfigError } from 'faultline';
import { parseErrorParts } from 'faultline/client';
import { commonFormats } from 'faultline/format';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { codeEnvelope, messageEnvelope, nestedEnvelope } from '../format/common.js';

const errors = defineErrors({
  CONFERENCE_NAME_TAKEN: {
    status: 409,
    message: 'Conference name already taken',
    details: z.object({ room_id: z.string() }),
    members: ['room_id'],
  },
  SEAT_TAKEN: {
    status: 409,
    message: 'Seat {seat} is taken',
    details: z.object({ seat: z.string(), holder: z.string().optional() }),
    members: { seatId: 'seat', heldBy: 'holder' },
  },
});

function configError(fn: () => unknown): FaultlineConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FaultlineConfigError) return error;
    throw error;
  }
  throw new Error('expected a FaultlineConfigError');
}

describe('per-code envelope members', () => {
  it('lifts the declared details fields onto the error as members', () => {
    expect(errors.create('CONFERENCE_NAME_TAKEN', { room_id: 'r1' }).members).toEqual({ room_id: 'r1' });
    expect(errors.create('SEAT_TAKEN', { seat: '4A' }).members).toEqual({ seatId: '4A' });
    expect(errors.create('SEAT_TAKEN', { seat: '4A', holder: 'u1' }).members).toEqual({
      seatId: '4A',
      heldBy: 'u1',
    });
    expect(errors.create('NOT_FOUND').members).toBeUndefined();
  });

  it('writes the members at the top level of a problem+json body, after its own members', () => {
    const body = JSON.parse(
      commonFormats.problemJson.serialize(errors.create('CONFERENCE_NAME_TAKEN', { room_id: 'r1' })),
    );
    expect(body).toMatchObject({ status: 409, code: 'CONFERENCE_NAME_TAKEN', room_id: 'r1' });
    expect(Object.keys(body).at(-1)).toBe('room_id');
  });

  it('writes them at the top level of a declared envelope, as page 003 shows its 409', () => {
    const error = errors.create('CONFERENCE_NAME_TAKEN', { room_id: 'r1' });
    expect(messageEnvelope.serialize(error)).toBe(
      '{"success":false,"error":"Conference name already taken","room_id":"r1"}',
    );
    expect(JSON.parse(nestedEnvelope.serialize(error))).toEqual({
      error: {
        message: 'Conference name already taken',
        statusCode: 409,
        code: 'CONFERENCE_NAME_TAKEN',
        category: 'CONFLICT',
        details: { room_id: 'r1' },
      },
      room_id: 'r1',
    });
  });

  it('never writes a member over one the format declares', () => {
    const clash = defineErrors({
      CLASH: { status: 409, message: 'Clash', details: z.object({ error: z.string() }), members: ['error'] },
    });
    expect(messageEnvelope.serialize(clash.create('CLASH', { error: 'mine' }))).toBe(
      '{"success":false,"error":"Clash"}',
    );
    expect(JSON.parse(codeEnvelope.serialize(clash.create('CLASH', { error: 'mine' }))).error).toBe('Clash');
  });

  it('round-trips through JSON and the client parser, which rebuilds details a format does not carry', async () => {
    const error = errors.create('CONFERENCE_NAME_TAKEN', { room_id: 'r1' });
    expect(ApiError.fromJSON(JSON.stringify(error)).members).toEqual({ room_id: 'r1' });
    const back = await parseErrorParts(
      { status: 409, headers: {}, body: messageEnvelope.serialize(error) },
      { formats: [messageEnvelope], catalog: errors },
    );
    expect(back).toMatchObject({
      code: 'CONFERENCE_NAME_TAKEN',
      members: { room_id: 'r1' },
      details: { room_id: 'r1' },
    });
  });

  it('works out once, at definition, which details fields every error of a code carries', () => {
    expect(errors.get('SEAT_TAKEN')?.requiredDetails).toEqual(['seat']);
    expect(errors.get('CONFERENCE_NAME_TAKEN')?.requiredDetails).toEqual(['room_id']);
    const loose = defineErrors({
      MAYBE: { status: 409, message: 'Maybe', details: z.object({ a: z.string() }).optional() },
      NONE: { status: 409, message: 'None' },
    });
    expect(loose.get('MAYBE')?.requiredDetails).toBeUndefined();
    expect(loose.get('NONE')?.requiredDetails).toBeUndefined();
  });

  it('rebuilds details from members only when they hold every required field', async () => {
    const read = (body: object) =>
      parseErrorParts({ status: 409, headers: {}, body }, { formats: [codeEnvelope], catalog: errors });
    const seat = { success: false, code: 'SEAT_TAKEN', error: 'Seat is taken' };
    expect((await read({ ...seat, seatId: '4A', heldBy: 'u1' })).details).toEqual({
      seat: '4A',
      holder: 'u1',
    });
    expect((await read({ ...seat, seatId: '4A' })).details).toEqual({ seat: '4A' });
    const partial = await read({ ...seat, heldBy: 'u1' });
    expect(partial.members).toEqual({ heldBy: 'u1' });
    expect(partial.details).toBeUndefined();
  });

  it('reads only declared members for a known code, and RFC 9457 extension members otherwise', async () => {
    const read = (body: unknown, options: Parameters<typeof parseErrorParts>[1]) =>
      parseErrorParts({ status: 409, headers: {}, body }, options);
    const body = { success: false, error: 'Conference name already taken', room_id: 'r1', noise: 1 };
    expect((await read(body, { formats: [messageEnvelope], catalog: errors })).members).toEqual({
      room_id: 'r1',
    });
    const foreign = { type: 'about:blank', title: 'Conflict', status: 409, balance: 30, __proto__x: 1 };
    const parsed = await read(JSON.stringify(foreign), { formats: [commonFormats.problemJson] });
    expect(parsed.members).toEqual({ balance: 30, __proto__x: 1 });
    const poisoned = await read('{"title":"Conflict","status":409,"__proto__":{"polluted":true}}', {
      formats: [commonFormats.problemJson],
    });
    expect(Object.getPrototypeOf(poisoned.members)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('lists the members in the catalog JSON', () => {
    const json = errors.toJSON().entries.find((e) => e.code === 'SEAT_TAKEN');
    expect(json?.members).toEqual({ seatId: 'seat', heldBy: 'holder' });
  });

  it('refuses members without details, naming no details field, or named twice', () => {
    const refuse = (definition: object) =>
      configError(() => defineErrors({ X: { status: 409, message: 'x', ...definition } } as never));
    expect(refuse({ members: ['room_id'] }).code).toBe('FAULTLINE_INVALID_MEMBERS');
    expect(refuse({ details: z.object({ a: z.string() }), members: ['b'] }).message).toContain(
      'member b names b, which is not a details field',
    );
    expect(refuse({ details: z.object({ a: z.string() }), members: [] }).code).toBe(
      'FAULTLINE_INVALID_MEMBERS',
    );
    expect(refuse({ details: z.object({ a: z.string() }), members: ['a', 'a'] }).message).toContain(
      'listed twice',
    );
    expect(refuse({ details: z.object({ a: z.string() }), members: { __proto__: 'a' } }).code).toBe(
      'FAULTLINE_INVALID_MEMBERS',
    );
  });
});
