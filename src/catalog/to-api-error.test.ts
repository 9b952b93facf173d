import { ApiError, defineErrors } from 'faultline';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { toApiError } from './to-api-error.js';

const catalog = defineErrors(
  {
    ROOM_FULL: {
      status: 409,
      id: 7,
      message: 'Room {roomId} is full',
      details: z.object({ roomId: z.string() }),
      headers: { 'x-room': 'yes' },
    },
    UNKNOWN_OR_FORBIDDEN: { status: 404, message: 'Not found', collapses: ['unknown', 'forbidden'] },
  },
  { docsUrl: 'https://docs.example.com/errors#{code}' },
);

describe('toApiError', () => {
  it('builds the error of an entry with its rendered message, id, category, type and merged headers', () => {
    const error = toApiError(
      catalog.get('ROOM_FULL')!,
      { roomId: 'r1' },
      { correlationId: 'c1', headers: { 'retry-after': '3' } },
    );
    expect(error instanceof ApiError && error.code === 'ROOM_FULL').toBe(true);
    expect(error.toJSON()).toEqual({
      name: 'ApiError',
      code: 'ROOM_FULL',
      status: 409,
      message: 'Room r1 is full',
      details: { roomId: 'r1' },
      id: 7,
      category: 'CONFLICT',
      retryable: false,
      headers: { 'x-room': 'yes', 'retry-after': '3' },
      correlationId: 'c1',
      type: 'https://docs.example.com/errors#ROOM_FULL',
    });
  });

  it('gives the same error as catalog.create', () => {
    const built = toApiError(catalog.get('ROOM_FULL')!, { roomId: 'r1' });
    expect(built.toJSON()).toEqual(catalog.create('ROOM_FULL', { roomId: 'r1' }).toJSON());
  });

  it('keeps the code under another status, with the category and retryable of that status and no role', () => {
    const internal = catalog.get(catalog.builtins.internalError)!;
    const error = toApiError(internal, undefined, { status: 502, message: 'Bad gateway' });
    expect(error).toMatchObject({
      code: internal.code,
      status: 502,
      category: 'EXTERNAL_SERVICE',
      retryable: true,
    });
    expect(error.role).toBeUndefined();
    expect(toApiError(internal).role).toBe('internalError');
  });

  it('takes a stack trace for 5xx only, unless told', () => {
    const internal = catalog.get(catalog.builtins.internalError)!;
    expect(toApiError(internal).stack).toMatch(/at /);
    expect(toApiError(catalog.get('ROOM_FULL')!, { roomId: 'r' }).stack).not.toMatch(/at /);
    expect(toApiError(internal, undefined, { stack: false }).stack).not.toMatch(/at /);
  });

  it('answers a collapsed code alike whatever it is given; the reason and cause stay on the server', () => {
    const entry = catalog.get('UNKNOWN_OR_FORBIDDEN')!;
    const cause = new Error('token of another tenant');
    const error = toApiError(
      entry,
      { secret: 1 },
      {
        reason: 'forbidden',
        cause,
        message: 'You may not see room r1',
        headers: { 'x-leak': '1' },
        fieldErrors: [{ pointer: '/id', detail: 'forbidden' }],
      },
    );
    expect(error.toJSON()).toEqual(toApiError(entry).toJSON());
    expect(error.reason).toBe('forbidden');
    expect(error.cause).toBe(cause);
  });
});
